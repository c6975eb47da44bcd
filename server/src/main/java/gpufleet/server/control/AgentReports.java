package gpufleet.server.control;

import gpufleet.protocol.GpuHealth;
import gpufleet.protocol.Heartbeat;
import gpufleet.protocol.TaskReport;

import java.util.Collection;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What agents' heartbeats said that the store does not keep: the GPUs each host reported unhealthy
 * last, the GPUs an admin forced back into service while still reported faulty, and the newest
 * checkpoint of each running job. Read and written without the controller's lock.
 */
final class AgentReports {
    private final ConcurrentHashMap<Integer, Double> checkpoints = new ConcurrentHashMap<>();
    /** The GPUs each host's agent reported unhealthy in its latest heartbeat (absent: none heard since start). */
    private final ConcurrentHashMap<Long, Set<Integer>> reportedBad = new ConcurrentHashMap<>();
    /**
     * GPUs an admin put back into service ({@code resume --force}) while their agent still reported a
     * fault: that standing report is not acted on again until the agent stops making it.
     */
    private final ConcurrentHashMap<Long, Set<Integer>> forcedGood = new ConcurrentHashMap<>();

    /**
     * Notes a heartbeat: its GPU health and its checkpoints (none from the future, give or take a
     * minute of clock skew). Returns the GPUs of the host whose fault report is ignored, as forced.
     */
    Set<Integer> heard(long hostId, Heartbeat hb, double now) {
        Set<Integer> bad = new HashSet<>();
        for (GpuHealth g : hb.gpus()) if (!g.healthy()) bad.add(g.index());
        reportedBad.put(hostId, Set.copyOf(bad));
        // a forced GPU's standing report is ignored until the agent stops making it; then it counts again
        forcedGood.computeIfPresent(hostId, (k, v) -> {
            Set<Integer> still = new HashSet<>(v);
            still.retainAll(bad);
            return still.isEmpty() ? null : Set.copyOf(still);
        });
        for (TaskReport t : hb.tasks())
            if (t.checkpointTime() != null && t.checkpointTime() <= now + 60)
                checkpoints.merge((int) t.job(), t.checkpointTime(), Math::max);
        return forced(hostId);
    }

    /** The GPUs the host's agent reported unhealthy last; null when it has not reported since this controller started. */
    Set<Integer> reportedBad(long hostId) {
        return reportedBad.get(hostId);
    }

    Set<Integer> forced(long hostId) {
        return forcedGood.getOrDefault(hostId, Set.of());
    }

    /** An admin put these GPUs back into service while their agent still reports them faulty. */
    void force(long hostId, Collection<Integer> gpus) {
        if (gpus.isEmpty()) return;
        forcedGood.merge(hostId, Set.copyOf(gpus), (a, b) -> {
            Set<Integer> u = new HashSet<>(a);
            u.addAll(b);
            return Set.copyOf(u);
        });
    }

    /** A new agent process on the host: what the old one said about its GPUs no longer stands. */
    void newAgent(long hostId) {
        reportedBad.remove(hostId);
        forcedGood.remove(hostId);
    }

    /** The newest checkpoint an agent reported for the job's runs, or null. */
    Double checkpoint(int job) {
        return checkpoints.get(job);
    }

    void forgetJob(int job) {
        checkpoints.remove(job);
    }
}
