package gpufleet.server.control;

import gpufleet.core.job.CheckpointPolicy;
import gpufleet.core.job.Job;
import gpufleet.core.job.JobSpec;
import gpufleet.core.job.JobState;
import gpufleet.core.job.Parallelism;
import gpufleet.core.job.Recovery;
import gpufleet.core.job.RestartBackoff;
import gpufleet.core.job.TimeLimit;
import gpufleet.core.lifecycle.Lifecycle;
import gpufleet.core.lifecycle.LifecycleEvent;
import gpufleet.core.lifecycle.RestartRule;
import gpufleet.core.lifecycle.TimeLimitRuns;
import gpufleet.core.sched.Policy;
import gpufleet.core.sched.framework.Memory;
import gpufleet.core.state.FleetState;
import gpufleet.core.state.Placement;
import gpufleet.server.store.HostRecord;
import gpufleet.server.store.JobRecord;
import gpufleet.server.store.Store;

import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The controller's in-memory view, rebuilt from the store: the core's {@link Lifecycle} (fleet state,
 * queue, running set, jobs with their history) over a {@link FleetLayout}, what each live job's record
 * says, and the ends of runs (a failure, every rank done, a time limit), each planned by the lifecycle,
 * written to the store, then applied. Every method but {@link #reasonCode} runs with the controller's
 * lock held.
 */
final class LiveView {
    private static final System.Logger LOG = System.getLogger(LiveView.class.getName());

    private final Store store;
    private final Policy policy;
    private final RestartBackoff backoff;
    private final HostRegistry registry;
    private final AssignmentBook book;
    private final AgentReports reports;
    private final RunAccounting accounting;
    private final JobChanges changesOf;
    private final HostFailures failures;
    private final CheckpointIntervals intervals;

    private FleetLayout layout;
    /** The jobs, queue, running set and fleet state; null while no host is registered. */
    private Lifecycle lifecycle;
    /** The reason each waiting job has in the store, to write only the reasons that changed. */
    final Map<Integer, String> storedReason = new HashMap<>();
    final Map<Integer, JobRecord> runningRecords = new HashMap<>();
    final Map<Integer, BitSet> ranksDone = new HashMap<>();
    /** The time limit (seconds) of each live job that has one: its run-time estimate, and when a run is ended. */
    final TimeLimitRuns timeLimits = new TimeLimitRuns();
    /**
     * The code of each waiting job's reason, as the last cycle gave it; read by the API without the lock.
     * Not stored: the first cycle after a restart gives every waiting job its code again.
     */
    private final Map<Integer, String> reasonCodes = new ConcurrentHashMap<>();
    /**
     * Hosts registered since the layout was last built. A new host joins the layout, and so the
     * scheduler's view, at the next rebuild; rebuilding is O(hosts), so doing it once per registration
     * made a fleet of 12,500 agents joining at once quadratic (minutes of the lock held).
     */
    boolean layoutBehind;
    int layoutHosts;
    int layoutBuilds;

    LiveView(Store store, Policy policy, RestartBackoff backoff, HostRegistry registry, AssignmentBook book,
             AgentReports reports, HostFailures failures, CheckpointIntervals intervals) {
        this.failures = failures;
        this.intervals = intervals;
        this.store = store;
        this.policy = policy;
        this.backoff = backoff;
        this.registry = registry;
        this.book = book;
        this.reports = reports;
        this.accounting = new RunAccounting(reports);
        this.changesOf = new JobChanges(accounting);
    }

    FleetLayout layout() { return layout; }
    /** Null while no host is registered. */
    Lifecycle lifecycle() { return lifecycle; }
    JobChanges changes() { return changesOf; }

    /** The fleet state the lifecycle owns; only with a layout. */
    FleetState state() {
        return lifecycle.fleet();
    }

    // ---- rebuilding ----------------------------------------------------------------------------

    /** Rebuilds the view from the store. */
    void reload() {
        reload(store.hosts());
    }

    /**
     * Rebuilds the view from the store's jobs and these hosts, which must be the store's hosts as
     * committed. What the policy's plugins remember between cycles (a Tiresias queue's order, the last
     * rank pass) carries over from the lifecycle this one replaces; after a restart there is none, and
     * the plugins rebuild it from the jobs (a Tiresias queue from each job's attained service).
     */
    void reload(List<HostRecord> hosts) {
        Memory memory = lifecycle == null ? Memory.EMPTY : lifecycle.scheduler().memory();
        storedReason.clear();
        runningRecords.clear();
        timeLimits.clear();
        registry.replace(hosts);
        layout = FleetLayout.of(hosts);
        layoutBehind = false;
        layoutHosts = hosts.size();
        layoutBuilds++;
        lifecycle = layout == null ? null : new Lifecycle(layout.newState(), policy,
                TimeLimitRuns.options(new RestartRule(backoff)), timeLimits);
        if (lifecycle != null) {
            lifecycle.scheduler().resume(memory);
            failures.restore(lifecycle, layout, registry);
        }
        for (JobRecord r : store.liveJobs()) {
            Job job = toJob(r);
            storedReason.put(job.id(), r.reason());
            if (r.state() == JobState.RUNNING) {
                if (layout == null) throw new IllegalStateException("job " + r.id() + " is RUNNING but no host is registered");
                Placement p = layout.resolve(r.placement());
                lifecycle.restoreRunning(job, p, r.startTime() == null ? r.submitTime() : r.startTime(), restored(r));
                runningRecords.put(job.id(), r);
            } else if (lifecycle != null) {
                lifecycle.restoreWaiting(job, restored(r));
            }
        }
        reasonCodes.keySet().retainAll(storedReason.keySet());
        for (int job : runningRecords.keySet()) if (intervals.told(job) == null) intervals.plan(lifecycle, job);
        book.rebuild(runningRecords.values(), registry::addressOf);
        ranksDone.keySet().retainAll(runningRecords.keySet());
        if (layout != null) layout.applyStatuses(lifecycle.fleet());
    }

    /** What the lifecycle kept about a job beyond its state, as stored. */
    private static Lifecycle.Restored restored(JobRecord r) {
        Double ck = Controller.survivesAHost(r) ? r.lastCheckpoint() : null;
        return new Lifecycle.Restored(r.lostWorkSeconds(), r.quickFailures(),
                r.retryAt() == null ? Double.NaN : r.retryAt(), ck == null ? Double.NaN : ck,
                r.estimatedEnd() == null ? Double.NaN : r.estimatedEnd());
    }

    /** Brings the layout up to the hosts registered since it was built. */
    void catchUp() {
        if (layoutBehind) reload(List.copyOf(registry.all()));
    }

    /** The core's id of a host, building the layout first if the host joined since. */
    int hostIndex(String name) {
        int i = layout == null ? -1 : layout.indexOf(name);
        if (i >= 0 || !layoutBehind) return i;
        catchUp();
        return layout.indexOf(name);
    }

    /** The core's spec of a stored job. */
    static JobSpec specOf(JobRecord r) {
        return specOf(r, null);
    }

    /**
     * Restarting only what failed ({@link gpufleet.core.lifecycle.GangRepair}): a broken gang keeps its
     * healthy hosts, and a hot spare (else a free host of its pool) takes each failed one's place. No time
     * is charged for the parts: the controller's runs begin when their processes are started.
     */
    static final Recovery KEEP_HEALTHY = new Recovery(0, 0, 0, 0, 0, true, Recovery.FLEET_SPARES);

    /** The core's spec of a stored job, restarting only what failed when the controller keeps hot spares. */
    JobSpec spec(JobRecord r) {
        return specOf(r, keepHealthy ? KEEP_HEALTHY : null);
    }

    private static JobSpec specOf(JobRecord r, Recovery recovery) {
        return new JobSpec(r.name(), r.team(), Parallelism.of(r.gpus(), r.tp(), r.pp(), r.cp()), TimeLimitRuns.UNKNOWN_WORK,
                CheckpointPolicy.NONE, 0, r.priority(), r.submitTime(), null, r.maxRestarts(), null, recovery);
    }

    /** Whether broken gangs keep their healthy hosts (the controller keeps hot spares). */
    boolean keepHealthy;

    /** The core's job for a stored one, with the history it had and its time limit noted. */
    private Job toJob(JobRecord r) {
        Job job = new Job(Math.toIntExact(r.id()), spec(r));
        job.restore(r.restarts(), 0, r.attainedGpuSeconds(), r.interruptedAt() != null ? r.interruptedAt() : r.submitTime());
        job.setReason(r.reason());
        noteLimit(r);
        return job;
    }

    void noteLimit(JobRecord r) {
        timeLimits.set(Math.toIntExact(r.id()), r.timeLimitSeconds());
    }

    // ---- reasons -------------------------------------------------------------------------------

    /** Notes the codes of the waiting jobs' reasons after a cycle. */
    void noteReasonCodes() {
        if (lifecycle == null) return;
        for (Job j : lifecycle.waiting()) {
            if (j.reasonCode().isEmpty()) reasonCodes.remove(j.id());
            else reasonCodes.put(j.id(), j.reasonCode());
        }
    }

    /** The code of a waiting job's reason (a scheduler status), or null when no cycle has given one. */
    String reasonCode(long id) {
        return reasonCodes.get((int) id);
    }

    // ---- runs ending ---------------------------------------------------------------------------

    /** Tells the lifecycle of the newest checkpoint the job's next run can read. */
    void noteCheckpoint(JobRecord r) {
        Double ck = accounting.survivingCheckpoint(r);
        if (ck != null) lifecycle.checkpointed(Math.toIntExact(r.id()), ck);
    }

    /** Drops a run's in-memory traces once its end is committed. */
    void forgetRun(int job) {
        JobRecord r = runningRecords.remove(job);
        if (r != null) book.remove(job, r.placement());
        ranksDone.remove(job);
        reports.forgetJob(job);
        intervals.forget(job);
    }

    /** The job has ended (or left the queue for good): nothing about it is kept. */
    void forgetJob(int job) {
        intervals.forgetJob(job);
        storedReason.remove(job);
        timeLimits.remove(job);
        reasonCodes.remove(job);
    }

    /**
     * Stops a running job's whole gang after a hardware failure: requeued with one more restart, or
     * FAILED when its restarts are spent (the lifecycle's restart rule).
     */
    void interrupt(int job, String cause, String kind, double now) {
        interrupt(job, cause, kind, now, RestartRule.Fault.HARDWARE);
    }

    void interrupt(int job, String cause, String kind, double now, RestartRule.Fault fault) {
        JobRecord r = runningRecords.get(job);
        if (r == null || lifecycle == null) return;
        noteCheckpoint(r);
        LifecycleEvent.Interrupted ev = lifecycle.planInterrupt(job, now, cause, fault, false);
        if (ev == null) return;
        var o = ev.outcome();
        store.apply(List.of(changesOf.interrupted(ev, r, kind)), now);
        lifecycle.apply(ev);
        forgetRun(job);
        if (o.restart()) {
            storedReason.put(job, o.reason());
            reasonCodes.remove(job);
        } else {
            forgetJob(job);
        }
        LOG.log(System.Logger.Level.INFO, "job " + job + ": " + o.reason());
    }

    /**
     * Tells running jobs whose advised checkpoint interval moved (the failure rate their hosts show
     * changed) the new one, through their assignments.
     */
    void refreshIntervals(double now) {
        if (runningRecords.isEmpty()) return;
        for (JobRecord r : intervals.refresh(lifecycle, runningRecords.values(), now)) book.add(r, registry::addressOf);
    }

    /** Every rank ended with 0. */
    void complete(int job, double now) {
        JobRecord r = runningRecords.get(job);
        LifecycleEvent.Completed ev = r == null || lifecycle == null ? null : lifecycle.planComplete(job, now);
        if (ev == null) return;
        store.apply(List.of(changesOf.completed(ev, r)), now);
        lifecycle.apply(ev);
        forgetRun(job);
        forgetJob(job);
    }

    /**
     * Ends every run that has outlasted its job's time limit, as Slurm's TIMEOUT does: the job FAILED
     * (there is no TIMEOUT state here), its gang stopped as at a cancel, the run counted as one that
     * ended, and no restart, since another run would meet the same limit.
     */
    void endOverdue(double now) {
        if (timeLimits.isEmpty() || runningRecords.isEmpty() || lifecycle == null) return;
        for (int job : timeLimits.overdue(lifecycle.running().all(), now)) {
            JobRecord r = runningRecords.get(job);
            if (r == null) continue;
            long limit = timeLimits.limit(job);
            String reason = "exceeded its time limit of " + TimeLimit.format(limit);
            LifecycleEvent.Failed ev = lifecycle.planFail(job, now, reason);
            if (ev == null) continue;
            store.apply(List.of(changesOf.timedOut(ev, r)), now);
            lifecycle.apply(ev);
            forgetRun(job);
            forgetJob(job);
            LOG.log(System.Logger.Level.INFO, "job " + job + ": " + reason);
        }
    }
}
