package gpufleet.testkit;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Counts of values a property run saw, to check that its generators reach the cases it is about
 * (coverage) and, with {@code -Dgpufleet.stats=true}, to print how often each came up.
 */
public final class Tally {
    public static final String STATS_PROPERTY = "gpufleet.stats";

    private final String name;
    private final Map<Object, Integer> counts = new LinkedHashMap<>();
    private int total;

    public Tally(String name) {
        this.name = name;
    }

    public void collect(Object value) {
        counts.merge(value, 1, Integer::sum);
        total++;
    }

    public int count(Object value) {
        return counts.getOrDefault(value, 0);
    }

    public int total() {
        return total;
    }

    /** The share of {@code value} in everything collected, in percent; 0 if nothing was. */
    public double percentage(Object value) {
        return total == 0 ? 0 : 100.0 * count(value) / total;
    }

    /** Prints the counts to standard output when {@code -Dgpufleet.stats=true}; otherwise nothing. */
    public void report() {
        if (Boolean.getBoolean(STATS_PROPERTY)) System.out.println(this);
    }

    @Override
    public String toString() {
        var sb = new StringBuilder(name).append(" (").append(total).append(")");
        counts.entrySet().stream()
                .sorted(Map.Entry.<Object, Integer>comparingByValue().reversed())
                .forEach(e -> sb.append(String.format("%n  %-10s %6d  %5.1f%%", e.getKey(), e.getValue(),
                        percentage(e.getKey()))));
        return sb.toString();
    }
}
