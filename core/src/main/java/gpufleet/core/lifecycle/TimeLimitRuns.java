package gpufleet.core.lifecycle;

import gpufleet.core.job.Job;
import gpufleet.core.job.JobState;
import gpufleet.core.job.Work;
import gpufleet.core.state.Placement;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs whose work nobody knows in advance, as the controller runs them: each ends when its processes
 * say so. What the submitter gave (Slurm's {@code --time}) is the only estimate: a waiting job's limit,
 * what is left of a running one's, and a run's expected end at the end of its limit; unknown (so never
 * backfilled ahead of a reservation) without one. No periodic checkpoints are assumed: work survives
 * only up to a checkpoint the driver reports ({@link Lifecycle#checkpointed}).
 */
public final class TimeLimitRuns implements Lifecycle.Runs {
    /** The work of a job that runs until it says it is done: the longest the core accepts. */
    public static final Work UNKNOWN_WORK = new Work.Fixed(20 * 365 * 86_400.0);

    private final Map<Integer, Long> limits = new HashMap<>();

    /** Notes the job's time limit in seconds; null for none. */
    public void set(int job, Long seconds) {
        if (seconds == null) limits.remove(job);
        else limits.put(job, seconds);
    }

    public void remove(int job) { limits.remove(job); }

    public Long limit(int job) { return limits.get(job); }

    public void clear() { limits.clear(); }

    public boolean isEmpty() { return limits.isEmpty(); }

    @Override
    public double estimate(Job job, int cluster, double now) {
        Long limit = limits.get(job.id());
        if (limit == null) return Double.POSITIVE_INFINITY;
        return job.state() == JobState.RUNNING ? Math.max(0, limit - (now - job.runStart())) : limit;
    }

    @Override
    public Lifecycle.RunPlan plan(Job job, Placement p, double now, double startup) {
        return new Lifecycle.RunPlan(Double.POSITIVE_INFINITY, 0, estimatedEnd(job.id(), now));
    }

    /** When a run of {@code job} that starts at {@code start} is expected to end; +inf without a limit. */
    public double estimatedEnd(int job, double start) {
        Long limit = limits.get(job);
        return limit == null ? Double.POSITIVE_INFINITY : start + limit;
    }

    /**
     * The running jobs whose run has lasted its limit at {@code now}, by id: they end as Slurm's
     * TIMEOUT ends them, for good (another run would meet the same limit).
     */
    public List<Integer> overdue(Collection<Job> running, double now) {
        List<Integer> out = new ArrayList<>();
        if (limits.isEmpty()) return out;
        for (Job j : running) {
            Long limit = limits.get(j.id());
            if (limit != null && now - j.runStart() >= limit) out.add(j.id());
        }
        out.sort(null);
        return out;
    }

    /** The lifecycle options a driver of such runs uses: agents kill preempted ranks, so work since the last checkpoint is lost. */
    public static Lifecycle.Options options(RestartRule rule) {
        return new Lifecycle.Options(rule, false, 0, Map.of());
    }
}
