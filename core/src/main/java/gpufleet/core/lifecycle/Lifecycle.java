package gpufleet.core.lifecycle;

import gpufleet.core.job.Job;
import gpufleet.core.job.JobSpec;
import gpufleet.core.job.JobState;
import gpufleet.core.lifecycle.LifecycleEvent.Cancelled;
import gpufleet.core.lifecycle.LifecycleEvent.Completed;
import gpufleet.core.lifecycle.LifecycleEvent.Failed;
import gpufleet.core.lifecycle.LifecycleEvent.Interrupted;
import gpufleet.core.lifecycle.LifecycleEvent.Preempted;
import gpufleet.core.lifecycle.LifecycleEvent.Rejected;
import gpufleet.core.lifecycle.LifecycleEvent.Started;
import gpufleet.core.lifecycle.LifecycleEvent.Submitted;
import gpufleet.core.sched.Decision;
import gpufleet.core.sched.Policy;
import gpufleet.core.sched.Quotas;
import gpufleet.core.sched.RunningSet;
import gpufleet.core.sched.Scheduler;
import gpufleet.core.state.FleetState;
import gpufleet.core.state.HostStatus;
import gpufleet.core.state.Placement;
import gpufleet.core.topology.Topology;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.TreeSet;

/**
 * The one owner of a fleet's jobs, for the twin and the controller alike: the waiting queue, the
 * running set, the fleet state and the scheduler, and for each job its attained service, estimated
 * end, restarts, lost work and checkpoints. Drivers feed it events on their own clock (the twin's
 * virtual one, the controller's wall clock) and consume the {@link LifecycleEvent}s it returns.
 *
 * <p><b>Plan, then apply.</b> Every change is first planned as an event without changing anything
 * ({@link #decide}, {@link #planInterrupt}, {@link #planComplete}, {@link #planFail},
 * {@link #planCancel}) and then {@link #apply applied}. A driver that must persist before acting
 * (the controller) writes the planned events between the two steps; one that need not (the twin)
 * calls the one-step forms ({@link #cycle}, {@link #interrupt}, ...). A scheduling cycle is the
 * exception the scheduler imposes: {@link #decide} already changes the fleet state, so a driver
 * that cannot persist its decisions must rebuild the lifecycle.
 *
 * <p>Pure: no I/O, no clock, no randomness. Not thread-safe; the driver serialises calls.
 */
public final class Lifecycle {

    /** What only a driver knows about runs: how long they take and how they checkpoint. */
    public interface Runs {
        /** Seconds {@code job} would run if started at {@code now} in cluster {@code c} (-1: any), +inf if unknown. */
        double estimate(Job job, int cluster, double now);

        /** The new run's checkpointing and expected end, for a job that starts now on {@code p}. */
        RunPlan plan(Job job, Placement p, double now, double startup);
    }

    /**
     * @param interval     seconds of training between checkpoints; +inf for none
     * @param write        seconds a checkpoint takes to write
     * @param estimatedEnd when the run is expected to end, +inf if unknown (backfill reads it)
     * @param persist      seconds after a write's stall until the checkpoint is safe in storage
     *                     (asynchronous checkpointing; 0: safe when the stall ends)
     */
    public record RunPlan(double interval, double write, double estimatedEnd, double persist) {
        public static final RunPlan UNKNOWN = new RunPlan(Double.POSITIVE_INFINITY, 0, Double.POSITIVE_INFINITY);

        public RunPlan(double interval, double write, double estimatedEnd) {
            this(interval, write, estimatedEnd, 0);
        }
    }

    /**
     * How the lifecycle treats runs that stop.
     *
     * @param restarts          the restart rule for interruptions
     * @param preemptionSaves   whether a preempted job saves before it stops (the twin's model) or is
     *                          killed and loses the work since its last checkpoint (what agents do)
     * @param preemptionCostSec seconds a preempted job pays when it resumes; NaN: its own checkpoint
     *                          write plus restore
     * @param shares            team to guaranteed GPUs, for fair-share orders
     */
    public record Options(RestartRule restarts, boolean preemptionSaves, double preemptionCostSec,
                          Map<String, Integer> shares) {
        public static final Options TWIN = new Options(RestartRule.IMMEDIATE, true, Double.NaN, Map.of());

        public Options {
            if (restarts == null) restarts = RestartRule.IMMEDIATE;
            shares = Map.copyOf(shares == null ? Map.of() : shares);
        }
    }

    /**
     * What a job rebuilt from storage had beyond its record's state: lost work, backoff, the newest
     * checkpoint and its run's expected end (NaN where unknown).
     */
    public record Restored(double lostWork, int quickFailures, double retryAt, double lastCheckpoint,
                           double estimatedEnd) {
        public static final Restored NONE = new Restored(0, 0, Double.NaN, Double.NaN, Double.NaN);
    }

    private static final class Entry {
        final Job job;
        Run run;
        double pendingStartup;
        int quickFailures;
        double retryAt = Double.NaN;
        double lostWork;
        /** the placement a failure broke, for a job that restarts only what failed; null otherwise */
        Placement broken;

        Entry(Job job) { this.job = job; }
    }

    private final Topology topo;
    private final FleetState state;
    private final Policy policy;
    private final Scheduler scheduler;
    private final RunningSet running;
    private final TreeSet<Job> waiting;
    private final Map<Integer, Entry> jobs = new HashMap<>();
    private final Options options;
    private final Runs runs;
    private Quotas quotas = new Quotas(Map.of());
    private int backingOff;
    private long partialRestarts, spareSwaps;
    /** jobs whose gang broke since the last cycle and that restart only what failed */
    private final List<Entry> toRepair = new ArrayList<>();
    private final java.util.Set<Integer> quarantined = new java.util.HashSet<>();
    private Quarantine quarantine = Quarantine.OFF;
    /** unplanned failure times per host within the quarantine window, oldest first */
    private final Map<Integer, java.util.ArrayDeque<Double>> recentFailures = new HashMap<>();

    /** A lifecycle over {@code state}, which it owns from now on, scheduling with {@code policy}. */
    private double wakeAt = Double.POSITIVE_INFINITY;

    public Lifecycle(FleetState state, Policy policy, Options options, Runs runs) {
        this.topo = state.topology();
        this.state = state;
        this.policy = policy;
        this.scheduler = new Scheduler(topo, policy);
        this.running = new RunningSet(topo);
        this.waiting = new TreeSet<>(policy.order().comparator());
        this.options = options == null ? Options.TWIN : options;
        this.runs = runs;
    }

    public Topology topology() { return topo; }
    public FleetState fleet() { return state; }
    public Scheduler scheduler() { return scheduler; }
    /**
     * When the last cycle's policy wants another cycle even if nothing else happens (a job crossing a
     * least-attained-service threshold); +inf for never. Drivers schedule a cycle then.
     */
    public double wakeAt() { return wakeAt; }
    public Policy policy() { return policy; }
    public RunningSet running() { return running; }
    /** Waiting jobs in the policy's static order. */
    public NavigableSet<Job> waiting() { return Collections.unmodifiableNavigableSet(waiting); }
    /** Restarts that kept the gang's healthy hosts ({@link GangRepair}), so far. */
    public long partialRestarts() { return partialRestarts; }
    /** Hot spares brought into gangs in place of failed hosts, so far. */
    public long spareSwaps() { return spareSwaps; }
    /** Hosts drained as lemons so far. */
    public long quarantined() { return quarantined.size(); }

    /** Whether host {@code h} was drained as a lemon. */
    public boolean isQuarantined(int h) { return quarantined.contains(h); }
    public void setQuarantine(Quarantine q) { this.quarantine = q == null ? Quarantine.OFF : q; }

    /** Unplanned failures of host {@code h} within the quarantine window before {@code now} (0 when off). */
    public int recentFailures(int h, double now) {
        return quarantine.on() ? failuresSince(h, now - quarantine.windowSec()) : 0;
    }

    /** Unplanned failures of host {@code h} after {@code since} (as far back as the history goes). */
    public int failuresSince(int h, double since) {
        var q = recentFailures.get(h);
        if (q == null) return 0;
        int n = 0;
        for (var it = q.descendingIterator(); it.hasNext() && it.next() > since; ) n++;
        return n;
    }

    /** Seconds of failure history kept per host, and the span the live failure rate is measured over. */
    public static final double LIVE_WINDOW_SEC = 30 * 86_400.0;
    /** How much observation the failure model's rate counts as, so that a few early failures do not swing it. */
    public static final double LIVE_PRIOR_SEC = 7 * 86_400.0;

    /**
     * The mean time between failures a run on {@code p} can expect at {@code now}, from the failures
     * its hosts showed: over the last {@link #LIVE_WINDOW_SEC} (less before then) the unplanned
     * failures of those hosts, blended with the failure model's rate for them ({@code priorHostRate},
     * per second, counted as {@link #LIVE_PRIOR_SEC} of observation), plus the rate of failures that no
     * host shows (the job's own software, {@code jobScopeRate}). Hosts that turn out to be lemons
     * raise it; a quiet set of hosts lowers it. The checkpoint interval follows by Young/Daly
     * ({@link gpufleet.core.failure.Checkpointing#interval}).
     */
    public double liveMtbfSec(Placement p, double priorHostRate, double jobScopeRate, double now) {
        return liveMtbfSec(p, priorHostRate, jobScopeRate, now, now);
    }

    /**
     * As {@link #liveMtbfSec(Placement, double, double, double)} for a driver whose clock does not start
     * at 0 (the controller's is the wall clock): {@code observedSec}, how long failures have been
     * recorded, bounds the span instead of {@code now}.
     */
    public double liveMtbfSec(Placement p, double priorHostRate, double jobScopeRate, double now, double observedSec) {
        double span = Math.clamp(observedSec, 0, LIVE_WINDOW_SEC);
        int n = 0;
        for (int h : p.hosts()) n += failuresSince(h, now - span);
        double rate = jobScopeRate + (priorHostRate * LIVE_PRIOR_SEC + n) / (LIVE_PRIOR_SEC + span);
        return rate > 0 ? 1 / rate : Double.POSITIVE_INFINITY;
    }

    /**
     * A repair of host {@code h} ended at {@code now}: a lemon (see {@link Quarantine}) is drained for
     * diagnosis and true returned; the driver then keeps it out of service. Its jobs, if any, run on.
     */
    public boolean quarantineIfLemon(int h, double now) {
        if (!quarantine.on()) return false;
        if (!quarantined.contains(h) && recentFailures(h, now) < quarantine.failures()) return false;
        state.setStatus(h, HostStatus.DRAINING);
        recentFailures.remove(h);
        quarantined.add(h);
        return true;
    }

    /**
     * An unplanned failure of host {@code h} at {@code now}, for a driver that stops the host's jobs
     * itself (the controller), or one restored from storage, oldest first. Counts towards
     * {@link #recentFailures} and {@link #liveMtbfSec} as a failure seen by {@link #hostDown} does.
     */
    public void hostFailed(int h, double now) {
        noteFailure(h, now, false);
    }

    /** Forgets host {@code h}'s failures: it was diagnosed (released from quarantine) and starts afresh. */
    public void forgetFailures(int h) {
        recentFailures.remove(h);
    }

    private void noteFailure(int h, double now, boolean planned) {
        if (planned || quarantined.contains(h)) return;
        var q = recentFailures.computeIfAbsent(h, k -> new java.util.ArrayDeque<>());
        q.addLast(now);
        double keep = Math.max(LIVE_WINDOW_SEC, quarantine.windowSec());
        while (q.peekFirst() <= now - keep) q.pollFirst();
    }

    public void setQuotas(Quotas q) { this.quotas = q == null ? new Quotas(Map.of()) : q; }

    /** A job that has not ended, or null. */
    public Job job(int id) {
        Entry e = jobs.get(id);
        return e == null ? null : e.job;
    }

    /** Its current run, or null when it does not run. */
    public Run run(int id) {
        Entry e = jobs.get(id);
        return e == null ? null : e.run;
    }

    /** Seconds the job's next run will spend restarting before it trains. */
    public double pendingStartup(int id) {
        Entry e = jobs.get(id);
        return e == null ? 0 : e.pendingStartup;
    }

    /** Seconds of training the job has lost to interruptions so far (ended jobs: 0, they are forgotten). */
    public double lostWork(int id) {
        Entry e = jobs.get(id);
        return e == null ? 0 : e.lostWork;
    }

    public int quickFailures(int id) {
        Entry e = jobs.get(id);
        return e == null ? 0 : e.quickFailures;
    }

    /** The earliest time a job backing off may run again; NaN when it may run at once. */
    public double retryAt(int id) {
        Entry e = jobs.get(id);
        return e == null ? Double.NaN : e.retryAt;
    }

    /** Notes a checkpoint of a running job, reported at {@code t}: work before it survives an interruption. */
    public void checkpointed(int id, double t) {
        Entry e = jobs.get(id);
        if (e != null && e.run != null) e.run.checkpointed(t);
    }

    // ---- jobs entering ------------------------------------------------------------------------

    /** Queues a new job with id {@code id}. */
    public Submitted submit(int id, JobSpec spec, double now) {
        if (jobs.containsKey(id)) throw new IllegalStateException("job " + id + " is already known");
        Job job = new Job(id, spec);
        Entry e = new Entry(job);
        jobs.put(id, e);
        waiting.add(job);
        return new Submitted(job, now);
    }

    /** Takes back a waiting job from storage, with its history already restored on {@code job}. */
    public void restoreWaiting(Job job, Restored r) {
        Entry e = restored(job, r);
        waiting.add(job);
        if (!Double.isNaN(e.retryAt)) backingOff++;
    }

    /** Takes back a job that was running on {@code p} since {@code runStart}, its history restored on {@code job}. */
    public void restoreRunning(Job job, Placement p, double runStart, Restored r) {
        Entry e = restored(job, r);
        e.retryAt = Double.NaN;
        state.allocate(job.id(), p); // refuses a GPU held twice
        job.start(runStart, p);
        RunPlan plan = runs.plan(job, p, runStart, 0);
        e.run = new Run(p, runStart, 0, plan.interval(), plan.write(), plan.persist());
        if (!Double.isNaN(r.lastCheckpoint())) e.run.checkpointed(r.lastCheckpoint());
        job.setEstimatedEnd(Double.isNaN(r.estimatedEnd()) ? plan.estimatedEnd() : r.estimatedEnd());
        running.add(job);
    }

    private Entry restored(Job job, Restored r) {
        if (jobs.containsKey(job.id())) throw new IllegalStateException("job " + job.id() + " is already known");
        if (r == null) r = Restored.NONE;
        Entry e = new Entry(job);
        e.lostWork = r.lostWork();
        e.quickFailures = r.quickFailures();
        e.retryAt = r.retryAt();
        jobs.put(job.id(), e);
        return e;
    }

    // ---- scheduling ---------------------------------------------------------------------------

    /** One scheduling cycle, applied: the events, in the scheduler's order. */
    public List<LifecycleEvent> cycle(double now) {
        List<LifecycleEvent> out = decide(now);
        for (LifecycleEvent e : out) apply(e);
        return out;
    }

    /**
     * Runs the scheduler and returns its decisions as events, not yet applied to the jobs (the fleet
     * state already reflects them). Jobs backing off sit the cycle out.
     */
    public List<LifecycleEvent> decide(double now) {
        wakeAt = Double.POSITIVE_INFINITY;
        List<LifecycleEvent> repaired = repairGangs(now);
        Iterable<Job> queue = waiting;
        if (backingOff > 0 || !repaired.isEmpty()) {
            List<Job> ready = new ArrayList<>(waiting.size());
            for (Job j : waiting) {
                Entry e = jobs.get(j.id());
                if (e.broken != null) continue; // re-formed above
                if (!Double.isNaN(e.retryAt)) {
                    if (e.retryAt > now) continue;
                    e.retryAt = Double.NaN;
                    backingOff--;
                }
                ready.add(j);
            }
            queue = ready;
        }
        Scheduler.Estimator est = (j, c) -> runs.estimate(j, c, now);
        var result = scheduler.cycle(now, queue, running, state, quotas, est, options.shares());
        wakeAt = result.wakeAt();
        List<LifecycleEvent> out = new ArrayList<>(repaired.size() + result.decisions().size());
        out.addAll(repaired);
        for (Decision d : result.decisions()) {
            Job j = d.job();
            out.add(switch (d) {
                case Decision.Reject r -> new Rejected(j, now, r.reason());
                case Decision.Preempt p -> new Preempted(j, now, p.forJob(), j.placement(),
                        entry(j).run.endAt(now, options.preemptionSaves()));
                case Decision.Start s -> new Started(j, now, s.placement(), j.state() == JobState.PENDING,
                        entry(j).pendingStartup);
            });
        }
        return out;
    }

    /**
     * Jobs that restart only what failed re-form first, before the policy places anyone: their
     * healthy hosts were theirs a moment ago. A gang the cluster cannot mend is placed afresh by the
     * scheduler (its {@code pendingStartup} already prices a fresh placement).
     */
    private List<LifecycleEvent> repairGangs(double now) {
        if (toRepair.isEmpty()) return List.of();
        List<LifecycleEvent> out = new ArrayList<>();
        List<Entry> pending = new ArrayList<>(toRepair);
        toRepair.clear();
        for (Entry e : pending) {
            Job j = e.job;
            // cancelled, or started some other way, since its failure
            if (e.broken == null || jobs.get(j.id()) != e || !waiting.contains(j)) continue;
            GangRepair r = Double.isNaN(e.retryAt) ? GangRepair.plan(state, e.broken) : null;
            if (r == null) {
                e.broken = null;
                continue;
            }
            for (int h : r.taken()) state.setStatus(h, HostStatus.UP);
            state.allocate(j.id(), r.placement());
            partialRestarts++;
            spareSwaps += r.spares();
            var rec = j.spec().recovery();
            double startup = rec.partial(r.placement().hostCount(), r.replaced(), r.spares() == r.replaced()) + j.spec().checkpoint().restoreSec();
            out.add(new Started(j, now, r.placement(), false, startup));
        }
        return out;
    }

    // ---- runs ending --------------------------------------------------------------------------

    /**
     * What a failure stopping {@code id}'s run at {@code now} does, under the restart rule; null if
     * the job does not run. {@code planned}: the job saves first and loses no work.
     */
    public Interrupted planInterrupt(int id, double now, String cause, RestartRule.Fault fault, boolean planned) {
        Entry e = jobs.get(id);
        if (e == null || e.run == null || e.job.state() != JobState.RUNNING) return null;
        Run.End end = e.run.endAt(now, planned);
        Job j = e.job;
        var outcome = options.restarts().decide(cause, fault, j.restarts(), j.spec().maxRestarts(), e.quickFailures,
                end.held(), now);
        return new Interrupted(j, now, cause, fault, planned, e.run.placement(), end, outcome);
    }

    /** A failure stops the job's run now (see {@link #planInterrupt}); null if it does not run. */
    public Interrupted interrupt(int id, double now, String cause, RestartRule.Fault fault, boolean planned) {
        Interrupted ev = planInterrupt(id, now, cause, fault, planned);
        if (ev != null) apply(ev);
        return ev;
    }

    /** The running job's work is done; null if it does not run. */
    public Completed planComplete(int id, double now) {
        Entry e = jobs.get(id);
        if (e == null || e.run == null) return null;
        return new Completed(e.job, now, e.run.placement(), e.run.endAt(now, true));
    }

    public Completed complete(int id, double now) {
        Completed ev = planComplete(id, now);
        if (ev != null) apply(ev);
        return ev;
    }

    /** The driver ends a running job for good (a time limit); null if it does not run. */
    public Failed planFail(int id, double now, String reason) {
        Entry e = jobs.get(id);
        if (e == null || e.run == null) return null;
        return new Failed(e.job, now, reason, e.run.placement(), e.run.endAt(now, true));
    }

    public Failed fail(int id, double now, String reason) {
        Failed ev = planFail(id, now, reason);
        if (ev != null) apply(ev);
        return ev;
    }

    /** Cancels a job that has not ended, running or waiting; null if unknown here. */
    public Cancelled planCancel(int id, double now) {
        Entry e = jobs.get(id);
        if (e == null) return null;
        return e.run == null ? new Cancelled(e.job, now, null, Run.End.NONE)
                : new Cancelled(e.job, now, e.run.placement(), e.run.endAt(now, true));
    }

    public Cancelled cancel(int id, double now) {
        Cancelled ev = planCancel(id, now);
        if (ev != null) apply(ev);
        return ev;
    }

    // ---- the fleet ----------------------------------------------------------------------------

    /** GPU {@code g} of host {@code h} failed: its job (if any) is interrupted, and the GPU is out of service. */
    public Interrupted gpuFailed(int h, int g, double now, String cause, RestartRule.Fault fault, boolean planned) {
        int owner = state.ownerOf(h, g);
        noteFailure(h, now, planned);
        Interrupted ev = owner >= 0 ? interrupt(owner, now, cause, fault, planned) : null;
        state.setGpuHealthy(h, g, false);
        return ev;
    }

    /** Host {@code h} went down: every job on it is interrupted, in GPU order. */
    public List<Interrupted> hostDown(int h, double now, String cause, RestartRule.Fault fault, boolean planned) {
        List<Interrupted> out = new ArrayList<>();
        noteFailure(h, now, planned);
        for (int j : state.jobsOn(h)) {
            Interrupted ev = interrupt(j, now, cause, fault, planned);
            if (ev != null) out.add(ev);
        }
        state.setStatus(h, HostStatus.DOWN);
        return out;
    }

    /** Drains (no new work, running jobs stay), resumes or retires a host. */
    public void setHostStatus(int h, HostStatus s) {
        state.setStatus(h, s);
    }

    public void gpuRepaired(int h, int g) {
        state.setGpuHealthy(h, g, true);
    }

    // ---- applying -----------------------------------------------------------------------------

    /** Applies a planned event to the jobs, the queue, the running set and the fleet state. */
    public void apply(LifecycleEvent ev) {
        Job j = ev.job();
        double now = ev.time();
        switch (ev) {
            case Submitted s -> throw new IllegalArgumentException("submit applies itself");
            case Rejected r -> {
                waiting.remove(j);
                j.fail(now, r.reason());
                forget(j);
            }
            case Started s -> {
                Entry e = entry(j);
                waiting.remove(j);
                e.broken = null;
                j.start(now, s.placement());
                RunPlan plan = runs.plan(j, s.placement(), now, s.startup());
                e.run = new Run(s.placement(), now, s.startup(), plan.interval(), plan.write(), plan.persist());
                e.pendingStartup = 0;
                // set before it joins the running set, which is ordered by it
                j.setEstimatedEnd(plan.estimatedEnd());
                running.add(j);
            }
            case Preempted p -> {
                Entry e = stop(j, p.placement(), p.end());
                j.preempt(now, p.forJob().id());
                double cost = options.preemptionCostSec();
                e.pendingStartup = Double.isNaN(cost)
                        ? j.spec().checkpoint().writeSec() + j.spec().checkpoint().restoreSec() : cost;
                waiting.add(j);
            }
            case Interrupted i -> {
                Entry e = stop(j, i.placement(), i.end());
                var o = i.outcome();
                j.interrupt(now, i.cause(), o.restart(), o.reason());
                if (o.restart()) {
                    var rec = j.spec().recovery();
                    e.pendingStartup = (rec == null ? j.spec().restartSec() : rec.fresh(i.placement().hostCount()))
                            + j.spec().checkpoint().restoreSec();
                    e.broken = rec != null && rec.partial() ? i.placement() : null;
                    if (e.broken != null) toRepair.add(e);
                    e.quickFailures = o.quickFailures();
                    e.retryAt = o.retryAt();
                    if (!Double.isNaN(e.retryAt)) backingOff++;
                    waiting.add(j);
                } else {
                    forget(j);
                }
            }
            case Completed c -> {
                stop(j, c.placement(), c.end());
                j.complete(now);
                forget(j);
            }
            case Failed f -> {
                stop(j, f.placement(), f.end());
                j.fail(now, f.reason());
                forget(j);
            }
            case Cancelled c -> {
                if (c.placement() != null) stop(j, c.placement(), c.end());
                else {
                    waiting.remove(j);
                    Entry e = entry(j);
                    if (!Double.isNaN(e.retryAt)) backingOff--;
                }
                j.cancel(now);
                forget(j);
            }
        }
    }

    /** Ends the job's run: off the running set and its GPUs, its service and lost work counted. */
    private Entry stop(Job j, Placement p, Run.End end) {
        Entry e = entry(j);
        running.remove(j);
        state.release(j.id(), p);
        j.addAttained(end.held() * j.gpus());
        e.lostWork += end.lost();
        e.run = null;
        return e;
    }

    private void forget(Job j) {
        jobs.remove(j.id());
    }

    private Entry entry(Job j) {
        Entry e = jobs.get(j.id());
        if (e == null || e.job != j) throw new IllegalStateException(j + " is not in this lifecycle");
        return e;
    }

    /** Every job that has not ended, waiting and running. */
    public Collection<Job> jobs() {
        List<Job> out = new ArrayList<>(jobs.size());
        for (Entry e : jobs.values()) out.add(e.job);
        return out;
    }
}
