package gpufleet.core.job;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A job's run-time limit, as a submitter writes it: Slurm's {@code --time} forms ({@code MM},
 * {@code MM:SS}, {@code HH:MM:SS}, {@code D-HH}, {@code D-HH:MM}, {@code D-HH:MM:SS}; a bare number is
 * minutes, as in Slurm) or units ({@code 90s}, {@code 90m}, {@code 2h}, {@code 1d}, {@code 1h30m}).
 * The scheduler takes it as the job's run-time estimate for backfill, and the controller ends a run
 * that outlasts it.
 */
public final class TimeLimit {
    /** The longest limit accepted: a year. */
    public static final long MAX_SECONDS = 365L * 86_400;

    private static final Pattern UNITS = Pattern.compile("(?:(\\d+)d)?(?:(\\d+)h)?(?:(\\d+)m)?(?:(\\d+)s)?");
    private static final Pattern DAYS = Pattern.compile("(\\d+)-(\\d+)(?::(\\d+))?(?::(\\d+))?");
    private static final Pattern CLOCK = Pattern.compile("(\\d+)(?::(\\d+))?(?::(\\d+))?");

    private TimeLimit() {}

    /**
     * The limit in seconds.
     *
     * @throws IllegalArgumentException naming the accepted forms, if {@code s} is none of them, zero or
     *                                  over a year
     */
    public static long parse(String s) {
        String t = s == null ? "" : s.strip().toLowerCase(Locale.ROOT);
        long sec = -1;
        try {
            Matcher m;
            if (t.isEmpty()) {
                sec = -1;
            } else if ((m = UNITS.matcher(t)).matches() && !Character.isDigit(t.charAt(t.length() - 1))) {
                sec = seconds(part(m, 1), part(m, 2), part(m, 3), part(m, 4));
            } else if ((m = DAYS.matcher(t)).matches()) {
                sec = seconds(part(m, 1), part(m, 2), part(m, 3), part(m, 4));
            } else if ((m = CLOCK.matcher(t)).matches()) {
                if (m.group(3) != null) sec = seconds(0, part(m, 1), part(m, 2), part(m, 3));
                else sec = seconds(0, 0, part(m, 1), part(m, 2)); // MM or MM:SS, as Slurm reads them
            }
        } catch (NumberFormatException | ArithmeticException e) {
            sec = Long.MAX_VALUE; // digits beyond a long: too long, said below
        }
        if (sec < 0)
            throw new IllegalArgumentException("time limit '" + s + "' is not a duration; use e.g. 90m, 2h, 1d, 1h30m,"
                    + " HH:MM:SS or D-HH:MM:SS (a bare number is minutes)");
        if (sec == 0) throw new IllegalArgumentException("time limit '" + s + "' must be longer than zero");
        if (sec > MAX_SECONDS)
            throw new IllegalArgumentException("time limit '" + s + "' is over the longest accepted, " + format(MAX_SECONDS));
        return sec;
    }

    private static long part(Matcher m, int group) {
        String g = m.group(group);
        return g == null ? 0 : Long.parseLong(g);
    }

    private static long seconds(long d, long h, long m, long s) {
        return Math.addExact(Math.addExact(Math.multiplyExact(d, 86_400), Math.multiplyExact(h, 3600)),
                Math.addExact(Math.multiplyExact(m, 60), s));
    }

    /** Seconds as the shortest unit form {@link #parse} reads back: {@code 1h30m}, {@code 2d}, {@code 45s}. */
    public static String format(long seconds) {
        if (seconds <= 0) return "0s";
        long d = seconds / 86_400, h = seconds / 3600 % 24, m = seconds / 60 % 60, s = seconds % 60;
        StringBuilder sb = new StringBuilder();
        if (d > 0) sb.append(d).append('d');
        if (h > 0) sb.append(h).append('h');
        if (m > 0) sb.append(m).append('m');
        if (s > 0) sb.append(s).append('s');
        return sb.toString();
    }
}
