package gpufleet.cli;

import java.util.Locale;

/** Formatting for people. */
final class Fmt {
    private Fmt() {}

    static String duration(double s) {
        if (Double.isNaN(s)) return "-";
        if (s < 120) return String.format(Locale.ROOT, "%.0f s", s);
        if (s < 7200) return String.format(Locale.ROOT, "%.1f min", s / 60);
        if (s < 2 * 86_400) return String.format(Locale.ROOT, "%.1f h", s / 3600);
        return String.format(Locale.ROOT, "%.1f d", s / 86_400);
    }
}
