package gpufleet.server.control;

import gpufleet.core.job.CheckpointPolicy;
import gpufleet.core.job.Job;
import gpufleet.core.job.JobSpec;
import gpufleet.core.job.JobState;
import gpufleet.core.job.Parallelism;
import gpufleet.core.job.RestartBackoff;
import gpufleet.core.job.TimeLimit;
import gpufleet.core.lifecycle.Lifecycle;
import gpufleet.core.lifecycle.LifecycleEvent;
import gpufleet.core.lifecycle.RestartRule;
import gpufleet.core.lifecycle.StartForecast;
import gpufleet.core.lifecycle.TimeLimitRuns;
import gpufleet.core.sched.Policy;
import gpufleet.core.sched.Quotas;
import gpufleet.core.sched.Scheduler;
import gpufleet.core.state.FleetState;
import gpufleet.core.state.HostStatus;
import gpufleet.core.state.Placement;
import gpufleet.protocol.ErrorCode;
import gpufleet.protocol.GpuHealth;
import gpufleet.protocol.Heartbeat;
import gpufleet.protocol.HeartbeatReply;
import gpufleet.protocol.RankExit;
import gpufleet.protocol.Registration;
import gpufleet.protocol.TaskReport;
import gpufleet.server.store.HostGpus;
import gpufleet.server.store.HostRecord;
import gpufleet.server.store.JobChange;
import gpufleet.server.store.JobRecord;
import gpufleet.server.store.NewJob;
import gpufleet.server.store.Store;
import gpufleet.server.store.StoreUnavailableException;
import gpufleet.server.store.TeamRecord;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The controller: a driver of the core's job {@link Lifecycle} on the wall clock (the twin is the
 * other driver), over state kept in a {@link Store}. HTTP requests and agents' reports feed the
 * lifecycle events; the lifecycle decides (scheduler, restart rule, lost work, attained service) and
 * this class persists what it planned before applying it.
 *
 * <p><b>The store is the truth.</b> The in-memory view (the lifecycle: its fleet state, queue,
 * running set and jobs, with their attained service, restarts, lost work and backoff) is rebuilt from
 * the store at start-up, and again whenever the set of hosts changes (the core's topology is immutable, so a new host means a new
 * one; placements are stored by host name, so they carry over). A controller killed at any moment
 * therefore restarts with every job in its last committed state: RUNNING jobs on their GPUs,
 * waiting jobs queued.
 *
 * <p><b>Decide, commit, then act.</b> One scheduling cycle has the lifecycle decide
 * ({@link Lifecycle#decide}, the core's {@link Scheduler}), writes every decision (state, placement, a bumped generation, an event) in one
 * transaction, and only then applies them ({@link Lifecycle#apply}); runs that end are planned, written
 * and applied the same way. If the commit fails, the
 * view is rebuilt from the store, undoing what the core had already applied to its fleet state. The
 * API reads jobs and hosts from the store, so nothing is visible before it is committed. A job's
 * generation fences its assignment: agents (not yet built) must present it, so an agent acting on a
 * placement from before a restart or a preemption is refused.
 *
 * <p><b>Parts.</b> This class is the façade the API and tests call, and the driver of the lifecycle
 * (rebuilding it, cycles, submissions, cancels, runs ending). Each other concern is a part of its own:
 * {@link SchedulingLoop} (the loop thread: a cycle every period and after each change),
 * {@link HostRegistry} (the hosts as committed, and fencing by generation), {@link JobChanges} (how
 * each planned lifecycle event is written to the store), {@link Liveness} (when each
 * agent was last heard, on the injected clock), {@link AgentReports} (GPU health and checkpoints that
 * heartbeats bring), {@link RunAccounting} (how an ended run counts in the store) and
 * {@link AssignmentBook} (what each host must run, for heartbeats and long polls). Heartbeats, polls
 * and liveness read those parts without the lock; reports that change something (a rank ended, a GPU
 * failed) take the lock and commit like any decision. A gang is stopped as a whole: the job gets a
 * new generation, every agent drops the old one, and the job waits to restart (or fails, once its
 * restarts are spent).
 *
 * <p>All changes to the lifecycle happen under one lock.
 */
public final class Controller implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Controller.class.getName());

    /** How long a host may stay silent before it is declared lost and its jobs restarted elsewhere. */
    public static final Duration DEFAULT_HEARTBEAT_TIMEOUT = Duration.ofSeconds(30);

    private final Store store;
    private final Policy policy;
    private final RestartBackoff backoff;
    /** Shared storage under which a job that names no checkpoint directory gets its own; null for none. */
    private final String checkpointRoot;
    private final ReentrantLock lock = new ReentrantLock();
    // the parts, each with one job
    private final SchedulingLoop loop;
    private final HostRegistry registry = new HostRegistry();
    private final Liveness liveness;
    private final AgentReports reports = new AgentReports();
    private final RunAccounting accounting = new RunAccounting(reports);
    private final JobChanges changesOf = new JobChanges(accounting);
    private final java.util.concurrent.ExecutorService answers = Executors.newVirtualThreadPerTaskExecutor();
    private volatile boolean halted;
    /**
     * Set when a call found the database away: the in-memory view may then hold a change the store never
     * committed, so the loop schedules nothing until it has rebuilt the view from the store.
     */
    private final java.util.concurrent.atomic.AtomicBoolean storeAway = new java.util.concurrent.atomic.AtomicBoolean();
    private volatile double storeAwaySince;
    private volatile java.util.function.LongConsumer cycleTimer = nanos -> { };

    // the in-memory view, guarded by lock
    private FleetLayout layout;
    /** The jobs, queue, running set and fleet state; null while no host is registered. */
    private Lifecycle lifecycle;
    private final Map<Integer, String> storedReason = new HashMap<>();
    private final Map<Integer, JobRecord> runningRecords = new HashMap<>();
    private final Map<Integer, BitSet> ranksDone = new HashMap<>();
    /** The time limit (seconds) of each live job that has one: its run-time estimate, and when a run is ended. */
    private final TimeLimitRuns timeLimits = new TimeLimitRuns();
    private final StartForecasts forecasts = new StartForecasts();
    private final AssignmentBook book;
    /**
     * Hosts registered since the layout was last built. A new host joins the layout, and so the
     * scheduler's view, at the next rebuild; rebuilding is O(hosts), so doing it once per registration
     * made a fleet of 12,500 agents joining at once quadratic (minutes of the lock held).
     */
    private boolean layoutBehind;
    private int layoutHosts;
    private int layoutBuilds;
    private final java.util.concurrent.atomic.AtomicInteger registering = new java.util.concurrent.atomic.AtomicInteger();

    public Controller(Store store, Clock clock, Policy policy) {
        this(store, clock, policy, DEFAULT_HEARTBEAT_TIMEOUT);
    }

    public Controller(Store store, Clock clock, Policy policy, Duration heartbeatTimeout) {
        this(store, clock, ControllerOptions.DEFAULTS.withHeartbeatTimeout(heartbeatTimeout).withPolicy(policy));
    }

    /** A controller scheduling with {@code options.policy()}. */
    public Controller(Store store, Clock clock, ControllerOptions options) {
        this.store = store;
        this.book = new AssignmentBook(clock);
        this.policy = options.policy();
        this.liveness = new Liveness(clock, options.heartbeatTimeout());
        this.backoff = options.restartBackoff();
        this.checkpointRoot = options.checkpointRoot();
        this.loop = new SchedulingLoop(() -> {
            if (!leading.getAsBoolean() || !storeBack()) return;
            safely(this::checkLiveness);
            safeCycle();
        }, this::safeCycle);
        lock.lock();
        try {
            reload();
        } finally {
            lock.unlock();
        }
    }

    /** Starts the scheduling loop: a cycle every {@code period}, and one after each change. */
    public Controller start(Duration period) {
        loop.start(period);
        return this;
    }

    public Store store() { return store; }

    /** The scheduling policy this controller runs. */
    public Policy policy() { return policy; }

    private double now() {
        return liveness.now();
    }

    // ---- rebuilding the view -------------------------------------------------------------------

    /** Rebuilds the in-memory view from the store. Caller holds the lock. */
    private void reload() {
        reload(store.hosts());
    }

    /**
     * Rebuilds the in-memory view from the store's jobs and these hosts, which must be the store's
     * hosts as committed. Caller holds the lock.
     */
    private void reload(List<HostRecord> hosts) {
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
        book.rebuild(runningRecords.values(), registry::addressOf);
        ranksDone.keySet().retainAll(runningRecords.keySet());
        if (layout != null) layout.applyStatuses(lifecycle.fleet());
    }

    /** What the lifecycle kept about a job beyond its state, as stored. */
    private Lifecycle.Restored restored(JobRecord r) {
        Double ck = survivesAHost(r) ? r.lastCheckpoint() : null;
        return new Lifecycle.Restored(r.lostWorkSeconds(), r.quickFailures(),
                r.retryAt() == null ? Double.NaN : r.retryAt(), ck == null ? Double.NaN : ck,
                r.estimatedEnd() == null ? Double.NaN : r.estimatedEnd());
    }

    /** The fleet state the lifecycle owns. Caller holds the lock, with a layout. */
    private FleetState state() {
        return lifecycle.fleet();
    }

    /** Brings the layout up to the hosts registered since it was built. Caller holds the lock. */
    private void catchUp() {
        if (layoutBehind) reload(List.copyOf(registry.all()));
    }

    /** The core's id of a host, building the layout first if the host joined since. Caller holds the lock. */
    private int hostIndex(String name) {
        int i = layout == null ? -1 : layout.indexOf(name);
        if (i >= 0 || !layoutBehind) return i;
        catchUp();
        return layout.indexOf(name);
    }

    /** The core's spec of a stored job. */
    private static JobSpec specOf(JobRecord r) {
        return new JobSpec(r.name(), r.team(), Parallelism.of(r.gpus(), r.tp(), r.pp(), r.cp()), TimeLimitRuns.UNKNOWN_WORK,
                CheckpointPolicy.NONE, 0, r.priority(), r.submitTime(), null, r.maxRestarts());
    }

    /** The core's job for a stored one, with the history it had and its time limit noted. Caller holds the lock. */
    private Job toJob(JobRecord r) {
        Job job = new Job(Math.toIntExact(r.id()), specOf(r));
        job.restore(r.restarts(), 0, r.attainedGpuSeconds(), r.interruptedAt() != null ? r.interruptedAt() : r.submitTime());
        job.setReason(r.reason());
        noteLimit(r);
        return job;
    }

    private void noteLimit(JobRecord r) {
        timeLimits.set(Math.toIntExact(r.id()), r.timeLimitSeconds());
    }

    // ---- the scheduling loop -------------------------------------------------------------------

    /**
     * From now on changes do not start a cycle of their own; the caller runs every cycle
     * ({@link #cycle}), so that it knows exactly when decisions are made (the conformance test drives
     * the controller and the twin through the same script this way). Call before {@link #start}.
     */
    public Controller manualCycles() {
        loop.manual();
        return this;
    }

    private void trigger() {
        if (!halted) loop.trigger();
    }

    private void safeCycle() {
        if (leading.getAsBoolean() && storeBack()) safely(this::cycle);
    }

    /** Whether this controller decides: always, except for a standby among several on one database. */
    private volatile java.util.function.BooleanSupplier leading = () -> true;

    /** Runs the scheduling loop (liveness checks included) only while {@code leading} says so. */
    public void scheduleWhile(java.util.function.BooleanSupplier leading) {
        this.leading = leading;
    }

    /**
     * Rebuilds the view from the store, as committed by whichever controller led. {@code takingOver}: gives
     * every host a fresh heartbeat timeout from now, since a standby that takes over has heard none yet.
     */
    public void rebuild(boolean takingOver) {
        lock.lock();
        try {
            if (halted) return;
            reload();
            double now = now();
            if (takingOver) liveness.forgive(registry.all().stream().map(HostRecord::id).toList(), now);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Notes that the database could not be reached: logged once per outage, and the view is rebuilt from
     * the store before the next cycle once it answers again.
     */
    public void storeUnavailable(StoreUnavailableException e) {
        if (storeAway.compareAndSet(false, true)) {
            storeAwaySince = now();
            LOG.log(System.Logger.Level.WARNING, e.getMessage() + "; scheduling paused until the database is back");
        }
    }

    /**
     * Whether the database is reachable, rebuilding the view from the store first if an outage was noted.
     * An outage that lasts is quiet here: it was logged when it began.
     */
    private boolean storeBack() {
        if (!storeAway.get()) return true;
        lock.lock();
        try {
            if (halted) return false;
            reload();
            double now = now();
            // no agent could report while the database was away: none is counted silent for it
            liveness.forgive(registry.all().stream().map(HostRecord::id).toList(), now);
            storeAway.set(false);
            LOG.log(System.Logger.Level.INFO, "database reachable again after " + Math.round(now - storeAwaySince)
                    + " s; state rebuilt from the store, scheduling resumed");
            return true;
        } catch (StoreUnavailableException stillAway) {
            return false;
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "cannot rebuild state from the store", e);
            return false;
        } finally {
            lock.unlock();
        }
    }

    private void safely(Runnable r) {
        try {
            r.run();
        } catch (StoreUnavailableException e) {
            storeUnavailable(e);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "controller step failed; state rebuilt from the store", e);
            lock.lock();
            try {
                if (!halted) reload();
            } catch (RuntimeException again) {
                LOG.log(System.Logger.Level.ERROR, "cannot rebuild state from the store", again);
            } finally {
                lock.unlock();
            }
        }
    }

    /** Runs one scheduling cycle now, in the caller's thread. Returns the number of decisions committed. */
    public int cycle() {
        lock.lock();
        long began = System.nanoTime();
        boolean ran = false;
        try {
            // while agents are still joining, rebuild only once the fleet has grown by an eighth: the
            // rebuilds then cost O(hosts) in all, and the cycle after the last registration takes every host
            if (layoutBehind && !halted && lifecycle != null && !lifecycle.waiting().isEmpty()
                    && (registering.get() == 0 || registry.size() - layoutHosts >= Math.max(1, layoutHosts / 8)))
                catchUp();
            if (halted) return 0;
            double now = now();
            endOverdue(now);
            if (lifecycle == null || lifecycle.waiting().isEmpty()) return 0;
            ran = true;
            lifecycle.setQuotas(quotas());
            // a preempted run loses the work since the newest checkpoint the agents reported
            for (JobRecord r : runningRecords.values()) noteCheckpoint(r);
            List<LifecycleEvent> events = lifecycle.decide(now);

            List<JobChange> changes = new ArrayList<>();
            Set<Integer> decided = new HashSet<>();
            for (LifecycleEvent e : events) {
                Job j = e.job();
                decided.add(j.id());
                switch (e) {
                    case LifecycleEvent.Started s -> changes.add(changesOf.started(s, layout.describe(s.placement()),
                            timeLimits.estimatedEnd(j.id(), now)));
                    case LifecycleEvent.Preempted p -> changes.add(changesOf.preempted(p, runningRecords.get(j.id())));
                    case LifecycleEvent.Rejected r -> changes.add(changesOf.rejected(r));
                    default -> throw new IllegalStateException("a cycle does not " + e);
                }
            }
            for (Job j : lifecycle.waiting())
                if (!decided.contains(j.id()) && !j.reason().equals(storedReason.get(j.id())))
                    changes.add(JobChange.reason(j.id(), j.reason()));
            if (changes.isEmpty()) return 0;

            try {
                store.apply(changes, now);
            } catch (RuntimeException e) {
                reload(); // the scheduler already changed the fleet state: go back to what is committed
                throw e;
            }

            // committed: now make it so in memory, the stopped runs first
            for (LifecycleEvent e : events)
                if (e instanceof LifecycleEvent.Preempted p) {
                    lifecycle.apply(p);
                    forgetRun(p.job().id());
                }
            for (LifecycleEvent e : events) {
                Job j = e.job();
                switch (e) {
                    case LifecycleEvent.Started s -> {
                        lifecycle.apply(s);
                        JobRecord r = store.job(j.id()).orElseThrow();
                        runningRecords.put(j.id(), r);
                        book.add(r, registry::addressOf);
                    }
                    case LifecycleEvent.Rejected r -> {
                        lifecycle.apply(r);
                        storedReason.remove(j.id());
                        timeLimits.remove(j.id());
                    }
                    default -> { }
                }
            }
            for (JobChange c : changes) if (c.state() == null || c.state().isWaiting()) storedReason.put((int) c.jobId(), c.reason());
            return events.size();
        } finally {
            lock.unlock();
            if (ran) cycleTimer.accept(System.nanoTime() - began);
        }
    }

    /** Tells {@code timer} how long each cycle that had jobs to consider took, in nanoseconds, commit included. */
    public void onCycle(java.util.function.LongConsumer timer) {
        this.cycleTimer = timer;
    }

    private Quotas quotas() {
        Map<String, Integer> m = new HashMap<>();
        for (TeamRecord t : store.teams()) if (t.quotaGpus() != null) m.put(t.name(), t.quotaGpus());
        return new Quotas(m);
    }

    // ---- requests ------------------------------------------------------------------------------

    /** Admits a job, or refuses it with the field at fault when it could never run here. */
    public JobRecord submit(NewJob j) {
        JobRecord rec;
        lock.lock();
        try {
            if (store.teams().stream().noneMatch(t -> t.name().equals(j.team())))
                throw RequestError.badRequest("team", "unknown team '" + j.team() + "'");
            // hosts that joined since the layout was built may be what makes the job fit
            if (layoutBehind && (layout == null || j.tp() > layout.maxHostGpus() || j.gpus() > layout.largestPoolFor(j.tp())))
                catchUp();
            if (layout == null)
                throw new RequestError(ErrorCode.UNSATISFIABLE, "gpus", "needs " + j.gpus() + " GPUs but no host is registered");
            if (j.tp() > layout.maxHostGpus())
                throw new RequestError(ErrorCode.UNSATISFIABLE, "tp", "tensor-parallel group of " + j.tp()
                        + " GPUs is larger than the largest host (" + layout.maxHostGpus() + " GPUs)");
            int pool = layout.largestPoolFor(j.tp());
            if (j.gpus() > pool)
                throw new RequestError(ErrorCode.UNSATISFIABLE, "gpus", "needs " + j.gpus() + " GPUs; the fleet can give one job at most "
                        + pool + " (with tp " + j.tp() + ")");
            rec = store.insertJob(j, now(), checkpointRoot);
            noteLimit(rec);
            lifecycle.submit(Math.toIntExact(rec.id()), specOf(rec), rec.submitTime());
            storedReason.put(Math.toIntExact(rec.id()), rec.reason());
        } finally {
            lock.unlock();
        }
        trigger();
        return rec;
    }

    /** Cancels a job that has not ended, releasing its GPUs. */
    public JobRecord cancel(long id) {
        lock.lock();
        try {
            JobRecord rec = store.job(id).orElseThrow(() -> RequestError.notFound("id", "no job " + id));
            if (rec.state().isTerminal())
                throw RequestError.conflict(ErrorCode.JOB_ENDED, "id", "job " + id + " is already " + rec.state());
            double now = now();
            int jid = (int) id;
            JobRecord run = runningRecords.get(jid);
            LifecycleEvent.Cancelled ev = lifecycle == null ? null : lifecycle.planCancel(jid, now);
            store.apply(List.of(changesOf.cancelled(ev, rec, run)), now);
            if (ev != null) {
                lifecycle.apply(ev);
                if (ev.placement() != null) forgetRun(jid);
            }
            storedReason.remove(jid);
            timeLimits.remove(jid);
        } finally {
            lock.unlock();
        }
        trigger();
        return store.job(id).orElseThrow();
    }

    // ---- runs ending ---------------------------------------------------------------------------

    /** Tells the lifecycle of the newest checkpoint the job's next run can read. */
    private void noteCheckpoint(JobRecord r) {
        Double ck = accounting.survivingCheckpoint(r);
        if (ck != null) lifecycle.checkpointed(Math.toIntExact(r.id()), ck);
    }

    /**
     * Whether the job's checkpoints are somewhere every host reads: a directory it named, or one under
     * the controller's {@code --checkpoint-root}. Without either, each rank checkpoints to its own
     * host's disk.
     */
    public static boolean survivesAHost(JobRecord r) {
        return r.checkpointDir() != null;
    }

    /** Drops a run's in-memory traces once its end is committed. Caller holds the lock. */
    private void forgetRun(int job) {
        JobRecord r = runningRecords.remove(job);
        if (r != null) book.remove(job, r.placement());
        ranksDone.remove(job);
        reports.forgetJob(job);
    }

    /**
     * Stops a running job's whole gang after a failure: requeued with one more restart, or FAILED
     * when its restarts are spent (the lifecycle's restart rule). Caller holds the lock.
     */
    private void interrupt(int job, String cause, String kind, double now) {
        interrupt(job, cause, kind, now, RestartRule.Fault.HARDWARE);
    }

    private void interrupt(int job, String cause, String kind, double now, RestartRule.Fault fault) {
        JobRecord r = runningRecords.get(job);
        if (r == null || lifecycle == null) return;
        noteCheckpoint(r);
        LifecycleEvent.Interrupted ev = lifecycle.planInterrupt(job, now, cause, fault, false);
        if (ev == null) return;
        var o = ev.outcome();
        boolean again = o.restart();
        store.apply(List.of(changesOf.interrupted(ev, r, kind)), now);
        lifecycle.apply(ev);
        forgetRun(job);
        if (again) {
            storedReason.put(job, o.reason());
        } else {
            storedReason.remove(job);
            timeLimits.remove(job);
        }
        LOG.log(System.Logger.Level.INFO, "job " + job + ": " + o.reason());
    }

    /** Every rank ended with 0. Caller holds the lock. */
    private void complete(int job, double now) {
        JobRecord r = runningRecords.get(job);
        LifecycleEvent.Completed ev = r == null || lifecycle == null ? null : lifecycle.planComplete(job, now);
        if (ev == null) return;
        store.apply(List.of(changesOf.completed(ev, r)), now);
        lifecycle.apply(ev);
        forgetRun(job);
        storedReason.remove(job);
        timeLimits.remove(job);
    }

    /**
     * Ends every run that has outlasted its job's time limit, as Slurm's TIMEOUT does: the job FAILED
     * (there is no TIMEOUT state here), its gang stopped as at a cancel, the run counted as one that
     * ended, and no restart, since another run would meet the same limit. Caller holds the lock.
     */
    private void endOverdue(double now) {
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
            storedReason.remove(job);
            timeLimits.remove(job);
            LOG.log(System.Logger.Level.INFO, "job " + job + ": " + reason);
        }
    }

    // ---- hosts and agents ----------------------------------------------------------------------

    /**
     * Registers a host (or re-registers one, which bumps its generation) and rebuilds the topology.
     * A re-registration is a new agent process: whatever the old one ran is gone, so jobs holding
     * GPUs there lose a part of their gang and are restarted.
     */
    public HostRecord registerHost(Registration r, String remoteAddress) {
        HostRecord rec;
        registering.incrementAndGet();
        lock.lock();
        try {
            double now = now();
            var existing = store.hostByName(r.name());
            int[] jobs = new int[0];
            boolean reshaped = false;
            HostRecord planned = new HostRecord(0, r.name(), r.rack(), r.zone(), r.gpus(), HostStatus.UP, null, 0, null,
                    r.gpuInfo(), "", List.of());
            if (existing.isPresent()) {
                HostRecord e = existing.get();
                // a new GPU type moves the host to another cluster, as a new GPU count does
                reshaped = !FleetLayout.sameKind(e, planned) || !e.rack().equals(r.rack()) || !e.zone().equals(r.zone());
                int h = layout == null ? -1 : layout.indexOf(r.name());
                jobs = h >= 0 ? state().jobsOn(h) : new int[0];
                if (reshaped && jobs.length > 0)
                    throw RequestError.conflict(ErrorCode.HOST_BUSY, "name", "host " + r.name() + " runs jobs "
                            + java.util.Arrays.toString(jobs) + "; it cannot change its GPUs, rack or zone now");
            }
            long slots = FleetLayout.slotCountWith(registry.all(), planned);
            if (slots > FleetLayout.MAX_SLOTS)
                throw RequestError.badRequest("rack", "this rack and zone would make the fleet's layout too sparse ("
                        + slots + " slots > " + FleetLayout.MAX_SLOTS + ")");
            rec = store.registerHost(r, r.address() != null ? r.address() : remoteAddress, now);
            liveness.heard(rec.id(), now);
            // a new agent process: what the old one said about its GPUs no longer stands
            if (existing.isEmpty() || rec.generation() != existing.get().generation()) reports.newAgent(rec.id());
            // the registry is kept equal to what the store holds after every change to a host, so the
            // layout can be built from it rather than from every host read back from the database
            List<HostRecord> all = registry.with(rec);
            if (!reshaped && jobs.length == 0) {
                // nothing runs there: the host may wait for the next rebuild to be offered work,
                // and an unchanged host's old place in the layout stays right meanwhile
                registry.replace(all);
                layoutBehind = true;
            } else {
                // a new generation means a new agent process: what the old one ran is gone. The same
                // generation means the same run of the agent asking again, and its ranks are still there.
                if (rec.generation() != existing.get().generation())
                    for (int job : jobs) interrupt(job, "agent on " + r.name() + " restarted", "AGENT_RESTARTED", now);
                reload(all);
            }
        } finally {
            lock.unlock();
            registering.decrementAndGet();
        }
        trigger();
        return rec.withLastHeartbeat(liveness.lastHeard(rec.id()));
    }

    /**
     * An agent's heartbeat: it is alive, runs these tasks, and these GPUs are unhealthy. Answers what
     * the host must run now. Only reports that change something take the lock.
     */
    public HeartbeatReply heartbeat(long hostId, Heartbeat hb) {
        HostRecord h = registry.fenced(hostId, hb.generation());
        double now = now();
        liveness.heard(hostId, now);
        Set<Integer> forced = reports.heard(hostId, hb, now);
        boolean act = h.status() == HostStatus.DOWN;
        for (TaskReport t : hb.tasks()) if (!t.exits().isEmpty()) act = true;
        for (GpuHealth g : hb.gpus())
            if (!g.healthy() && !h.unhealthyGpus().contains(g.index()) && !forced.contains(g.index())) act = true;
        if (act) {
            boolean changed;
            lock.lock();
            try {
                changed = handleReports(hostId, hb, now);
            } finally {
                lock.unlock();
            }
            if (changed) trigger();
        }
        return reply(registry.getOrDefault(hostId, h));
    }

    private HeartbeatReply reply(HostRecord h) {
        AssignmentBook.Snapshot s = book.of(h.name());
        return new HeartbeatReply(h.id(), h.generation(), h.status().name(), s.version(), s.assignments());
    }

    /** Acts on exits and GPU errors in a heartbeat. Caller holds the lock. Returns whether anything changed. */
    private boolean handleReports(long hostId, Heartbeat hb, double now) {
        if (halted) return false;
        HostRecord h = registry.get(hostId);
        if (h == null || h.generation() != hb.generation()) return false;
        boolean changed = false;
        if (h.status() == HostStatus.DOWN) {
            // it was declared lost and is back: its old work was already restarted elsewhere
            store.setHostStatus(h.id(), HostStatus.UP, "", List.of());
            int hi = hostIndex(h.name()); // first: it may rebuild the state
            lifecycle.setHostStatus(hi, HostStatus.UP);
            registry.refresh(store);
            h = registry.get(hostId);
            changed = true;
        }
        for (TaskReport t : hb.tasks()) {
            int job = (int) t.job();
            JobRecord r = runningRecords.get(job);
            if (r == null || r.generation() != t.generation()) continue; // stale: that run is over
            String hostName = h.name();
            var mine = r.placement().stream().filter(p -> p.host().equals(hostName)).findFirst();
            if (mine.isEmpty()) continue;
            int first = firstRankOn(r, mine.get().host());
            int count = mine.get().gpus().size();
            Optional<RankExit> bad = t.exits().stream()
                    .filter(e -> e.rank() >= first && e.rank() < first + count && e.code() != 0).findFirst();
            if (bad.isPresent()) {
                int code = bad.get().code();
                if (code == 126 || code == 127)
                    interrupt(job, "rank " + bad.get().rank() + " on " + mine.get().host() + " could not be started (exit "
                            + code + (code == 127 ? ": command not found" : ": command not executable")
                            + "; see its log)", "CANNOT_START", now, RestartRule.Fault.CANNOT_START);
                else
                    interrupt(job, "rank " + bad.get().rank() + " on " + mine.get().host() + " exited with code "
                            + code, "RANK_FAILED", now, RestartRule.Fault.JOB);
                changed = true;
                continue;
            }
            BitSet done = ranksDone.computeIfAbsent(job, k -> new BitSet(r.gpus()));
            for (RankExit e : t.exits()) if (e.rank() >= first && e.rank() < first + count) done.set(e.rank());
            if (done.cardinality() == r.gpus()) {
                complete(job, now);
                changed = true;
            }
        }
        HostRecord reported = h;
        Set<Integer> forced = reports.forced(hostId);
        List<GpuHealth> fresh = hb.gpus().stream()
                .filter(g -> !g.healthy() && g.index() >= 0 && g.index() < reported.gpus()
                        && !reported.unhealthyGpus().contains(g.index()) && !forced.contains(g.index()))
                .toList();
        if (!fresh.isEmpty()) {
            gpuFailed(reported, fresh, now);
            changed = true;
        }
        return changed;
    }

    private static int firstRankOn(JobRecord r, String host) {
        int rank = 0;
        for (HostGpus hg : r.placement()) {
            if (hg.host().equals(host)) return rank;
            rank += hg.gpus().size();
        }
        return -1;
    }

    /** GPUs went bad: the host takes no new work, and jobs on those GPUs restart elsewhere. Caller holds the lock. */
    private void gpuFailed(HostRecord h, List<GpuHealth> bad, double now) {
        List<Integer> unhealthy = new ArrayList<>(h.unhealthyGpus());
        StringBuilder why = new StringBuilder();
        for (GpuHealth g : bad) {
            unhealthy.add(g.index());
            if (!why.isEmpty()) why.append("; ");
            why.append("GPU ").append(g.index()).append(": ")
                    .append(g.detail() != null && !g.detail().isBlank() ? g.detail()
                            : g.xid() != null ? "XID " + g.xid() : "unhealthy");
        }
        String reason = why.toString();
        HostStatus status = h.status() == HostStatus.DOWN ? HostStatus.DOWN : HostStatus.DRAINING;
        store.setHostStatus(h.id(), status, reason, unhealthy.stream().sorted().distinct().toList());
        int hi = hostIndex(h.name());
        lifecycle.setHostStatus(hi, status);
        for (int job : state().jobsOn(hi)) {
            JobRecord r = runningRecords.get(job);
            if (r == null) continue;
            boolean uses = r.placement().stream().anyMatch(p -> p.host().equals(h.name())
                    && p.gpus().stream().anyMatch(unhealthy::contains));
            if (uses) interrupt(job, h.name() + " " + reason, "GPU_FAILED", now);
        }
        registry.refresh(store);
        LOG.log(System.Logger.Level.WARNING, "host " + h.name() + " drained: " + reason);
    }

    /**
     * Waits for the host's assignments to differ from {@code version}, at most {@code waitMs}, then
     * answers what the host must run. The wait holds no thread.
     */
    public CompletableFuture<HeartbeatReply> awaitAssignments(long hostId, long generation, long version, long waitMs) {
        HostRecord h = registry.fenced(hostId, generation);
        CompletableFuture<Void> change = book.changeAfter(h.name(), version);
        if (halted) change.complete(null); // halt() may have woken the waiters just before this one joined
        // answered on a thread of its own: a change is published under the lock, and timeouts fire on
        // the JDK's single timer thread, which must not write thousands of answers one after another
        return change.completeOnTimeout(null, waitMs, TimeUnit.MILLISECONDS)
                .thenApplyAsync(x -> reply(registry.getOrDefault(hostId, h)), answers);
    }

    /** Declares lost every host silent for longer than the timeout, restarting its jobs elsewhere. */
    public void checkLiveness() {
        double now = now();
        List<HostRecord> silent = new ArrayList<>();
        for (HostRecord h : registry.all())
            if (h.status() != HostStatus.DOWN && liveness.isSilent(h.id(), now)) silent.add(h);
        if (silent.isEmpty()) return;
        lock.lock();
        try {
            if (halted) return;
            for (HostRecord stale : silent) {
                HostRecord h = registry.get(stale.id());
                if (h == null || h.status() == HostStatus.DOWN || !liveness.isSilent(h.id(), now)) continue;
                long quiet = Math.round(liveness.silentFor(h.id(), now));
                lose(h, "host " + h.name() + " lost: no heartbeat for " + quiet + " s", "no heartbeat for " + quiet + " s", now);
            }
            registry.refresh(store);
        } finally {
            lock.unlock();
        }
        trigger();
    }

    /** Marks a host DOWN and restarts its jobs elsewhere. Caller holds the lock and refreshes the hosts after. */
    private void lose(HostRecord h, String cause, String statusReason, double now) {
        int hi = hostIndex(h.name());
        for (int job : state().jobsOn(hi)) interrupt(job, cause, "HOST_LOST", now);
        store.setHostStatus(h.id(), HostStatus.DOWN, statusReason, h.unhealthyGpus());
        lifecycle.setHostStatus(hi, HostStatus.DOWN);
        LOG.log(System.Logger.Level.WARNING, cause);
    }

    /**
     * Fences a host whose credential was revoked: it is DOWN at once and its jobs restart elsewhere,
     * rather than after the heartbeat timeout. Its agent, refused from now on, stops its ranks.
     */
    public void fenceHost(String name, String why) {
        lock.lock();
        try {
            if (halted) return;
            HostRecord h = registry.byName(name);
            if (h == null || h.status() == HostStatus.DOWN) return;
            lose(h, "host " + name + " fenced: " + why, why, now());
            registry.refresh(store);
        } finally {
            lock.unlock();
        }
        trigger();
    }

    /** The host with this id as last committed, or null; read without the lock. */
    public HostRecord knownHost(long id) {
        return registry.get(id);
    }

    /** Hosts as stored, with the last heartbeat heard since this controller started. */
    public List<HostRecord> hosts() {
        List<HostRecord> out = new ArrayList<>();
        for (HostRecord h : store.hosts()) out.add(h.withLastHeartbeat(liveness.lastHeard(h.id())));
        return out;
    }

    /** Drains (no new work; running jobs stay) or resumes a host, refusing to resume GPUs still reported faulty. */
    public HostRecord setHostStatus(String name, HostStatus status, String reason) {
        return setHostStatus(name, status, reason, false);
    }

    /**
     * Drains (no new work; running jobs stay) or resumes a host. Resuming puts its GPUs that failed back
     * into service only once its agent reports them healthy again (a reset, a new agent, or {@code gpufleet
     * agent heal} for simulated ones); {@code force} puts them back regardless, and the agent's standing
     * report of that fault is then ignored until it stops making it.
     */
    public HostRecord setHostStatus(String name, HostStatus status, String reason, boolean force) {
        long id;
        lock.lock();
        try {
            HostRecord h = store.hostByName(name).orElseThrow(() -> RequestError.notFound("name", "no host " + name));
            id = h.id();
            if (status == HostStatus.UP && !h.unhealthyGpus().isEmpty()) {
                Set<Integer> heard = reports.reportedBad(h.id());
                List<Integer> still = heard == null ? h.unhealthyGpus()
                        : h.unhealthyGpus().stream().filter(heard::contains).toList();
                if (!still.isEmpty() && !force)
                    throw RequestError.conflict(ErrorCode.GPU_FAULT, "force", "host " + name + ": GPU" + (still.size() == 1 ? " " : "s ") + still
                            + (heard == null ? " failed (" + h.statusReason() + ") and its agent has not reported since this"
                                    + " controller started; wait for its next heartbeat"
                                    : " still report" + (still.size() == 1 ? "s" : "") + " a fault (" + h.statusReason() + ")")
                            + ". Reset or replace the GPU (simulated: gpufleet agent heal), or resume --force to put it"
                            + " back into service anyway");
                reports.force(h.id(), still);
            }
            if (status == HostStatus.UP) {
                store.setHostStatus(h.id(), HostStatus.UP, "", List.of());
                liveness.heard(h.id(), now()); // a fresh timeout: resuming a lost host gives its agent time to return
            } else {
                store.setHostStatus(h.id(), status, reason == null ? "drained by an operator" : reason, h.unhealthyGpus());
            }
            int hi = hostIndex(name); // first: it may rebuild the state
            lifecycle.setHostStatus(hi, status);
            registry.refresh(store);
        } finally {
            lock.unlock();
        }
        if (status == HostStatus.UP) trigger();
        return store.hostByName(name).orElseThrow().withLastHeartbeat(liveness.lastHeard(id));
    }

    /** Creates a team or sets its quota. */
    public TeamRecord putTeam(String name, Integer quota) {
        TeamRecord t = store.putTeam(name, quota);
        trigger();
        return t;
    }

    // ---- inspection ----------------------------------------------------------------------------

    /** How many times the layout has been built since this controller started. */
    int layoutBuilds() {
        lock.lock();
        try {
            return layoutBuilds;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Each waiting job's expected start and why it waits: the scheduler run forward over a copy of the
     * queue, the running jobs and the fleet ({@link StartForecast}). The copy is taken under the lock,
     * the forecast runs outside it, and is reused for a few seconds. Null while no host is registered.
     */
    public StartForecast.Result forecast() {
        return forecasts.get(now(), () -> {
            lock.lock();
            try {
                if (lifecycle == null) return null;
                return StartForecast.snapshot(lifecycle, timeLimits::limit, quotas(), Map.of(), now());
            } finally {
                lock.unlock();
            }
        });
    }

    /** Who holds each GPU in the in-memory fleet state: host name → GPU index → job id. */
    public Map<String, Map<Integer, Integer>> gpuOwners() {
        lock.lock();
        try {
            Map<String, Map<Integer, Integer>> out = new TreeMap<>();
            if (layout == null) return out;
            var topo = layout.topology();
            for (int h = 0; h < topo.hostCount(); h++) {
                HostRecord rec = layout.hostAt(h);
                if (rec == null) continue;
                Map<Integer, Integer> m = new TreeMap<>();
                for (int g = 0; g < topo.gpusOnHost(h); g++) {
                    int o = state().ownerOf(h, g);
                    if (o != FleetState.NONE) m.put(g, o);
                }
                if (!m.isEmpty()) out.put(rec.name(), m);
            }
            return out;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Stops the loop without touching the store: what a crash leaves behind. Everything committed
     * stays committed; nothing else is written.
     */
    public void halt() {
        halted = true;
        loop.stop();
        // answer waiting polls now, while the HTTP server can still send the answers: a poll left to time
        // out after the server stopped completes on a recycled request
        book.wakeAll();
    }

    @Override
    public void close() {
        halt();
        answers.shutdown();
        try {
            loop.awaitStopped(Duration.ofSeconds(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        store.close();
    }
}
