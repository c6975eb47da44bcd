package gpufleet.core.job;

import java.util.Locale;

/** Named priority levels; higher runs first and may preempt lower. */
public final class Priority {
    public static final int LOW = 0, NORMAL = 1, HIGH = 2, CRITICAL = 3;

    private Priority() {}

    public static int parse(String s) {
        if (s == null) return NORMAL;
        return switch (s.trim().toLowerCase(Locale.ROOT)) {
            case "low" -> LOW;
            case "normal", "" -> NORMAL;
            case "high" -> HIGH;
            case "critical" -> CRITICAL;
            default -> {
                try {
                    int p = Integer.parseInt(s.trim());
                    if (p < 0 || p > 1000) throw new IllegalArgumentException("priority must be in [0, 1000], got " + p);
                    yield p;
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("unknown priority '" + s + "'; use low, normal, high, critical or 0..1000");
                }
            }
        };
    }

    public static String name(int p) {
        return switch (p) {
            case LOW -> "low";
            case NORMAL -> "normal";
            case HIGH -> "high";
            case CRITICAL -> "critical";
            default -> Integer.toString(p);
        };
    }
}
