package gpufleet.core.sched;

import java.util.HashMap;
import java.util.Map;

/** Per-team limits on GPUs held at once. A team with no entry is unlimited. Immutable. */
public record Quotas(Map<String, Integer> maxGpus) {
    public static final Quotas NONE = new Quotas(Map.of());

    public Quotas {
        maxGpus = Map.copyOf(maxGpus);
        maxGpus.forEach((team, q) -> {
            if (q == null || q < 0) throw new IllegalArgumentException("team '" + team + "': quota must be >= 0 GPUs");
        });
    }

    public int limit(String team) {
        Integer q = maxGpus.get(team);
        return q == null ? Integer.MAX_VALUE : q;
    }

    public Quotas with(String team, int gpus) {
        var m = new HashMap<>(maxGpus);
        m.put(team, gpus);
        return new Quotas(m);
    }
}
