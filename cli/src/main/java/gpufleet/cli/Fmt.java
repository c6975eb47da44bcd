package gpufleet.cli;

import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;

/** Formatting for people. */
final class Fmt {
    private static final DateTimeFormatter LOCAL = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss", Locale.ROOT);

    private Fmt() {}

    static String duration(double s) {
        if (Double.isNaN(s)) return "-";
        if (s < 120) return String.format(Locale.ROOT, "%.0f s", s);
        if (s < 7200) return String.format(Locale.ROOT, "%.1f min", s / 60);
        if (s < 2 * 86_400) return String.format(Locale.ROOT, "%.1f h", s / 3600);
        return String.format(Locale.ROOT, "%.1f d", s / 86_400);
    }

    /** Elapsed time as squeue prints it: {@code M:SS}, {@code H:MM:SS}, {@code D-HH:MM:SS}; negative counts as 0. */
    static String elapsed(double seconds) {
        long s = Double.isNaN(seconds) || seconds < 0 ? 0 : (long) seconds;
        long d = s / 86_400, h = s / 3600 % 24, m = s / 60 % 60, sec = s % 60;
        if (d > 0) return String.format(Locale.ROOT, "%d-%02d:%02d:%02d", d, h, m, sec);
        if (h > 0) return String.format(Locale.ROOT, "%d:%02d:%02d", h, m, sec);
        return String.format(Locale.ROOT, "%d:%02d", m, sec);
    }

    /** Seconds since the epoch as local date and time. */
    static String time(double epochSeconds) {
        return LOCAL.format(Instant.ofEpochMilli(Math.round(epochSeconds * 1000)).atZone(ZoneId.systemDefault()));
    }

    /** GPU indices with runs collapsed, as {@code 0-3,6}; the input is ascending. */
    static String ranges(List<Integer> xs) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < xs.size(); ) {
            int j = i;
            while (j + 1 < xs.size() && xs.get(j + 1) == xs.get(j) + 1) j++;
            if (!sb.isEmpty()) sb.append(',');
            sb.append(xs.get(i));
            if (j > i) sb.append('-').append(xs.get(j));
            i = j + 1;
        }
        return sb.toString();
    }
}
