package gpufleet.server.metrics;

/**
 * Prometheus' text exposition format, version 0.0.4: a {@code # HELP} and {@code # TYPE} line per
 * metric family, then its samples. Label values and help text are escaped as the format requires.
 */
final class Exposition {
    static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private final StringBuilder out = new StringBuilder(16 * 1024);

    /** Starts a family; {@code type} is counter, gauge or histogram. */
    Exposition family(String name, String type, String help) {
        out.append("# HELP ").append(name).append(' ');
        for (int i = 0; i < help.length(); i++) {
            char c = help.charAt(i);
            if (c == '\\') out.append("\\\\");
            else if (c == '\n') out.append("\\n");
            else out.append(c);
        }
        out.append("\n# TYPE ").append(name).append(' ').append(type).append('\n');
        return this;
    }

    /** A sample; {@code labels} alternate name and value. */
    Exposition sample(String name, double value, String... labels) {
        out.append(name);
        if (labels.length > 0) {
            out.append('{');
            for (int i = 0; i < labels.length; i += 2) {
                if (i > 0) out.append(',');
                out.append(labels[i]).append("=\"");
                String v = labels[i + 1] == null ? "" : labels[i + 1];
                for (int k = 0; k < v.length(); k++) {
                    char c = v.charAt(k);
                    switch (c) {
                        case '\\' -> out.append("\\\\");
                        case '"' -> out.append("\\\"");
                        case '\n' -> out.append("\\n");
                        default -> out.append(c);
                    }
                }
                out.append('"');
            }
            out.append('}');
        }
        return value(value);
    }

    private Exposition value(double v) {
        out.append(' ');
        if (Double.isNaN(v)) out.append("NaN");
        else if (v == Double.POSITIVE_INFINITY) out.append("+Inf");
        else if (v == Double.NEGATIVE_INFINITY) out.append("-Inf");
        else if (v == Math.rint(v) && Math.abs(v) < 1e15) out.append((long) v);
        else out.append(v);
        out.append('\n');
        return this;
    }

    /** A bound as the {@code le} label writes it. */
    static String le(double bound) {
        if (bound == Double.POSITIVE_INFINITY) return "+Inf";
        return java.math.BigDecimal.valueOf(bound).stripTrailingZeros().toPlainString();
    }

    String text() {
        return out.toString();
    }
}
