package gpufleet.core.sched;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Policies by name. Explicit, no scanning. */
public final class PolicyRegistry {
    private static final Map<String, Policy> POLICIES = new LinkedHashMap<>();

    static {
        for (Policy p : List.of(Policy.GPUFLEET, Policy.FIFO, Policy.FIFO_BACKFILL, Policy.PRIORITY,
                Policy.PRIORITY_BACKFILL, Policy.SJF,
                Policy.SRTF, Policy.LAS, Policy.FAIR))
            POLICIES.put(p.name(), p);
    }

    private PolicyRegistry() {}

    public static Policy get(String name) {
        Policy p = POLICIES.get(name);
        if (p == null)
            throw new IllegalArgumentException("unknown policy '" + name + "'; known: " + String.join(", ", POLICIES.keySet()));
        return p;
    }

    /** The policy of this name, with LAS thresholds (GPU-seconds) where it uses them. */
    public static Policy get(String name, double[] lasThresholds) {
        return switch (name) {
            case "las" -> Policy.las(lasThresholds);
            case "gpufleet" -> Policy.gpufleet(lasThresholds);
            default -> get(name);
        };
    }

    public static List<Policy> all() {
        return List.copyOf(POLICIES.values());
    }
}
