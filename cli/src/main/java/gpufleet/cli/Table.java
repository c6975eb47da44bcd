package gpufleet.cli;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/** Columns as wide as their widest cell, two spaces apart, as squeue and sinfo print them. */
final class Table {
    private final List<String[]> rows = new ArrayList<>();
    private final int columns;

    Table(String... header) {
        columns = header.length;
        rows.add(header);
    }

    Table add(Object... cells) {
        if (cells.length != columns) throw new IllegalArgumentException(cells.length + " cells for " + columns + " columns");
        String[] r = new String[columns];
        for (int i = 0; i < columns; i++) r[i] = cells[i] == null ? "-" : cells[i].toString();
        rows.add(r);
        return this;
    }

    void print(PrintStream out) {
        print(out, "", true);
    }

    /** Prints each line after {@code indent}, with or without the header. */
    void print(PrintStream out, String indent, boolean header) {
        List<String[]> shown = header ? rows : rows.subList(1, rows.size());
        int[] w = new int[columns];
        for (String[] r : shown) for (int i = 0; i < columns; i++) w[i] = Math.max(w[i], r[i].length());
        StringBuilder sb = new StringBuilder();
        for (String[] r : shown) {
            sb.setLength(0);
            sb.append(indent);
            for (int i = 0; i < columns; i++) {
                sb.append(r[i]);
                // the last column is not padded: a long reason does not leave trailing blanks
                if (i + 1 < columns) sb.append(" ".repeat(w[i] - r[i].length() + 2));
            }
            out.println(sb);
        }
    }
}
