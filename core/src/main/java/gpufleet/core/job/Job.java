package gpufleet.core.job;

import gpufleet.core.state.Placement;

import java.util.Map;
import java.util.TreeMap;

/**
 * A job as the scheduler and the bookkeeping see it: its spec, its state and what has happened to
 * it. Every state change goes through {@link #moveTo}, which refuses transitions that
 * {@link JobState} does not allow. Times are seconds on the caller's clock.
 */
public final class Job {
    private final int id;
    private final JobSpec spec;
    // copied out of the spec: a scheduling cycle reads them for every queued job, and one load beats three
    private final int gpus, unit, priority;
    private final double submitTime;
    private final String team;
    private final boolean anyCluster;
    private JobState state = JobState.PENDING;
    private Placement placement;
    private int restarts;
    private int preemptions;
    private double runStart = Double.NaN;
    private double firstStart = Double.NaN;
    private double endTime = Double.NaN;
    private double waitingSince;
    private double queueWait;
    private double estimatedEnd = Double.POSITIVE_INFINITY;
    private double attainedGpuSeconds;
    private String reason = "";
    private String reasonCode = "";
    private final Map<String, Integer> interruptions = new TreeMap<>();

    public Job(int id, JobSpec spec) {
        if (id < 0) throw new IllegalArgumentException("job id must be >= 0");
        this.id = id;
        this.spec = spec;
        this.gpus = spec.gpus();
        this.unit = spec.unit();
        this.anyCluster = spec.gpuType() == null && spec.cluster() == null;
        this.priority = spec.priority();
        this.submitTime = spec.submitTime();
        // one String per team, not per job: each cycle looks every queued job's team up in a map
        this.team = spec.team().intern();
        this.waitingSince = submitTime;
    }

    public int id() { return id; }
    public JobSpec spec() { return spec; }
    public JobState state() { return state; }
    public Placement placement() { return placement; }
    public int restarts() { return restarts; }
    public int preemptions() { return preemptions; }
    public double runStart() { return runStart; }
    public double firstStart() { return firstStart; }
    public double endTime() { return endTime; }
    public double queueWait() { return queueWait; }
    public double waitingSince() { return waitingSince; }
    public int gpus() { return gpus; }
    /** GPUs that must share one host ({@link JobSpec#unit()}). */
    public int unit() { return unit; }
    /** Whether the job names neither a GPU type nor a cluster: any cluster large enough may run it. */
    public boolean anyCluster() { return anyCluster; }
    public int priority() { return priority; }
    public String team() { return team; }
    public double submitTime() { return submitTime; }
    /** When the caller expects the current run to end; +infinity when unknown. Used by backfill. */
    public double estimatedEnd() { return estimatedEnd; }
    /** GPU-seconds this job has held GPUs so far (for least-attained-service orders). */
    public double attainedGpuSeconds() { return attainedGpuSeconds; }
    /** Why the job is waiting, or how it ended. */
    public String reason() { return reason; }
    /**
     * What kind of wait {@link #reason()} is, as a code programs switch on: the name of the scheduler's
     * status code from the last cycle that considered the job ({@code NO_FREE_GPUS}, {@code TEAM_QUOTA}...);
     * "" when the reason came from anything else (a restart, a preemption, an end).
     */
    public String reasonCode() { return reasonCode; }
    public Map<String, Integer> interruptionsByCause() { return Map.copyOf(interruptions); }
    public int interruptions() { return interruptions.values().stream().mapToInt(Integer::intValue).sum(); }

    public void setEstimatedEnd(double t) { this.estimatedEnd = t; }
    public void setReason(String r) { setReason(r, ""); }
    /** Sets the reason with its code (see {@link #reasonCode()}). */
    public void setReason(String r, String code) {
        this.reason = r == null ? "" : r;
        this.reasonCode = code == null ? "" : code;
    }
    public void addAttained(double gpuSeconds) { this.attainedGpuSeconds += gpuSeconds; }

    /** Starts (or restarts) the job on {@code p}. */
    public void start(double now, Placement p) {
        if (p.gpus() != spec.gpus())
            throw new IllegalArgumentException("job " + id + " needs " + spec.gpus() + " GPUs, placement has " + p.gpus());
        moveTo(JobState.RUNNING);
        placement = p;
        runStart = now;
        if (Double.isNaN(firstStart)) firstStart = now;
        queueWait += now - waitingSince;
        reason = "";
        reasonCode = "";
    }

    /**
     * The current run was stopped by a failure: RESTARTING with one more restart when {@code restart},
     * else FAILED; {@code reason} says why. Only a running job can be interrupted. Whether it restarts
     * and how the reason reads is the lifecycle's restart rule ({@code gpufleet.core.lifecycle.RestartRule}).
     */
    public void interrupt(double now, String cause, boolean restart, String reason) {
        if (state != JobState.RUNNING)
            throw new IllegalStateException("job " + id + ": cannot interrupt a job that is " + state + " (only RUNNING)");
        interruptions.merge(cause, 1, Integer::sum);
        placement = null;
        if (!restart) {
            moveTo(JobState.FAILED);
            endTime = now;
            this.reason = reason;
            reasonCode = "";
            return;
        }
        moveTo(JobState.RESTARTING);
        restarts++;
        waitingSince = now;
        this.reason = reason;
        reasonCode = "";
    }

    /**
     * Gives a job rebuilt from storage the history it had: restarts, preemptions, GPU-seconds held and
     * since when it waits. Only for a job not yet started in this process.
     */
    public void restore(int restarts, int preemptions, double attainedGpuSeconds, double waitingSince) {
        if (state != JobState.PENDING || !Double.isNaN(runStart))
            throw new IllegalStateException("job " + id + ": only a fresh job can be restored, this one is " + state);
        if (restarts < 0 || preemptions < 0 || !(attainedGpuSeconds >= 0))
            throw new IllegalArgumentException("job " + id + ": restarts, preemptions and attained service must be >= 0");
        this.restarts = restarts;
        this.preemptions = preemptions;
        this.attainedGpuSeconds = attainedGpuSeconds;
        this.waitingSince = waitingSince;
    }

    public void preempt(double now, int byJob) {
        moveTo(JobState.PREEMPTED);
        preemptions++;
        placement = null;
        waitingSince = now;
        reason = "preempted by job " + byJob;
        reasonCode = "";
    }

    public void complete(double now) {
        moveTo(JobState.COMPLETED);
        placement = null;
        endTime = now;
    }

    public void fail(double now, String why) {
        moveTo(JobState.FAILED);
        placement = null;
        endTime = now;
        reason = why;
        reasonCode = "";
    }

    public void cancel(double now) {
        moveTo(JobState.CANCELLED);
        placement = null;
        endTime = now;
    }

    private void moveTo(JobState to) {
        if (!state.canMoveTo(to))
            throw new IllegalStateException("job " + id + ": cannot go from " + state + " to " + to);
        state = to;
    }

    @Override
    public String toString() {
        return "Job[" + id + " " + spec.name() + " " + state + " " + spec.gpus() + " GPUs]";
    }
}
