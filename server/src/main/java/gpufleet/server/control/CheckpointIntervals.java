package gpufleet.server.control;

import gpufleet.core.failure.Checkpointing;
import gpufleet.core.failure.FailureCause;
import gpufleet.core.failure.FailureModel;
import gpufleet.core.lifecycle.Lifecycle;
import gpufleet.core.lifecycle.Run;
import gpufleet.core.state.Placement;
import gpufleet.core.topology.Topology;
import gpufleet.server.store.JobRecord;
import gpufleet.server.store.Store;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The checkpoint interval the controller advises each running job: the Young/Daly optimum
 * ({@link Checkpointing#youngDaly}) of the job's checkpoint cost and the failure rate its hosts show,
 * as the lifecycle measures it ({@link Lifecycle#liveMtbfSec}, the twin's code): the hosts' unplanned
 * failures over the last 30 days (less on a younger fleet), blended with the {@code llama3} failure
 * model's rate for a job of that size counted as 7 days of observation, plus the model's rate of
 * failures no host shows (the job's own software). Hosts that fail often shorten it, a quiet fleet
 * lengthens it.
 *
 * <p>The checkpoint cost is what the job reported last, a rank appending {@code checkpoint STEP SECONDS}
 * to its progress file, else the controller's {@code --checkpoint-cost} ({@link #DEFAULT_COST_SEC} by
 * default). A run is told its interval when it starts ({@code GPUFLEET_CHECKPOINT_INTERVAL}); while it runs the
 * interval is recomputed every {@link #REFRESH_SEC} and after each host failure, and a change of more than
 * {@link #CHANGE} goes out with the run's assignment, which the agent writes to the file
 * {@code GPUFLEET_CHECKPOINT_INTERVAL_FILE} names. Runs with the controller's lock held, except
 * {@link #told}.
 */
final class CheckpointIntervals {
    /**
     * The checkpoint cost assumed for a job, seconds of training stalled by one checkpoint: about the
     * blocking write of the twin's {@code llama3-405b} preset (33 s); an asynchronous checkpoint stalls
     * for far less, and its job is then told too short an interval, the safe side.
     */
    static final double DEFAULT_COST_SEC = 30;
    static final double REFRESH_SEC = 60;
    /** The relative change that is worth telling a running job about. */
    static final double CHANGE = 0.1;

    private final Store store;
    private final double costSec;
    private final FailureModel prior = FailureModel.LLAMA3;
    /** The interval each running job was last told, seconds. */
    private final Map<Long, Double> told = new ConcurrentHashMap<>();
    /** The checkpoint cost each job reported last (through its ranks' progress files), seconds. */
    private final Map<Long, Double> costs = new ConcurrentHashMap<>();
    private double origin = Double.NaN;
    private double lastRefresh = Double.NEGATIVE_INFINITY;
    /** A host failed or a job reported another checkpoint cost since the last refresh. */
    private volatile boolean dirty;

    private final java.util.function.DoubleSupplier clock;

    CheckpointIntervals(Store store, double costSec, java.util.function.DoubleSupplier clock) {
        this.clock = clock;
        if (!(costSec > 0 && costSec <= 86_400))
            throw new IllegalArgumentException("the checkpoint cost must be in (0, 86400] seconds, got " + costSec);
        this.store = store;
        this.costSec = costSec;
    }

    /** The checkpoint cost the job's interval is worked out from: the one it reported, else the default. */
    double costSec(long job) {
        return costs.getOrDefault(job, costSec);
    }

    /**
     * A rank of the job reported what its newest checkpoint cost; read without the lock. A cost that moved
     * by more than {@link #CHANGE} has the next {@link #refresh} recompute the intervals.
     */
    void costReported(long job, double cost) {
        Double was = costs.put(job, cost);
        if (was == null ? Math.abs(cost - costSec) > CHANGE * costSec : Math.abs(cost - was) > CHANGE * was)
            dirty = true;
    }

    /** The interval the job was last told, or null; read without the lock by the assignment book. */
    Double told(long job) {
        return told.get(job);
    }

    /** A run of {@code job} starts (or is taken back after a restart): works out the interval it is told. */
    void plan(Lifecycle lc, long job) {
        Double v = compute(lc, job, clock.getAsDouble());
        if (v == null) told.remove(job);
        else told.put(job, v);
    }

    /** A host failed: the next {@link #refresh} recomputes every running job's interval. */
    void hostFailed() {
        dirty = true;
    }

    /**
     * Recomputes the running jobs' intervals, at most every {@link #REFRESH_SEC} unless a host failed
     * since; returns the jobs whose interval moved by more than {@link #CHANGE}, whose assignments must
     * be published again.
     */
    List<JobRecord> refresh(Lifecycle lc, Collection<JobRecord> running, double now) {
        if (lc == null || (!dirty && now - lastRefresh < REFRESH_SEC)) return List.of();
        dirty = false;
        lastRefresh = now;
        told.keySet().retainAll(running.stream().map(JobRecord::id).toList());
        List<JobRecord> changed = new ArrayList<>();
        for (JobRecord r : running) {
            Double v = compute(lc, r.id(), now);
            if (v == null) continue;
            Double was = told.get(r.id());
            if (was == null || Math.abs(v - was) > CHANGE * was) {
                told.put(r.id(), v);
                changed.add(r);
            }
        }
        return changed;
    }

    void forget(long job) {
        told.remove(job);
    }

    /** The job has ended: its reported cost goes too. */
    void forgetJob(long job) {
        told.remove(job);
        costs.remove(job);
    }

    /** The Young/Daly interval for the job's current run at {@code now}; null when it does not run. */
    Double compute(Lifecycle lc, long job, double now) {
        if (lc == null) return null;
        Run run = lc.run(Math.toIntExact(job));
        if (run == null) return null;
        Placement p = run.placement();
        Topology t = lc.topology();
        String type = t.cluster(p.cluster(t)).gpuType();
        int gpus = lc.job(Math.toIntExact(job)).gpus();
        double host = 0, own = 0;
        for (FailureCause c : prior.causes()) {
            if (c.planned()) continue;
            double r = c.jobRatePerDay(gpus, p.hostCount(), type) / 86_400;
            if (c.scope() == FailureCause.Scope.JOB) own += r;
            else host += r;
        }
        if (Double.isNaN(origin)) {
            Double first = store.firstRegistration();
            origin = first == null ? now : first;
        }
        double mtbf = lc.liveMtbfSec(p, host, own, now, now - origin);
        return Checkpointing.youngDaly(costSec(job), mtbf);
    }
}
