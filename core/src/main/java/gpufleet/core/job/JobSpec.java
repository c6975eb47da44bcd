package gpufleet.core.job;

/**
 * What a user asks for. Validated on construction, so a spec that exists is well formed; whether it
 * can ever fit a given fleet is a separate question ({@code gpufleet.core.sched.Admission}).
 *
 * @param name            a label, not necessarily unique
 * @param team            the team whose quota it counts against
 * @param parallelism     TP x PP x DP x CP; the job's GPU count is their product
 * @param work            how long it trains
 * @param checkpoint      how it saves and restores state
 * @param restartSec      seconds from an interruption until the job runs again on new hardware,
 *                        not counting the wait for hardware or the checkpoint restore
 * @param priority        higher runs first and may preempt lower ({@link Priority})
 * @param submitTime      seconds on the caller's clock
 * @param gpuType         a GPU model the job must run on, or null for any
 * @param maxRestarts     interruptions tolerated before the job is failed
 * @param cluster         the name of a cluster the job must run in, or null for any (a virtual
 *                        cluster's jobs in a trace replay, say)
 * @param recovery        how it comes back after a failure, in parts; null: {@code restartSec} on a
 *                        fresh placement
 */
public record JobSpec(String name, String team, Parallelism parallelism, Work work, CheckpointPolicy checkpoint,
                      double restartSec, int priority, double submitTime, String gpuType, int maxRestarts,
                      String cluster, Recovery recovery) {
    public JobSpec {
        if (name == null || name.isBlank()) name = "job";
        if (team == null || team.isBlank()) team = "default";
        if (parallelism == null) throw new IllegalArgumentException("job '" + name + "': parallelism is required");
        if (work == null) throw new IllegalArgumentException("job '" + name + "': work (duration or model) is required");
        if (checkpoint == null) checkpoint = CheckpointPolicy.NONE;
        if (!(restartSec >= 0) || restartSec > 86_400)
            throw new IllegalArgumentException("job '" + name + "': restart overhead must be in [0 s, 1 day], got " + restartSec);
        if (priority < 0 || priority > 1000)
            throw new IllegalArgumentException("job '" + name + "': priority must be in [0, 1000], got " + priority);
        if (!(submitTime >= 0) || Double.isInfinite(submitTime))
            throw new IllegalArgumentException("job '" + name + "': submit time must be >= 0, got " + submitTime);
        if (maxRestarts < 0) throw new IllegalArgumentException("job '" + name + "': maxRestarts must be >= 0");
    }

    /** A spec that may run in any cluster. */
    public JobSpec(String name, String team, Parallelism parallelism, Work work, CheckpointPolicy checkpoint,
                   double restartSec, int priority, double submitTime, String gpuType, int maxRestarts) {
        this(name, team, parallelism, work, checkpoint, restartSec, priority, submitTime, gpuType, maxRestarts, null);
    }

    /** A spec without recovery parts: every restart costs {@code restartSec}. */
    public JobSpec(String name, String team, Parallelism parallelism, Work work, CheckpointPolicy checkpoint,
                   double restartSec, int priority, double submitTime, String gpuType, int maxRestarts,
                   String cluster) {
        this(name, team, parallelism, work, checkpoint, restartSec, priority, submitTime, gpuType, maxRestarts, cluster,
                null);
    }

    public int gpus() {
        return parallelism.gpus();
    }

    /** GPUs that must share one host: the tensor-parallel group. */
    public int unit() {
        return parallelism.tp();
    }

    public JobSpec withSubmitTime(double t) {
        return new JobSpec(name, team, parallelism, work, checkpoint, restartSec, priority, t, gpuType, maxRestarts,
                cluster, recovery);
    }
}
