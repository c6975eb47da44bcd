package gpufleet.sim.trace;

import java.util.List;

/**
 * One data line split on commas (no quoting: the trace formats have none), with typed accessors that
 * throw {@link BadRow} with a message naming the column. Fields are trimmed.
 */
final class Row {
    private final List<String> columns;
    private final String[] fields;
    private final int line;

    private Row(List<String> columns, String[] fields, int line) {
        this.columns = columns;
        this.fields = fields;
        this.line = line;
    }

    /** Splits {@code text} into exactly {@code columns.size()} fields, or throws BadRow. */
    static Row split(String text, int line, List<String> columns) {
        int n = columns.size();
        String[] fields = new String[n];
        int found = 0;
        int start = 0;
        while (true) {
            int comma = text.indexOf(',', start);
            int end = comma < 0 ? text.length() : comma;
            if (found < n) fields[found] = text.substring(start, end).strip();
            found++;
            if (comma < 0) break;
            start = comma + 1;
        }
        if (found != n) throw new BadRow("expected " + n + " fields, found " + found);
        return new Row(columns, fields, line);
    }

    int line() {
        return line;
    }

    int size() {
        return fields.length;
    }

    /** The field as written (trimmed); empty when absent. */
    String raw(int i) {
        return fields[i];
    }

    /** A non-empty field. */
    String text(int i) {
        String s = fields[i];
        if (s.isEmpty()) throw new BadRow("missing " + columns.get(i));
        return s;
    }

    /** The field, or {@code fallback} when it is empty. */
    String textOr(int i, String fallback) {
        return fields[i].isEmpty() ? fallback : fields[i];
    }

    /** A finite decimal number such as {@code 12}, {@code -3.5} or {@code 1.2e6}. */
    double number(int i) {
        String s = text(i);
        for (int k = 0; k < s.length(); k++) {
            char c = s.charAt(k);
            if (!(c >= '0' && c <= '9' || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-'))
                throw notA("a number", i);
        }
        double x;
        try {
            x = Double.parseDouble(s);
        } catch (NumberFormatException e) {
            throw notA("a number", i);
        }
        if (!Double.isFinite(x)) throw notA("a finite number", i);
        return x;
    }

    /** A number {@code >= 0}. */
    double nonNegative(int i) {
        double x = number(i);
        if (x < 0) throw new BadRow(columns.get(i) + " must be >= 0, got " + fields[i]);
        return x;
    }

    /** A number {@code > 0}. */
    double positive(int i) {
        double x = number(i);
        if (!(x > 0)) throw new BadRow(columns.get(i) + " must be > 0, got " + fields[i]);
        return x;
    }

    /** A decimal integer. */
    int integer(int i) {
        String s = text(i);
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            throw notA("an integer", i);
        }
    }

    /** An integer {@code >= min}. */
    int integerAtLeast(int i, int min) {
        int x = integer(i);
        if (x < min) throw new BadRow(columns.get(i) + " must be >= " + min + ", got " + fields[i]);
        return x;
    }

    String column(int i) {
        return columns.get(i);
    }

    private BadRow notA(String what, int i) {
        return new BadRow(columns.get(i) + " is not " + what + ": '" + fields[i] + "'");
    }
}
