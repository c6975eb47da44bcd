package gpufleet.core.lifecycle;

/**
 * Lemon-host quarantine: a host with {@code failures} or more unplanned failures within
 * {@code windowSec} is drained for diagnosis when its repair ends, instead of returning to service.
 * Kokolis et al. ("Revisiting Reliability in Large-Scale Machine Learning Research Clusters", 2024)
 * found about 1.2% of hosts failing far more often than the rest and large jobs' failures falling
 * from 14% to 4% once those were taken out; a repeat failure within a short window is what sets
 * such a host apart, since an ordinary host fails about once in a year and a half.
 *
 * @param failures  failures within the window that mark a lemon; 0 turns quarantine off
 * @param windowSec the window, seconds
 */
public record Quarantine(int failures, double windowSec) {
    public static final Quarantine OFF = new Quarantine(0, 0);

    public Quarantine {
        if (failures < 0) throw new IllegalArgumentException("quarantine threshold must be >= 0, got " + failures);
        if (failures > 0 && !(windowSec > 0 && windowSec <= 3650 * 86_400.0))
            throw new IllegalArgumentException("quarantine window must be in (0, 3650 days], got " + windowSec + " s");
    }

    public boolean on() {
        return failures > 0;
    }

    /**
     * {@code N/WINDOW} (e.g. {@code 2/7d}; the window in seconds or with a unit s, m, h, d or w), or
     * {@code off}. A bad text is refused with a one-line message.
     */
    public static Quarantine parse(String text) {
        String t = text == null ? "" : text.strip();
        if (t.equalsIgnoreCase("off") || t.equals("0")) return OFF;
        String[] p = t.split("/", -1);
        if (p.length != 2) throw new IllegalArgumentException("quarantine wants N/WINDOW, e.g. 2/7d, or off; got '" + text + "'");
        int n;
        try {
            n = Integer.parseInt(p[0].strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("quarantine: '" + p[0] + "' is not a whole number of failures");
        }
        if (n < 1) throw new IllegalArgumentException("quarantine: the number of failures must be at least 1, got " + n);
        var m = java.util.regex.Pattern.compile("([0-9]+(?:\\.[0-9]+)?)([smhdw]?)").matcher(p[1].strip());
        if (!m.matches())
            throw new IllegalArgumentException("quarantine: the window must be a duration such as 7d, 36h or 3600, got '"
                    + p[1] + "'");
        double unit = switch (m.group(2)) {
            case "m" -> 60;
            case "h" -> 3600;
            case "d" -> 86_400;
            case "w" -> 7 * 86_400;
            default -> 1;
        };
        try {
            return new Quarantine(n, Double.parseDouble(m.group(1)) * unit);
        } catch (IllegalArgumentException e) {
            // the record's bounds, in the window as it was typed rather than in seconds
            throw new IllegalArgumentException("quarantine: the window must be more than 0 and at most 3650d, got '"
                    + p[1].strip() + "'");
        }
    }

    /** As {@link #parse} reads it: {@code 2/7d}, or {@code off}. */
    public String describe() {
        if (!on()) return "off";
        double w = windowSec;
        // a window that is no whole number of seconds (parse takes 2/1.5) is written in full: cut to
        // whole seconds it would print a different rule, and below one second one parse refuses
        String win = w % 86_400 == 0 ? (long) (w / 86_400) + "d" : w % 3600 == 0 ? (long) (w / 3600) + "h"
                : w % 60 == 0 ? (long) (w / 60) + "m" : java.math.BigDecimal.valueOf(w).stripTrailingZeros().toPlainString() + "s";
        return failures + "/" + win;
    }
}
