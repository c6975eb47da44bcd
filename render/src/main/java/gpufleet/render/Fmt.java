package gpufleet.render;

import java.util.Locale;

/**
 * Numbers for people: grouped counts (1,234), compact magnitudes (12.3k, 4.5M), durations in the
 * largest fitting unit (45 s, 12.3 h, 4.5 d), money ($1.2M) and percentages. Independent of the
 * default locale; a non-finite value prints as {@link #NONE}.
 */
public final class Fmt {

    /** What a missing or non-finite value prints as. */
    public static final String NONE = "–";

    private Fmt() {}

    /** 1,234,567. */
    public static String count(long n) {
        return String.format(Locale.ROOT, "%,d", n);
    }

    /** About three significant figures, grouped: 0.53, 12.3, 456, 7,890. */
    public static String decimal(double x) {
        if (!Double.isFinite(x)) return NONE;
        double a = Math.abs(x);
        String s;
        if (a >= 99.95) s = String.format(Locale.ROOT, "%,.0f", x);
        else if (a >= 9.995) s = String.format(Locale.ROOT, "%.1f", x);
        else s = String.format(Locale.ROOT, "%.2f", x);
        return trimZeros(s);
    }

    /** Plain below ten thousand, then 12.3k, 456k, 7.8M, 9.1B. */
    public static String compact(double x) {
        if (!Double.isFinite(x)) return NONE;
        double a = Math.abs(x);
        if (a < 9_999.5) return decimal(x);
        String[] units = {"k", "M", "B", "T"};
        double scale = 1e3;
        for (int i = 0; i < units.length; i++, scale *= 1e3) {
            double v = x / scale;
            if (Math.abs(v) < 999.5 || i == units.length - 1) {
                String s = Math.abs(v) < 99.95 ? String.format(Locale.ROOT, "%.1f", v)
                                               : String.format(Locale.ROOT, "%,.0f", v);
                return trimZeros(s) + units[i];
            }
        }
        throw new AssertionError();
    }

    /** $950, $12.3k, $1.2M. */
    public static String usd(double x) {
        if (!Double.isFinite(x)) return NONE;
        return (x < 0 ? "-$" : "$") + compact(Math.abs(x));
    }

    /** A fraction as a percentage: 0.9123 → 91.2%. */
    public static String percent(double fraction) {
        if (!Double.isFinite(fraction)) return NONE;
        return trimZeros(String.format(Locale.ROOT, "%.1f", fraction * 100)) + "%";
    }

    /** Seconds in the largest unit that keeps the number at least 1: 45 s, 12.5 min, 12.3 h, 4.5 d. */
    public static String duration(double seconds) {
        if (!Double.isFinite(seconds)) return NONE;
        if (seconds < 0) return "-" + duration(-seconds);
        if (seconds == 0) return "0 s";
        double v;
        String unit;
        if (seconds < 59.95) { v = seconds; unit = " s"; }
        else if (seconds < 3_597) { v = seconds / 60; unit = " min"; }
        else if (seconds < 86_220) { v = seconds / 3_600; unit = " h"; }
        else { v = seconds / 86_400; unit = " d"; }
        String s = v >= 99.95 ? String.format(Locale.ROOT, "%,.0f", v) : String.format(Locale.ROOT, "%.1f", v);
        return trimZeros(s) + unit;
    }

    /** GPU-hours, compact: 12.3k GPU-h. */
    public static String gpuHours(double h) {
        return Double.isFinite(h) ? compact(h) + " GPU-h" : NONE;
    }

    /** Megawatt-hours: 0.42 MWh, 123 MWh, 12.3k MWh. */
    public static String mwh(double x) {
        return Double.isFinite(x) ? compact(x) + " MWh" : NONE;
    }

    private static String trimZeros(String s) {
        if (s.indexOf('.') < 0) return s;
        int end = s.length();
        while (s.charAt(end - 1) == '0') end--;
        if (s.charAt(end - 1) == '.') end--;
        return s.substring(0, end);
    }
}
