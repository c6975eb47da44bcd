package gpufleet.agent;

import gpufleet.agent.gpu.GpuBackend;
import gpufleet.agent.gpu.GpuEvent;
import gpufleet.agent.gpu.GpuInfo;
import gpufleet.protocol.Assignment;
import gpufleet.protocol.ErrorCode;
import gpufleet.protocol.RegistrationReply;
import gpufleet.protocol.GpuDescriptor;
import gpufleet.protocol.GpuHealth;
import gpufleet.protocol.GpuTelemetry;
import gpufleet.protocol.Heartbeat;
import gpufleet.protocol.HeartbeatReply;
import gpufleet.protocol.Pem;
import gpufleet.protocol.PrivateFiles;
import gpufleet.protocol.RankExit;
import gpufleet.protocol.Registration;
import gpufleet.protocol.TaskReport;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * The node agent: registers this host, heartbeats, runs what the controller assigns, reports how it
 * ends, ships logs, and watches the GPUs.
 *
 * <p>It reconciles rather than obeys: every reply lists what the host must run, and the agent starts
 * what is missing and stops what is no longer listed (or listed under a new generation). A lost reply
 * or a controller restart therefore costs nothing; the next exchange sets things right, and running
 * ranks keep running while the controller is away.
 */
public final class Agent implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Agent.class.getName());
    private static final long POLL_WAIT_MS = 25_000; // under the 30 s idle timeout HTTP servers and proxies commonly apply

    private final AgentConfig config;
    private final GpuBackend gpus;
    private final ControllerClient client;
    private final LogShipper logs;
    private final ProcessGroups groups;
    private final Semaphore wake = new Semaphore(0);
    private final Map<Long, Task> tasks = new LinkedHashMap<>(); // guarded by this
    /**
     * Runs stopped here that the controller still lists under the same generation (a reply that
     * raced a change, say). Their ranks are gone, so they are reported as ended, which makes the
     * controller restart the gang instead of waiting on processes that no longer exist.
     */
    private final Map<String, Task> stoppedButListed = new LinkedHashMap<>(); // guarded by this
    private final Map<String, Task> stopped = new LinkedHashMap<>() { // guarded by this
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Task> eldest) {
            return size() > 1_000;
        }
    };
    /**
     * GPUs whose earlier ranks are still being stopped (SIGTERM, the kill grace, SIGKILL), with how many
     * runs hold each. A run placed on one of them starts only once they are gone: the controller frees
     * a cancelled or preempted job's GPUs at once, and without this wait the next job's ranks would
     * share the GPUs with ranks that ignore SIGTERM for up to the kill grace.
     */
    private final Map<Integer, Integer> stoppingGpus = new HashMap<>(); // guarded by this
    /** The newest reply reconciled, replayed when stopped ranks free GPUs a deferred run waits for. */
    private HeartbeatReply lastReply; // guarded by this
    private boolean deferred; // guarded by this
    private final Map<Integer, GpuHealth> unhealthy = new ConcurrentHashMap<>();
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean closed;
    private final java.util.concurrent.CountDownLatch closeDone = new java.util.concurrent.CountDownLatch(1);
    private volatile long hostId;
    private volatile long generation;
    private volatile long version = -1;
    /** The leader epoch of the last reply applied; versions compare only within one. */
    private volatile long epoch = -1;
    /** Runs this agent has started, as job/generation: a generation is run at most once, whatever replies arrive late. */
    private final java.util.Set<String> started = java.util.Collections.newSetFromMap(new java.util.LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > 10_000;
        }
    });
    private volatile String fatal;
    private Process watchdog;
    /** This run of the agent: a registration it repeats (the answer was lost) keeps the host's jobs. */
    private final String incarnation = java.util.UUID.randomUUID().toString();

    public Agent(AgentConfig config, GpuBackend gpus) {
        this.config = config;
        this.gpus = gpus;
        this.client = new ControllerClient(config.servers(), config.caCert() == null ? null : Pem.trusting(config.caCert()));
        this.logs = new LogShipper(client);
        this.groups = new ProcessGroups(config.workDir());
    }

    /** Registers (retrying until the controller answers) and starts the agent's loops. */
    public Agent start() throws IOException, InterruptedException {
        Files.createDirectories(config.workDir());
        groups.killLeftovers();
        watchdog = groups.startWatchdog();
        register();
        threads.add(Thread.ofPlatform().name("gpufleet-heartbeat").daemon().start(this::heartbeatLoop));
        threads.add(Thread.ofVirtual().name("gpufleet-assignments").start(this::pollLoop));
        threads.add(Thread.ofPlatform().name("gpufleet-gpu-events").daemon().start(this::gpuLoop));
        threads.add(Thread.ofVirtual().name("gpufleet-logs").start(this::logLoop));
        return this;
    }

    public long hostId() { return hostId; }

    /** Why the agent stopped on its own (another agent took over its host), or null while it runs. */
    public String fatal() { return fatal; }

    /**
     * Registers this host. The first time, with the join token, which the controller exchanges for the
     * host's own credential; that is kept in the work directory (mode 0600) and used from then on, for
     * every call. A controller that refuses the credential has revoked it: the agent stops rather than
     * fall back to the join token, since revoking is how an admin fences a host.
     */
    private void register() throws InterruptedException {
        String credential = PrivateFiles.readLine(config.credentialFile());
        boolean joining = credential == null || credential.isEmpty();
        client.token(joining ? config.joinToken() : credential);
        List<GpuDescriptor> info = new ArrayList<>();
        for (GpuInfo g : gpus.gpus()) info.add(new GpuDescriptor(g.index(), g.uuid(), g.model(), g.memoryBytes() >> 20));
        Registration r = new Registration(config.name(), info.size(), config.rack(), config.zone(), config.address(), info,
                incarnation);
        long backoff = 500;
        while (!closed) {
            try {
                RegistrationReply reg = client.register(r);
                if (reg.credential() != null) {
                    PrivateFiles.write(config.credentialFile(), reg.credential() + "\n");
                    client.token(reg.credential());
                    LOG.log(System.Logger.Level.INFO, "joined the fleet; this host's credential is in " + config.credentialFile());
                }
                hostId = reg.id();
                generation = reg.generation();
                version = -1;
                epoch = -1; // a fresh registration: whatever answers next is the fleet's controller
                synchronized (this) {
                    started.clear(); // a new registration: the controller has restarted this host's jobs
                }
                LOG.log(System.Logger.Level.INFO, "registered " + config.name() + " as host " + hostId + " generation "
                        + generation + " with " + info.size() + " GPUs (" + gpus.describe() + ")");
                return;
            } catch (ControllerClient.Failure e) {
                switch (e.code()) {
                    case UNAUTHENTICATED -> throw new IllegalStateException(!joining
                            ? "the controller refused this host's credential (" + e.getMessage()
                              + "); if it was revoked on purpose the host stays out; to join it again remove "
                              + config.credentialFile() + " and start with a join token"
                            : config.joinToken() == null
                            ? "the controller needs a join token for a new host: give --join-token or set GPUFLEET_JOIN_TOKEN"
                            : "the controller refused the join token: " + e.getMessage());
                    case ALREADY_JOINED -> throw new IllegalStateException(e.getMessage()
                            + (joining ? "; this agent has no credential in " + config.credentialFile() : ""));
                    case RATE_LIMITED, INTERNAL, UNAVAILABLE, NOT_LEADER -> { }
                    // any other refusal (or a 4xx from something that is not the controller) is for a person
                    case null, default -> {
                        if (e.status() / 100 == 4)
                            throw new IllegalStateException("the controller refused this host: " + e.getMessage());
                    }
                }
                if (e.code() != ErrorCode.RATE_LIMITED) LOG.log(System.Logger.Level.WARNING, e.getMessage() + "; retrying");
                // half the backoff plus a random share of the other half: agents that joined together retry apart
                Thread.sleep(backoff / 2 + java.util.concurrent.ThreadLocalRandom.current().nextLong(backoff / 2 + 1));
                backoff = Math.min(backoff * 2, 10_000);
            }
        }
    }

    // ---- the loops -----------------------------------------------------------------------------

    private void heartbeatLoop() {
        while (!closed) {
            long g = generation;
            try {
                Heartbeat hb = heartbeat();
                // a rank's output reaches the controller before its exit does: once a job is seen to end,
                // `gpufleet logs` holds all it wrote
                if (hb.tasks().stream().anyMatch(t -> !t.exits().isEmpty())) logs.shipOnce();
                HeartbeatReply reply = client.heartbeat(hostId, hb);
                reconcile(reply);
            } catch (ControllerClient.Failure e) {
                if (!handle(e, g)) return;
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.ERROR, "heartbeat failed", e);
            }
            try {
                wake.tryAcquire(config.heartbeat().toMillis(), TimeUnit.MILLISECONDS);
                wake.drainPermits();
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void pollLoop() {
        while (!closed) {
            long g = generation;
            try {
                HeartbeatReply reply = client.awaitAssignments(hostId, g, version, POLL_WAIT_MS);
                // a replaced leader answers every poll at once (its versions differ from ours): ask it less
                if (g == generation) reconcile(reply);
                if (reply.epoch() < epoch) sleepQuietly(1000);
            } catch (ControllerClient.Failure e) {
                if (!handle(e, g)) return;
                sleepQuietly(awayPauseMs());
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.ERROR, "assignment poll failed", e);
                sleepQuietly(1000);
            }
        }
    }

    private void gpuLoop() {
        while (!closed) {
            try {
                for (GpuEvent e : gpus.poll(Duration.ofSeconds(1))) {
                    LOG.log(e.fatal() ? System.Logger.Level.WARNING : System.Logger.Level.INFO,
                            "GPU " + e.index() + ": " + e.detail());
                    if (e.kind() == GpuEvent.Kind.RECOVERED) {
                        // reported healthy from the next heartbeat on: only then may the host be resumed
                        if (unhealthy.remove(e.index()) != null) wake.release();
                    } else if (e.fatal()) {
                        unhealthy.put(e.index(), new GpuHealth(e.index(), false,
                                e.kind() == GpuEvent.Kind.XID ? Integer.valueOf((int) e.code()) : null, e.detail()));
                        wake.release();
                    }
                }
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.ERROR, "reading GPU events failed", e);
                sleepQuietly(1000);
            }
        }
    }

    private void logLoop() {
        while (!closed) {
            try {
                logs.shipOnce();
                Thread.sleep(500);
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.ERROR, "shipping logs failed", e);
                sleepQuietly(1000);
            }
        }
    }

    /** Handles a refusal of a call made with {@code used} as the generation; returns false when the agent must stop. */
    private boolean handle(ControllerClient.Failure e, long used) {
        if (used != generation) return true; // the other loop has registered again meanwhile
        // no answer, or a 5xx from something in front of the controller: it is away (restarting, say)
        boolean away = e.code() == null && (e.status() == 0 || e.status() >= 500);
        switch (away ? ErrorCode.UNAVAILABLE : e.code()) {
            // NOT_LEADER: a standby's redirect that could not be followed (its leader just went): as away
            case INTERNAL, UNAVAILABLE, NOT_LEADER -> {
                // keep the ranks running and try again
                LOG.log(System.Logger.Level.DEBUG, e.getMessage());
                sleepQuietly(awayPauseMs());
                return true;
            }
            case NOT_FOUND -> {
                LOG.log(System.Logger.Level.WARNING, "the controller does not know this host; registering again");
                try {
                    synchronized (this) {
                        if (used == generation) register();
                    }
                } catch (InterruptedException ie) {
                    return false;
                } catch (IllegalStateException refused) {
                    fatal = refused.getMessage();
                    close();
                    return false;
                }
                return true;
            }
            case UNAUTHENTICATED, FORBIDDEN -> {
                // the credential was revoked: the controller has fenced this host and restarts its jobs elsewhere
                fatal = "the controller no longer accepts this host's credential (" + e.getMessage() + "); ranks stopped";
                LOG.log(System.Logger.Level.ERROR, fatal);
                close();
                return false;
            }
            case STALE_GENERATION -> {
                fatal = "another agent registered as " + config.name() + "; this one stops";
                LOG.log(System.Logger.Level.ERROR, fatal);
                close();
                return false;
            }
            case null, default -> {
                LOG.log(System.Logger.Level.WARNING, e.getMessage());
                sleepQuietly(1000);
                return true;
            }
        }
    }

    // ---- reconciling ---------------------------------------------------------------------------

    /** Starts what the host must run and is not running; stops what runs and must not. */
    synchronized void reconcile(HeartbeatReply reply) {
        if (closed || reply.generation() != generation) return;
        // heartbeat replies and poll replies race; one computed before a change must not undo it. A reply
        // from a newer leader epoch counts whatever its version (each controller counts its own); one from
        // an older epoch comes from a replaced leader that does not know it yet
        if (!reply.notOlderThan(epoch, version)) return;
        Map<Long, Assignment> want = new HashMap<>();
        for (Assignment a : reply.assignments()) want.put(a.job(), a);
        List<Task> stopping = new ArrayList<>();
        for (var it = tasks.values().iterator(); it.hasNext(); ) {
            Task t = it.next();
            Assignment a = want.get(t.job());
            if (a == null || a.generation() != t.generation()) {
                it.remove();
                stopping.add(t);
            }
        }
        for (Task t : stopping)
            for (Task.Rank r : t.ranks) stoppingGpus.merge(r.slot.gpu(), 1, Integer::sum);
        // a run that goes on may be advised another checkpoint interval
        for (Task t : tasks.values()) t.advise(want.get(t.job()).checkpointInterval());
        stoppedButListed.clear();
        lastReply = reply;
        deferred = false;
        for (Assignment a : reply.assignments()) {
            if (tasks.containsKey(a.job())) continue;
            if (a.ranks().stream().anyMatch(slot -> stoppingGpus.containsKey(slot.gpu()))) {
                deferred = true; // started when the ranks still on its GPUs are gone
                continue;
            }
            String key = a.job() + "/" + a.generation();
            if (!started.add(key)) {
                Task gone = stopped.get(key);
                if (gone != null) {
                    stoppedButListed.put(key, gone);
                    wake.release();
                }
                continue;
            }
            Task t = Task.start(a, config.workDir(), config.name(), config.runAs(), logs::begin);
            tasks.put(a.job(), t);
            logs.follow(t);
            for (Task.Rank r : t.ranks)
                if (r.process != null) r.process.onExit().thenRun(wake::release);
            LOG.log(System.Logger.Level.INFO, "started job " + a.job() + " restart " + a.restart() + ": ranks "
                    + a.ranks().stream().map(s -> Integer.toString(s.rank())).toList());
        }
        version = reply.version();
        epoch = reply.epoch();
        recordGroups();
        for (Task t : stopping) {
            stopped.put(t.job() + "/" + t.generation(), t);
            LOG.log(System.Logger.Level.INFO, "stopping job " + t.job() + " generation " + t.generation());
            Thread.ofVirtual().start(() -> {
                t.stop(config.killGrace().toMillis());
                logs.ended(t);
                recordGroups();
                stoppedRanksGone(t);
            });
        }
    }

    /** {@code t}'s ranks are gone: its GPUs are free here, and a run that waited for them starts. */
    private synchronized void stoppedRanksGone(Task t) {
        for (Task.Rank r : t.ranks) stoppingGpus.computeIfPresent(r.slot.gpu(), (g, n) -> n == 1 ? null : n - 1);
        if (deferred && lastReply != null && !closed) reconcile(lastReply);
    }

    private synchronized void recordGroups() {
        // once closing, the list must keep naming the ranks being stopped: should this process die
        // before they are gone, the watchdog reads it
        if (closed) return;
        List<Long> live = new ArrayList<>();
        for (Task t : tasks.values()) live.addAll(t.liveGroups());
        groups.record(live);
    }

    private Heartbeat heartbeat() {
        List<TaskReport> reports = new ArrayList<>();
        List<Task> now;
        List<Task> gone;
        synchronized (this) {
            now = List.copyOf(tasks.values());
            gone = List.copyOf(stoppedButListed.values());
        }
        boolean anyEnded = false;
        for (Task t : now) {
            var exits = t.exits();
            if (exits.size() == t.ranks.size()) anyEnded = true;
            Double checkpoint = t.checkpointTime();
            reports.add(new TaskReport(t.job(), t.generation(), exits, checkpoint, t.checkpointCost(), t.progressTime()));
        }
        for (Task t : gone) {
            // a rank that had ended keeps its code; one still being stopped reads as killed by SIGTERM
            Map<Integer, Integer> codes = new HashMap<>();
            for (var e : t.exits()) codes.put(e.rank(), e.code());
            List<RankExit> exits = new ArrayList<>();
            for (Task.Rank r : t.ranks) exits.add(new RankExit(r.slot.rank(), codes.getOrDefault(r.slot.rank(), 143)));
            reports.add(new TaskReport(t.job(), t.generation(), exits, null));
        }
        if (anyEnded) recordGroups();
        return new Heartbeat(generation, reports, List.copyOf(unhealthy.values()), telemetry(now));
    }

    /** When telemetry last went out (System.nanoTime), or 0 before the first. */
    private long telemetrySent;

    /**
     * Every GPU's readings, in one heartbeat every {@link Heartbeat#TELEMETRY_SECONDS} (the first included),
     * none in the others: the controller's panel needs no more, and most heartbeats stay small.
     */
    private List<GpuTelemetry> telemetry(List<Task> running) {
        long t = System.nanoTime();
        if (telemetrySent != 0 && t - telemetrySent < Heartbeat.TELEMETRY_SECONDS * 1_000_000_000L) return List.of();
        telemetrySent = t;
        java.util.Set<Integer> busy = new java.util.HashSet<>();
        for (Task task : running) for (Task.Rank r : task.ranks) busy.add(r.slot.gpu());
        try {
            return gpus.telemetry(busy);
        } catch (RuntimeException e) {
            // a reading that fails costs the panel its figures, never the heartbeat
            return List.of();
        }
    }

    /** The jobs this agent is running now, by id. */
    public synchronized List<Long> runningJobs() {
        return List.copyOf(tasks.keySet());
    }

    /**
     * How long to wait before trying a controller that was away again: about a second, drawn anew each
     * time, so that a fleet's agents, cut off together by a failover, come back spread over a second
     * rather than all at the same instant to a leader that has just taken over.
     */
    static long awayPauseMs() {
        return 500 + java.util.concurrent.ThreadLocalRandom.current().nextLong(1000);
    }

    private static void sleepQuietly(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Stops every rank, ships what is left of their logs, and stops the loops. */
    @Override
    public void close() {
        List<Task> all;
        boolean first;
        synchronized (this) {
            first = !closed;
            closed = true;
            all = List.copyOf(tasks.values());
            tasks.clear();
        }
        if (!first) {
            // another thread is stopping the ranks: the caller (a shutdown hook, a main about to exit)
            // must not let the process end before they are gone
            awaitClosed();
            return;
        }
        try {
            stopEverything(all);
        } finally {
            closeDone.countDown();
        }
    }

    private void awaitClosed() {
        try {
            closeDone.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void stopEverything(List<Task> all) {
        for (Task t : all) {
            t.stop(config.killGrace().toMillis());
            logs.ended(t);
        }
        try {
            logs.shipOnce();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        groups.forget();
        for (Thread t : threads) if (t != Thread.currentThread()) t.interrupt();
        if (watchdog != null) watchdog.destroy();
        gpus.close();
    }
}
