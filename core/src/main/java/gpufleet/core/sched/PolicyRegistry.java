package gpufleet.core.sched;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Policies by name: each name maps to its standard profile and to a way of building it with other
 * LAS thresholds (policies that use none ignore them). Explicit, no scanning.
 */
public final class PolicyRegistry {
    private record Entry(Policy standard, Function<double[], Policy> withThresholds) {}

    private static final Map<String, Entry> POLICIES = new LinkedHashMap<>();

    static {
        fixed(Policy.GPUFLEET, Policy::gpufleet);
        for (Policy p : List.of(Policy.FIFO, Policy.FIFO_BACKFILL, Policy.PRIORITY, Policy.PRIORITY_BACKFILL,
                Policy.SJF, Policy.SRTF))
            fixed(p, t -> p);
        fixed(Policy.LAS, Policy::las);
        fixed(Policy.FAIR, t -> Policy.FAIR);
        fixed(Policy.TIRESIAS_LAS, Policy::tiresiasLas);
    }

    private static void fixed(Policy p, Function<double[], Policy> withThresholds) {
        POLICIES.put(p.name(), new Entry(p, withThresholds));
    }

    private PolicyRegistry() {}

    public static Policy get(String name) {
        return entry(name).standard();
    }

    /** The policy of this name, with LAS thresholds (GPU-seconds) where it uses them. */
    public static Policy get(String name, double[] lasThresholds) {
        return entry(name).withThresholds().apply(lasThresholds);
    }

    private static Entry entry(String name) {
        Entry e = POLICIES.get(name);
        if (e == null)
            throw new IllegalArgumentException("unknown policy '" + name + "'; known: " + String.join(", ", POLICIES.keySet()));
        return e;
    }

    public static List<Policy> all() {
        return POLICIES.values().stream().map(Entry::standard).toList();
    }
}
