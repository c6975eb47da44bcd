package gpufleet.server.control;

import gpufleet.core.lifecycle.Lifecycle;
import gpufleet.core.lifecycle.StartForecast;
import gpufleet.core.sched.Policy;
import gpufleet.core.sched.Scheduler;
import gpufleet.core.state.FleetState;
import gpufleet.core.state.HostStatus;
import gpufleet.protocol.Heartbeat;
import gpufleet.protocol.HeartbeatReply;
import gpufleet.protocol.Registration;
import gpufleet.server.store.HostRecord;
import gpufleet.server.store.JobRecord;
import gpufleet.server.store.NewJob;
import gpufleet.server.store.Store;
import gpufleet.server.store.StoreUnavailableException;
import gpufleet.server.store.TeamRecord;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
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
 * <p><b>Parts.</b> This class is a façade: the API and tests call it, it takes the lock and starts
 * cycles after changes, and each concern is a part of its own: {@link LiveView} (the in-memory view
 * rebuilt from the store, and runs ending), {@link SchedulingCycle} (one cycle: decide, commit, apply),
 * {@link SchedulingLoop} (the loop thread: a cycle every period, after each change, and when the policy
 * asks to be woken), {@link JobCommands} (admission, submit, cancel), {@link HostCommands}
 * (registration, drain and resume, losing a host), {@link AgentReports} (what heartbeats report, and
 * acting on rank exits, GPU faults and checkpoints), {@link HostRegistry} (the hosts as committed, and
 * fencing by generation), {@link JobChanges} (how each planned lifecycle event is written to the
 * store), {@link Liveness} (when each agent was last heard, on the injected clock),
 * {@link RunAccounting} (how an ended run counts in the store) and {@link AssignmentBook} (what each
 * host must run, for heartbeats and long polls). Heartbeats, polls and liveness read those parts
 * without the lock; reports that change something (a rank ended, a GPU failed) take the lock and
 * commit like any decision. A gang is stopped as a whole: the job gets a new generation, every agent
 * drops the old one, and the job waits to restart (or fails, once its restarts are spent).
 *
 * <p>All changes to the lifecycle happen under one lock.
 */
public final class Controller implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Controller.class.getName());

    /** How long a host may stay silent before it is declared lost and its jobs restarted elsewhere. */
    public static final Duration DEFAULT_HEARTBEAT_TIMEOUT = Duration.ofSeconds(30);

    private final Store store;
    private final Policy policy;
    private final ReentrantLock lock = new ReentrantLock();
    // the parts, each with one job
    private final SchedulingLoop loop;
    private final HostRegistry registry = new HostRegistry();
    private final Liveness liveness;
    private final AgentReports reports;
    private final AssignmentBook book;
    /** The in-memory view (lifecycle, layout, live jobs' records), guarded by the lock. */
    private final LiveView view;
    private final SchedulingCycle cycles;
    private final JobCommands jobs;
    private final HostCommands hostCommands;
    private final java.util.concurrent.ExecutorService answers = Executors.newVirtualThreadPerTaskExecutor();
    private volatile boolean halted;
    /**
     * Set when a call found the database away: the in-memory view may then hold a change the store never
     * committed, so the loop schedules nothing until it has rebuilt the view from the store.
     */
    private final java.util.concurrent.atomic.AtomicBoolean storeAway = new java.util.concurrent.atomic.AtomicBoolean();
    private volatile double storeAwaySince;
    private volatile java.util.function.LongConsumer cycleTimer = nanos -> { };
    private final StartForecasts forecasts = new StartForecasts();
    private final CheckpointIntervals intervals;
    private final HangWatch hangs;
    /** Registrations under way: while agents join, the layout is rebuilt only once the fleet has grown enough. */
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
        this.intervals = new CheckpointIntervals(store, options.checkpointCostSec(), liveness::now);
        this.hangs = new HangWatch(options.hangTimeoutSec());
        book.intervals(intervals::told);
        HostFailures failures = new HostFailures(store, options.quarantine(), intervals, liveness::now);
        this.reports = new AgentReports(store, registry, failures, intervals);
        this.view = new LiveView(store, policy, options.restartBackoff(), registry, book, reports, failures, intervals);
        this.view.keepHealthy = options.spares() > 0;
        this.cycles = new SchedulingCycle(store, view, registry, book, intervals,
                new HotSpares(store, registry, options.spares()));
        this.jobs = new JobCommands(store, view, options.checkpointRoot());
        this.hostCommands = new HostCommands(store, view, registry, liveness, reports, failures);
        this.loop = new SchedulingLoop(() -> {
            if (!leading.getAsBoolean() || !storeBack()) return;
            safely(this::checkLiveness);
            safely(this::checkHangs);
            safely(this::refreshIntervals);
            safeCycle();
        }, this::safeCycle);
        lock.lock();
        try {
            view.reload();
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

    /** The leader epoch this controller answers agents with: 0 with one controller. */
    private volatile long epoch;

    /** Whether this controller decides: always, except for a standby among several on one database. */
    private volatile java.util.function.BooleanSupplier leading = () -> true;

    /**
     * Tells {@code listener} the name of each host whose assignments change, as they are published (under
     * the controller's lock: it must be quick).
     */
    public void onAssignmentsChanged(java.util.function.Consumer<String> listener) {
        book.onChange(listener);
    }

    /** Runs a cycle soon, as a change does: a controller that has just taken over schedules at once. */
    public void scheduleNow() {
        trigger();
    }

    /** Runs the scheduling loop (liveness checks included) only while {@code leading} says so. */
    public void scheduleWhile(java.util.function.BooleanSupplier leading) {
        this.leading = leading;
    }

    /**
     * Rebuilds the view from the store, as committed by whichever controller led. {@code takingOver}: gives
     * every host a fresh heartbeat timeout from now, since a standby that takes over has heard none yet.
     */
    public void rebuild(boolean takingOver) {
        rebuild(takingOver, epoch);
    }

    /**
     * As {@link #rebuild(boolean)}, leading from now on with {@code epoch}: agents' replies carry it, so an
     * agent takes this controller's assignments over a replaced leader's whatever their versions.
     */
    public void rebuild(boolean takingOver, long epoch) {
        underLockDo(() -> {
            if (halted) return;
            this.epoch = epoch;
            view.reload();
            if (takingOver) liveness.forgive(registry.all().stream().map(HostRecord::id).toList(), now());
        });
    }

    /**
     * As {@link #rebuild(boolean, long)} taking over, for a view known to hold everything committed (nothing
     * was written since it was built): leads from now on with {@code epoch} and gives every host a fresh
     * heartbeat timeout, without reading the store again.
     */
    public void takeOver(long epoch) {
        underLockDo(() -> {
            if (halted) return;
            this.epoch = epoch;
            liveness.forgive(registry.all().stream().map(HostRecord::id).toList(), now());
        });
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
            view.reload();
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
                if (!halted) view.reload();
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
        double now = now();
        SchedulingCycle.Outcome done = SchedulingCycle.Outcome.IDLE;
        try {
            if (halted) return 0;
            done = cycles.run(now, registering.get() > 0);
            return done.decisions();
        } finally {
            lock.unlock();
            if (done.considered()) {
                cycleTimer.accept(System.nanoTime() - began);
                // the policy wants a cycle before the next tick (a least-attained-service demotion)
                loop.wakeAt(done.wakeAt(), now);
            }
        }
    }

    /** Tells {@code timer} how long each cycle that had jobs to consider took, in nanoseconds, commit included. */
    public void onCycle(java.util.function.LongConsumer timer) {
        this.cycleTimer = timer;
    }

    /** Runs {@code step} under the lock, where every change to the view happens. */
    private <T> T underLock(java.util.function.Supplier<T> step) {
        lock.lock();
        try {
            return step.get();
        } finally {
            lock.unlock();
        }
    }

    private void underLockDo(Runnable step) {
        lock.lock();
        try {
            step.run();
        } finally {
            lock.unlock();
        }
    }

    // ---- requests ------------------------------------------------------------------------------

    /** Admits a job, or refuses it with the field at fault when it could never run here. */
    public JobRecord submit(NewJob j) {
        JobRecord rec = underLock(() -> jobs.submit(j, now()));
        trigger();
        return rec;
    }

    /** Cancels a job that has not ended, releasing its GPUs. */
    public JobRecord cancel(long id) {
        underLockDo(() -> jobs.cancel(id, now()));
        trigger();
        return store.job(id).orElseThrow();
    }

    /**
     * The code of a waiting job's reason (the scheduler's status: {@code NO_FREE_GPUS}, {@code TEAM_QUOTA}...),
     * or null when the job does not wait or no cycle has said why yet. Read without the lock.
     */
    public String reasonCode(long id) {
        return view.reasonCode(id);
    }

    /**
     * Whether the job's checkpoints are somewhere every host reads: a directory it named, or one under
     * the controller's {@code --checkpoint-root}. Without either, each rank checkpoints to its own
     * host's disk.
     */
    public static boolean survivesAHost(JobRecord r) {
        return r.checkpointDir() != null;
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
            rec = hostCommands.register(r, remoteAddress, now());
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
        for (var t : hb.tasks()) hangs.heard(t, now);
        if (AgentReports.needsAction(h, hb, forced)) {
            boolean changed;
            lock.lock();
            try {
                changed = !halted && reports.act(view, hostId, hb, now);
            } finally {
                lock.unlock();
            }
            if (changed) trigger();
        }
        return reply(registry.getOrDefault(hostId, h));
    }

    private HeartbeatReply reply(HostRecord h) {
        AssignmentBook.Snapshot s = book.of(h.name());
        return new HeartbeatReply(h.id(), h.generation(), h.status().name(), s.version(), s.assignments(), epoch);
    }

    /**
     * Waits for the host's assignments to differ from {@code version}, at most {@code waitMs}, then
     * answers what the host must run. The wait holds no thread.
     */
    public CompletableFuture<HeartbeatReply> awaitAssignments(long hostId, long generation, long version, long waitMs) {
        HostRecord h = registry.fenced(hostId, generation);
        CompletableFuture<Void> change = book.changeAfter(h.name(), version);
        if (halted) change.complete(null); // halt() may have woken the waiters just before this one joined
        // news already: answered on the caller's thread, so that whoever paces the callers paces the work
        if (change.isDone()) return CompletableFuture.completedFuture(reply(registry.getOrDefault(hostId, h)));
        // answered on a thread of its own: a change is published under the lock, and timeouts fire on
        // the JDK's single timer thread, which must not write thousands of answers one after another
        return change.completeOnTimeout(null, waitMs, TimeUnit.MILLISECONDS)
                .thenApplyAsync(x -> reply(registry.getOrDefault(hostId, h)), answers);
    }

    /**
     * Recomputes the checkpoint interval each running job is advised (at most once a minute, and after a
     * host failure), publishing those that moved to the jobs' agents.
     */
    public void refreshIntervals() {
        underLockDo(() -> {
            if (!halted) view.refreshIntervals(now());
        });
    }

    /** The checkpoint interval job {@code id}'s current run is advised, seconds; null when it does not run. */
    public Double checkpointInterval(long id) {
        return intervals.told(id);
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
            hostCommands.loseSilent(silent, now);
        } finally {
            lock.unlock();
        }
        trigger();
    }

    /** Restarts every gang the hang detector finds hung ({@code --hang-timeout}); nothing when it is off. */
    public void checkHangs() {
        if (!hangs.on()) return;
        if (underLock(() -> !halted && hangs.stopHung(view, now()) > 0)) trigger();
    }

    /**
     * Fences a host whose credential was revoked: it is DOWN at once and its jobs restart elsewhere,
     * rather than after the heartbeat timeout. Its agent, refused from now on, stops its ranks.
     */
    public void fenceHost(String name, String why) {
        underLockDo(() -> {
            if (!halted) hostCommands.fence(name, why, now());
        });
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
        long id = underLock(() -> hostCommands.setStatus(name, status, reason, force, now()));
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
        return underLock(() -> view.layoutBuilds);
    }

    /**
     * Each waiting job's expected start and why it waits: the scheduler run forward over a copy of the
     * queue, the running jobs and the fleet ({@link StartForecast}). The copy is taken under the lock,
     * the forecast runs outside it, and is reused for a few seconds. Null while no host is registered.
     */
    public StartForecast.Result forecast() {
        try {
            return forecastOrFail();
        } catch (RuntimeException e) {
            // a forecast is advice: a fault in it must not take the job views down with it
            LOG.log(System.Logger.Level.ERROR, "start-time forecast failed; answering without one", e);
            return null;
        }
    }

    private StartForecast.Result forecastOrFail() {
        return forecasts.get(now(), () -> {
            lock.lock();
            try {
                Lifecycle lc = view.lifecycle();
                return lc == null ? null : StartForecasts.Shape.of(lc);
            } finally {
                lock.unlock();
            }
        }, () -> {
            lock.lock();
            try {
                Lifecycle lc = view.lifecycle();
                if (lc == null) return null;
                return StartForecast.snapshot(lc, view.timeLimits::limit, cycles.quotas(), Map.of(), now());
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
            FleetLayout layout = view.layout();
            if (layout == null) return out;
            var topo = layout.topology();
            for (int h = 0; h < topo.hostCount(); h++) {
                HostRecord rec = layout.hostAt(h);
                if (rec == null) continue;
                Map<Integer, Integer> m = new TreeMap<>();
                for (int g = 0; g < topo.gpusOnHost(h); g++) {
                    int o = view.state().ownerOf(h, g);
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
