package gpufleet.sim.preset;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The number forms preset files accept (docs/fleet-format.md, "Numbers and durations").
 *
 * <ul>
 *   <li>plain numbers: {@code 3072}, {@code 0.41}, {@code 405e9}, {@code 16_384} (underscores are
 *       ignored);</li>
 *   <li>durations: a number of seconds, or one or more number-unit pairs with units {@code s},
 *       {@code m}, {@code h}, {@code d}, {@code w}: {@code 90s}, {@code 30m}, {@code 6h},
 *       {@code 54d}, {@code 1h30m};</li>
 *   <li>counts (parameters, tokens): a plain number or a number with a decimal suffix {@code K}
 *       (1e3), {@code M} (1e6), {@code B} or {@code G} (1e9), {@code T} (1e12), {@code P} (1e15):
 *       {@code 405B}, {@code 15.6T}.</li>
 * </ul>
 *
 * Every method throws {@link IllegalArgumentException} with a message that quotes the text and
 * names the accepted forms; callers add the file and field.
 */
public final class Units {
    private static final String NUM = "[0-9][0-9_]*(?:\\.[0-9_]*)?(?:[eE][-+]?[0-9]+)?|\\.[0-9][0-9_]*(?:[eE][-+]?[0-9]+)?";
    private static final Pattern NUMBER = Pattern.compile("[-+]?(?:" + NUM + ")");
    private static final Pattern DURATION_PART = Pattern.compile("\\s*(" + NUM + ")\\s*([a-zA-Z]+)");
    private static final Pattern COUNT = Pattern.compile("(" + NUM + ")\\s*([a-zA-Z]?)");

    private Units() {}

    /** A plain decimal number; underscores between digits are ignored. */
    public static double number(String text) {
        String t = text.strip();
        if (!NUMBER.matcher(t).matches())
            throw new IllegalArgumentException("expected a number, got '" + text + "'");
        return Double.parseDouble(t.replace("_", ""));
    }

    /**
     * A duration in seconds: a plain number (seconds) or number-unit pairs such as {@code 90s},
     * {@code 30m}, {@code 6h}, {@code 54d}, {@code 2w}, {@code 1h30m}. Never negative.
     */
    public static double seconds(String text) {
        String t = text.strip();
        if (t.isEmpty()) throw new IllegalArgumentException("expected a duration, got an empty text");
        if (t.startsWith("-")) throw new IllegalArgumentException("a duration cannot be negative, got '" + text + "'");
        if (NUMBER.matcher(t).matches()) return number(t);
        Matcher m = DURATION_PART.matcher(t);
        double total = 0;
        int end = 0;
        while (m.find() && m.start() == end) {
            double unit = switch (m.group(2).toLowerCase(Locale.ROOT)) {
                case "s" -> 1;
                case "m" -> 60;
                case "h" -> 3600;
                case "d" -> 86_400;
                case "w" -> 7 * 86_400;
                default -> throw new IllegalArgumentException("unknown time unit '" + m.group(2) + "' in '" + text
                        + "'; use s, m, h, d or w, e.g. 90s, 30m, 6h, 54d, 1h30m");
            };
            total += Double.parseDouble(m.group(1).replace("_", "")) * unit;
            end = m.end();
        }
        if (end == 0 || end != t.length())
            throw new IllegalArgumentException("expected a duration such as 90 (seconds), 90s, 30m, 6h, 54d or 1h30m, got '"
                    + text + "'");
        return total;
    }

    /** A count such as a parameter or token total: {@code 405e9}, {@code 405B}, {@code 15.6T}. */
    public static double count(String text) {
        String t = text.strip();
        if (NUMBER.matcher(t).matches()) return number(t);
        Matcher m = COUNT.matcher(t);
        if (!m.matches())
            throw new IllegalArgumentException("expected a count such as 405e9, 405B or 15.6T, got '" + text + "'");
        double scale = switch (m.group(2)) {
            case "K", "k" -> 1e3;
            case "M" -> 1e6;
            case "B", "G" -> 1e9;
            case "T" -> 1e12;
            case "P" -> 1e15;
            default -> throw new IllegalArgumentException("unknown suffix '" + m.group(2) + "' in '" + text
                    + "'; use K (1e3), M (1e6), B or G (1e9), T (1e12) or P (1e15)");
        };
        return Double.parseDouble(m.group(1).replace("_", "")) * scale;
    }
}
