package gpufleet.server.store;

import gpufleet.core.job.JobState;

import java.util.List;

/**
 * A job as stored. Times are seconds since the epoch.
 *
 * @param placement      the GPUs it holds while RUNNING, empty otherwise
 * @param generation     bumped every time the job's assignment changes (start, preemption, restart, cancel):
 *                       an agent acting on an older generation is acting on a stale assignment
 * @param startTime      when the current (or last) run began
 * @param firstStartTime when the job first ran
 * @param runSeconds     time it held GPUs in runs that have ended
 * @param lostSeconds    work thrown away at interruptions (since the last checkpoint) plus time spent
 *                       waiting to run again, for interruptions that have been recovered
 * @param lastCheckpoint newest checkpoint the agents reported (epoch seconds), or null
 * @param interruptedAt  when the job was last interrupted, while it waits to run again; null otherwise
 * @param retryAt        while it waits after an interruption, the earliest time it may run again (the
 *                       restart backoff); null when it may run at once
 * @param quickFailures  failures of its own processes in a row, each soon after its run began
 * @param timeLimitSeconds how long one run may last (the scheduler's estimate of its run time); null for no limit
 * @param attainedGpuSeconds GPU-seconds held in runs that ended (the service least-attained-service orders rank by)
 * @param lostWorkSeconds training thrown away at interruptions, without the waits {@code lostSeconds} also counts
 * @param estimatedEnd   while RUNNING, when its run is expected to end; null when unknown
 */
public record JobRecord(long id, String name, String team, int gpus, int tp, int pp, int cp, int priority,
                        JobState state, double submitTime, List<String> command, int maxRestarts,
                        String checkpointDir, int restarts, String reason, List<HostGpus> placement,
                        long generation, Double startTime, Double endTime, Double firstStartTime,
                        double runSeconds, double lostSeconds, Double lastCheckpoint, Double interruptedAt,
                        Double retryAt, int quickFailures, Long timeLimitSeconds, double attainedGpuSeconds,
                        double lostWorkSeconds, Double estimatedEnd) {
    public JobRecord {
        command = List.copyOf(command);
        placement = placement == null ? List.of() : List.copyOf(placement);
    }

    /** A job with a time limit and no lifecycle history beyond its run seconds. */
    public JobRecord(long id, String name, String team, int gpus, int tp, int pp, int cp, int priority,
                     JobState state, double submitTime, List<String> command, int maxRestarts,
                     String checkpointDir, int restarts, String reason, List<HostGpus> placement,
                     long generation, Double startTime, Double endTime, Double firstStartTime,
                     double runSeconds, double lostSeconds, Double lastCheckpoint, Double interruptedAt,
                     Double retryAt, int quickFailures, Long timeLimitSeconds) {
        this(id, name, team, gpus, tp, pp, cp, priority, state, submitTime, command, maxRestarts, checkpointDir,
                restarts, reason, placement, generation, startTime, endTime, firstStartTime, runSeconds, lostSeconds,
                lastCheckpoint, interruptedAt, retryAt, quickFailures, timeLimitSeconds, runSeconds * gpus, 0, null);
    }

    /** A job with no time limit. */
    public JobRecord(long id, String name, String team, int gpus, int tp, int pp, int cp, int priority,
                     JobState state, double submitTime, List<String> command, int maxRestarts,
                     String checkpointDir, int restarts, String reason, List<HostGpus> placement,
                     long generation, Double startTime, Double endTime, Double firstStartTime,
                     double runSeconds, double lostSeconds, Double lastCheckpoint, Double interruptedAt,
                     Double retryAt, int quickFailures) {
        this(id, name, team, gpus, tp, pp, cp, priority, state, submitTime, command, maxRestarts, checkpointDir,
                restarts, reason, placement, generation, startTime, endTime, firstStartTime, runSeconds, lostSeconds,
                lastCheckpoint, interruptedAt, retryAt, quickFailures, null);
    }

    /**
     * Time lost so far, counting an interruption still being waited out at {@code now}. A job that has
     * ended waits for nothing: its wait stopped counting when it ended, however late it is asked.
     */
    public double lostSecondsAt(double now) {
        double until = endTime != null ? Math.min(now, endTime) : now;
        return lostSeconds + (interruptedAt == null ? 0 : Math.max(0, until - interruptedAt));
    }

    /**
     * Effective training time ratio at {@code now}: the share of the time since the job first started
     * that went to progress that was kept. Null before the first start.
     */
    public Double ettrAt(double now) {
        if (firstStartTime == null) return null;
        double end = endTime != null ? endTime : now;
        double elapsed = end - firstStartTime;
        if (elapsed <= 0) return 1.0;
        return Math.max(0, Math.min(1, (elapsed - lostSecondsAt(end)) / elapsed));
    }
}
