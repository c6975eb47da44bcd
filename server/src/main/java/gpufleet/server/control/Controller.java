package gpufleet.server.control;

import gpufleet.core.job.CheckpointPolicy;
import gpufleet.core.job.Job;
import gpufleet.core.job.JobSpec;
import gpufleet.core.job.JobState;
import gpufleet.core.job.Parallelism;
import gpufleet.core.job.Work;
import gpufleet.core.sched.Decision;
import gpufleet.core.sched.Policy;
import gpufleet.core.sched.Quotas;
import gpufleet.core.sched.RunningSet;
import gpufleet.core.sched.Scheduler;
import gpufleet.core.state.FleetState;
import gpufleet.core.state.HostStatus;
import gpufleet.core.state.Placement;
import gpufleet.server.store.HostGpus;
import gpufleet.server.store.HostRecord;
import gpufleet.server.store.JobChange;
import gpufleet.server.store.JobRecord;
import gpufleet.server.store.NewJob;
import gpufleet.server.store.Store;
import gpufleet.server.store.TeamRecord;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The controller: the core scheduler on the wall clock, over state kept in a {@link Store}.
 *
 * <p><b>The store is the truth.</b> The in-memory view (the core's {@link FleetState},
 * {@link RunningSet} and {@link Job} objects) is rebuilt from the store at start-up, and again
 * whenever the set of hosts changes (the core's topology is immutable, so a new host means a new
 * one; placements are stored by host name, so they carry over). A controller killed at any moment
 * therefore restarts with every job in its last committed state: RUNNING jobs on their GPUs,
 * waiting jobs queued.
 *
 * <p><b>Decide, commit, then act.</b> One scheduling cycle runs {@link Scheduler#cycle} on the
 * in-memory view, writes every decision (state, placement, a bumped generation, an event) in one
 * transaction, and only then applies the decisions to the in-memory jobs. If the commit fails, the
 * view is rebuilt from the store, undoing what the core had already applied to its fleet state. The
 * API reads jobs and hosts from the store, so nothing is visible before it is committed. A job's
 * generation fences its assignment: agents (not yet built) must present it, so an agent acting on a
 * placement from before a restart or a preemption is refused.
 *
 * <p>All changes happen under one lock; the loop is one platform thread that runs a cycle every
 * period and after every submit, cancel, resume and registration.
 */
public final class Controller implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Controller.class.getName());
    /** Jobs here run until they end or are cancelled; the core needs a duration, so give it the longest it accepts. */
    private static final Work UNKNOWN_WORK = new Work.Fixed(20 * 365 * 86_400.0);

    private final Store store;
    private final Clock clock;
    private final Policy policy;
    private final ReentrantLock lock = new ReentrantLock();
    private final ScheduledExecutorService loop;
    private volatile boolean halted;

    // the in-memory view, guarded by lock
    private FleetLayout layout;
    private FleetState state;
    private RunningSet running;
    private Scheduler scheduler;
    private final TreeMap<Integer, Job> waiting = new TreeMap<>();
    private final Map<Integer, Job> runningJobs = new HashMap<>();
    private final Map<Integer, String> storedReason = new HashMap<>();

    public Controller(Store store, Clock clock, Policy policy) {
        this.store = store;
        this.clock = clock;
        this.policy = policy;
        this.loop = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "gpufleet-scheduler");
            t.setDaemon(true);
            return t;
        });
        lock.lock();
        try {
            reload();
        } finally {
            lock.unlock();
        }
    }

    /** Starts the scheduling loop: a cycle every {@code period}, and one after each change. */
    public Controller start(Duration period) {
        loop.scheduleWithFixedDelay(this::safeCycle, 0, period.toMillis(), TimeUnit.MILLISECONDS);
        return this;
    }

    public Store store() { return store; }

    private double now() {
        return clock.millis() / 1000.0;
    }

    // ---- rebuilding the view -------------------------------------------------------------------

    /** Rebuilds the in-memory view from the store. Caller holds the lock. */
    private void reload() {
        waiting.clear();
        runningJobs.clear();
        storedReason.clear();
        layout = FleetLayout.of(store.hosts());
        state = layout == null ? null : layout.newState();
        running = layout == null ? null : new RunningSet(layout.topology());
        scheduler = layout == null ? null : new Scheduler(layout.topology(), policy);
        for (JobRecord r : store.liveJobs()) {
            Job job = toJob(r);
            storedReason.put(job.id(), r.reason());
            if (r.state() == JobState.RUNNING) {
                if (layout == null) throw new IllegalStateException("job " + r.id() + " is RUNNING but no host is registered");
                Placement p = layout.resolve(r.placement());
                state.allocate(job.id(), p); // refuses a GPU held twice
                job.start(r.startTime() == null ? r.submitTime() : r.startTime(), p);
                running.add(job);
                runningJobs.put(job.id(), job);
            } else {
                waiting.put(job.id(), job);
            }
        }
        if (layout != null) layout.applyStatuses(state);
    }

    private static Job toJob(JobRecord r) {
        JobSpec spec = new JobSpec(r.name(), r.team(), Parallelism.of(r.gpus(), r.tp(), r.pp(), r.cp()), UNKNOWN_WORK,
                CheckpointPolicy.NONE, 0, r.priority(), r.submitTime(), null, r.maxRestarts());
        return new Job(Math.toIntExact(r.id()), spec);
    }

    // ---- the scheduling loop -------------------------------------------------------------------

    private void trigger() {
        if (halted) return;
        try {
            loop.execute(this::safeCycle);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // shutting down
        }
    }

    private void safeCycle() {
        try {
            cycle();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "scheduling cycle failed; state rebuilt from the store", e);
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
        try {
            if (halted || scheduler == null || waiting.isEmpty()) return 0;
            double now = now();
            List<Job> queue = new ArrayList<>(waiting.values());
            if (!policy.order().dynamic()) queue.sort(policy.order().comparator());
            Scheduler.Result result = scheduler.cycle(now, queue, running, state, quotas(), Scheduler.Estimator.UNKNOWN);

            List<JobChange> changes = new ArrayList<>();
            Set<Integer> decided = new HashSet<>();
            for (Decision d : result.decisions()) {
                Job j = d.job();
                decided.add(j.id());
                switch (d) {
                    case Decision.Start s -> {
                        List<HostGpus> where = layout.describe(s.placement());
                        changes.add(new JobChange(j.id(), JobState.RUNNING, where, "", "STARTED", describe(where)));
                    }
                    case Decision.Preempt p -> changes.add(new JobChange(j.id(), JobState.PREEMPTED, List.of(),
                            "preempted by job " + p.forJob().id(), "PREEMPTED", "for job " + p.forJob().id()));
                    case Decision.Reject r -> changes.add(new JobChange(j.id(), JobState.FAILED, List.of(), r.reason(),
                            "REJECTED", r.reason()));
                }
            }
            for (Job j : queue)
                if (!decided.contains(j.id()) && !j.reason().equals(storedReason.get(j.id())))
                    changes.add(JobChange.reason(j.id(), j.reason()));
            if (changes.isEmpty()) return 0;

            try {
                store.apply(changes, now);
            } catch (RuntimeException e) {
                reload(); // the core already changed the fleet state: go back to what is committed
                throw e;
            }

            // committed: now make it so in memory
            for (Decision d : result.decisions())
                if (d instanceof Decision.Preempt p) {
                    Job v = p.job();
                    running.remove(v);
                    runningJobs.remove(v.id());
                    v.preempt(now, p.forJob().id());
                    waiting.put(v.id(), v);
                }
            for (Decision d : result.decisions()) {
                Job j = d.job();
                switch (d) {
                    case Decision.Start s -> {
                        waiting.remove(j.id());
                        j.start(now, s.placement());
                        running.add(j);
                        runningJobs.put(j.id(), j);
                    }
                    case Decision.Reject r -> {
                        waiting.remove(j.id());
                        j.fail(now, r.reason());
                        storedReason.remove(j.id());
                    }
                    case Decision.Preempt p -> { }
                }
            }
            for (JobChange c : changes) if (c.state() == null || c.state().isWaiting()) storedReason.put((int) c.jobId(), c.reason());
            return result.decisions().size();
        } finally {
            lock.unlock();
        }
    }

    private static String describe(List<HostGpus> where) {
        StringBuilder sb = new StringBuilder();
        for (HostGpus h : where) {
            if (!sb.isEmpty()) sb.append("; ");
            sb.append(h.host()).append(' ').append(h.gpus());
        }
        return sb.toString();
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
            if (layout == null)
                throw RequestError.badRequest("gpus", "needs " + j.gpus() + " GPUs but no host is registered");
            if (j.tp() > layout.maxHostGpus())
                throw RequestError.badRequest("tp", "tensor-parallel group of " + j.tp()
                        + " GPUs is larger than the largest host (" + layout.maxHostGpus() + " GPUs)");
            int pool = layout.largestPoolFor(j.tp());
            if (j.gpus() > pool)
                throw RequestError.badRequest("gpus", "needs " + j.gpus() + " GPUs; the fleet can give one job at most "
                        + pool + " (with tp " + j.tp() + ")");
            rec = store.insertJob(j, now());
            Job job = toJob(rec);
            waiting.put(job.id(), job);
            storedReason.put(job.id(), rec.reason());
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
                throw RequestError.conflict("id", "job " + id + " is already " + rec.state());
            double now = now();
            store.apply(List.of(new JobChange(id, JobState.CANCELLED, List.of(), "cancelled", "CANCELLED",
                    rec.state() == JobState.RUNNING ? "released " + rec.gpus() + " GPUs" : "")), now);
            int jid = (int) id;
            Job j = runningJobs.remove(jid);
            if (j != null) {
                running.remove(j);
                state.release(jid, j.placement());
            } else {
                j = waiting.remove(jid);
            }
            if (j != null) j.cancel(now);
            storedReason.remove(jid);
        } finally {
            lock.unlock();
        }
        trigger();
        return store.job(id).orElseThrow();
    }

    /** Registers a host (or re-registers one, which bumps its generation) and rebuilds the topology. */
    public HostRecord registerHost(String name, String rack, String zone, int gpus) {
        HostRecord rec;
        lock.lock();
        try {
            var existing = store.hostByName(name);
            if (existing.isPresent()) {
                HostRecord e = existing.get();
                boolean reshaped = e.gpus() != gpus || !e.rack().equals(rack) || !e.zone().equals(zone);
                int h = layout.indexOf(name);
                if (reshaped && h >= 0 && state.jobsOn(h).length > 0)
                    throw RequestError.conflict("name", "host " + name + " runs jobs "
                            + java.util.Arrays.toString(state.jobsOn(h)) + "; it cannot change its GPUs, rack or zone now");
            }
            List<HostRecord> after = new ArrayList<>();
            for (HostRecord h : store.hosts()) if (!h.name().equals(name)) after.add(h);
            after.add(new HostRecord(0, name, rack, zone, gpus, HostStatus.UP, null, 0));
            if (FleetLayout.slotCount(after) > FleetLayout.MAX_SLOTS)
                throw RequestError.badRequest("rack", "this rack and zone would make the fleet's layout too sparse ("
                        + FleetLayout.slotCount(after) + " slots > " + FleetLayout.MAX_SLOTS + ")");
            rec = store.registerHost(name, rack, zone, gpus, now());
            reload();
        } finally {
            lock.unlock();
        }
        trigger();
        return rec;
    }

    /** Records a heartbeat from the agent holding {@code generation}; refuses a stale one. */
    public HostRecord heartbeat(long hostId, long generation) {
        HostRecord h = store.host(hostId).orElseThrow(() -> RequestError.notFound("id", "no host " + hostId));
        if (!store.heartbeat(hostId, generation, now()))
            throw RequestError.conflict("generation", "generation " + generation + " is stale; host " + h.name()
                    + " is at generation " + store.host(hostId).map(HostRecord::generation).orElse(h.generation()));
        return store.host(hostId).orElseThrow();
    }

    /** Drains (no new work; running jobs stay) or resumes a host. */
    public HostRecord setHostStatus(String name, HostStatus status) {
        lock.lock();
        try {
            HostRecord h = store.hostByName(name).orElseThrow(() -> RequestError.notFound("name", "no host " + name));
            store.setHostStatus(h.id(), status);
            state.setStatus(layout.indexOf(name), status);
        } finally {
            lock.unlock();
        }
        if (status == HostStatus.UP) trigger();
        return store.hostByName(name).orElseThrow();
    }

    /** Creates a team or sets its quota. */
    public TeamRecord putTeam(String name, Integer quota) {
        TeamRecord t = store.putTeam(name, quota);
        trigger();
        return t;
    }

    // ---- inspection ----------------------------------------------------------------------------

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
                    int o = state.ownerOf(h, g);
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
        loop.shutdownNow();
    }

    @Override
    public void close() {
        halt();
        try {
            loop.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        store.close();
    }
}
