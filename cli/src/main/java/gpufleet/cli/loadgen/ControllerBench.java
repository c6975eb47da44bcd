package gpufleet.cli.loadgen;

import gpufleet.protocol.Assignment;
import gpufleet.protocol.HeartbeatReply;
import gpufleet.protocol.JobRequest;
import gpufleet.protocol.TokenRequest;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The controller under a simulated fleet: the controller runs as its own process (so its CPU and
 * memory are its own), and this process plays every agent and a stream of users submitting jobs.
 *
 * <p>Phases: start the controller; register every agent (bounded concurrency, as a fleet coming up
 * does; each agent starts heartbeating as soon as it is registered); submit work through a warm-up
 * so jobs are running, completing and being placed; then measure for {@code duration} seconds. Only
 * calls that start inside the window count, except registration, which is timed in its own phase.
 *
 * <p>Submissions are open-loop (each on its own thread at its scheduled time), so a slow answer
 * shows as latency rather than as fewer requests.
 */
public final class ControllerBench {
    static final JsonMapper JSON = JsonMapper.builder().build();
    /** Long polls ask for this wait; under Jetty's 30 s idle timeout, so the connection is not cut. */
    public static final long LONG_POLL_WAIT_MS = 25_000;
    /** File descriptors kept free for everything but the long polls (heartbeat connections, jars, logs). */
    static final int FD_MARGIN = 1_024;
    private static final int[] SIZES = {8, 16, 64, 256, 1024};
    private static final int[] SIZE_WEIGHTS = {40, 25, 20, 10, 5};
    private static final Pattern LISTENING = Pattern.compile("gpufleet controller on http://([^:/]+):(\\d+)/api/v1");

    /**
     * @param longPollFraction share of agents that hold a long poll; the rest learn of work from their heartbeats
     * @param probeEverySec    a tagged job of {@code probeGpus} GPUs is submitted this often, and timed to running
     * @param controllerHeap   the controller's -Xmx
     * @param controllerOpts   more JVM options for the controller (a collector, say), separated by spaces
     * @param jfr              where the controller writes a flight recording of the window, or null for none
     * @param client           {@code raw} ({@link RawHttp}, at most {@code maxConnections} shared connections
     *                         besides one per long poll) or {@code jdk} ({@code clients} JDK HttpClients)
     * @param timeline         where to write the window second by second (CSV), or null
     * @param telemetrySec     how often each agent sends its GPUs' telemetry with a heartbeat, as a real agent does
     *                         every {@link gpufleet.protocol.Heartbeat#TELEMETRY_SECONDS}; 0 for never
     */
    public record Config(int agents, int gpusPerAgent, double heartbeatSec, double durationSec, double warmupSec,
                         double submitRate, int hostsPerRack, int racksPerZone, double longPollFraction,
                         double probeEverySec, int probeGpus, double probeSeconds, double jobMinSec, double jobMaxSec,
                         String controllerHeap, String controllerOpts, String jfr, int registerConcurrency, String client, int clients,
                         int maxConnections, long seed, boolean keep, String timeline, boolean auth, double telemetrySec) {
        public Config {
            if (agents < 1) throw new IllegalArgumentException("--agents must be at least 1");
            if (gpusPerAgent < 1 || gpusPerAgent > 64) throw new IllegalArgumentException("--gpus-per-agent must be in [1, 64]");
            if (heartbeatSec <= 0) throw new IllegalArgumentException("--heartbeat must be positive");
            if (durationSec <= 0) throw new IllegalArgumentException("--duration must be positive");
            if (warmupSec < 0) throw new IllegalArgumentException("--warmup must not be negative");
            if (submitRate < 0) throw new IllegalArgumentException("--submit-rate must not be negative");
            if (hostsPerRack < 1 || racksPerZone < 1) throw new IllegalArgumentException("--hosts-per-rack and --racks-per-zone must be positive");
            if (longPollFraction < 0 || longPollFraction > 1) throw new IllegalArgumentException("--long-poll must be in [0, 1]");
            if (probeEverySec <= 0) throw new IllegalArgumentException("--probe-every must be positive");
            if (jobMinSec <= 0 || jobMaxSec < jobMinSec) throw new IllegalArgumentException("--job-seconds needs 0 < MIN <= MAX");
            if (registerConcurrency < 1 || clients < 1 || maxConnections < 1)
                throw new IllegalArgumentException("--register-concurrency, --clients and --max-connections must be positive");
            if (!client.equals("raw") && !client.equals("jdk")) throw new IllegalArgumentException("--client must be raw or jdk");
        }

        int tp() {
            for (int t = 8; t > 1; t /= 2) if (gpusPerAgent % t == 0 && probeGpus % t == 0) return t;
            return 1;
        }
    }

    /**
     * Several controllers on one PostgreSQL database instead of one on SQLite.
     *
     * @param db          the database, {@code postgresql://...}; it must be empty (the first controller to lead
     *                    writes the admin token the bench reads)
     * @param controllers how many controllers share it
     * @param kills       after the window, how many times the leader is killed with SIGKILL and timed until a new
     *                    leader has answered a submission and placed a {@code probeGpus}-GPU gang
     */
    public record Ha(String db, int controllers, int kills) {
        public Ha {
            if (db == null || !db.startsWith("postgresql://"))
                throw new IllegalArgumentException("--db must be a postgresql://HOST:PORT/DB?user=... URL: several controllers share a PostgreSQL database");
            if (controllers < 1 || controllers > 5) throw new IllegalArgumentException("--controllers must be in [1, 5]");
            if (kills < 0) throw new IllegalArgumentException("--kill-leader must not be negative");
            if (kills > 0 && controllers < 2) throw new IllegalArgumentException("--kill-leader needs --controllers 2 or more");
        }
    }

    /**
     * The leader killed {@code kills} times: from each SIGKILL until a new leader had answered a submission
     * and the last host of its gang held its assignment ({@code placed} of them within 60 s).
     */
    public record Failover(int controllers, int kills, int placed, double p50Sec, double p99Sec, double maxSec,
                           List<Double> takeoverSec, int hostsNotUpAfter, String stopped) {}

    public record RouteStats(String route, String phase, int count, double perSecond, double p50Ms, double p90Ms,
                             double p99Ms, double maxMs, double meanMs, int errors) {}

    /**
     * Submit-to-running of the tagged jobs. {@code fromAnswer}: from the 201 answer until the last of the
     * job's hosts has its assignment (the gang can start), 0 when the assignments beat the answer;
     * {@code fromRequest}: the same from the moment the submit was sent; {@code api}: from the 201 answer
     * until {@code GET /jobs/{id}} first says RUNNING (polled every 10 ms).
     */
    public record ProbeStats(int gpus, int submitted, int gangAssigned, double fromAnswerP50Ms, double fromAnswerP99Ms,
                             double fromAnswerMaxMs, double fromRequestP50Ms, double fromRequestP99Ms,
                             double apiP50Ms, double apiP99Ms) {}

    /**
     * @param cpuCores     CPU seconds per wall-clock second over the window
     * @param heapPeakMb   the most heap in use before any collection in the window (GC log)
     * @param heapLiveMb   the most heap still in use after a collection in the window (GC log); young pauses leave old garbage, so this bounds the live set from above
     * @param heapUsedMbEnd heap in use after the window, from jcmd GC.heap_info (null if jcmd could not attach)
     * @param collections  collections in the window; {@code gcPauses} counts those that stopped the program
     */
    public record ProcessFigures(long pid, String maxHeap, double cpuCores, long rssMbEnd, long rssMbPeak,
                                 long rssMbHighWater, Long heapUsedMbEnd, Long heapCommittedMbEnd, long heapPeakMb,
                                 long heapLiveMb, int collections, int gcPauses, double gcPauseTotalMs,
                                 double gcPauseMaxMs) {}

    public record Result(Config config, int cores, int agentsRegistered, int gpus, int longPollAgents,
                         String longPollNote, double registrationSec, List<RouteStats> routes, RouteStats window,
                         long longPollChanges, long longPollTimeouts, int longPollErrors, int resent, ProbeStats probe,
                         Map<String, Integer> jobs, int hostsUp, int hostsNotUp, ProcessFigures controller,
                         double loadGeneratorCores, double machineBusyPercent, double loadAverageBefore,
                         double loadAverageAfter, boolean targetMet, String workDir, String store, Failover failover) {}

    private final Config cfg;
    /** Null for one controller on SQLite. */
    private final Ha ha;
    /** The controllers (one without {@link #ha}), their ports and data directories, by index; guarded by itself. */
    private final List<Process> controllers = new ArrayList<>();
    private final List<Integer> ports = new ArrayList<>();
    private Path workDir;
    private final PrintStream progress;
    private final Random random;
    private final Latencies register = new Latencies();
    private final Latencies pollNow = new Latencies();
    private final Latencies heartbeat = new Latencies();
    /** The heartbeats that report ranks ending: the controller takes its lock for them. */
    private final Latencies heartbeatExits = new Latencies();
    private final Latencies submit = new Latencies();
    private final Latencies jobGet = new Latencies();
    /** The controller's admin token (submissions, reads) and a join token for the agents; null without authentication. */
    private volatile String adminToken, joinToken;
    private final AtomicLong longPollChanges = new AtomicLong();
    private final AtomicLong longPollTimeouts = new AtomicLong();
    private final AtomicInteger longPollErrors = new AtomicInteger();
    private final AtomicInteger errorsShown = new AtomicInteger();
    private final java.util.concurrent.atomic.AtomicIntegerArray pollsAnswered;
    private final Map<Long, Probe> probes = new ConcurrentHashMap<>();
    private volatile long windowStart = Long.MAX_VALUE;
    private volatile long windowEnd = Long.MAX_VALUE;
    private volatile boolean stopping;

    private Http http;
    /** An operator's client, apart from the agents' (several controllers only). */
    private Http operator;
    private ExecutorService threads;

    /** One tagged job: when it was sent and answered, when the API first showed it running, and when each host got it. */
    private static final class Probe {
        volatile long sent, answered, apiRunning = -1;
        volatile int hosts = -1;
        final List<Long> assigned = new ArrayList<>();
    }

    public ControllerBench(Config cfg, PrintStream progress) {
        this(cfg, null, progress);
    }

    public ControllerBench(Config cfg, Ha ha, PrintStream progress) {
        this.cfg = cfg;
        this.ha = ha;
        this.progress = progress;
        this.random = new Random(cfg.seed());
        this.pollsAnswered = new java.util.concurrent.atomic.AtomicIntegerArray((int) Math.ceil(cfg.durationSec()) + 1);
    }

    // ---- the run -------------------------------------------------------------------------------

    public Result run() throws IOException, InterruptedException {
        int longPollAgents = (int) Math.round(cfg.agents() * cfg.longPollFraction());
        String longPollNote = "";
        long fdLimit = ProcStats.openFilesLimit();
        if (fdLimit > 0 && longPollAgents + FD_MARGIN > fdLimit) {
            int fit = (int) Math.max(0, fdLimit - FD_MARGIN);
            longPollNote = "open-file limit " + fdLimit + " leaves room for " + fit + " long polls, not " + longPollAgents
                    + "; the other agents learn of work from their heartbeats";
            longPollAgents = fit;
            progress.println("note: " + longPollNote);
        }
        Path dir = Files.createTempDirectory("gpufleet-bench-");
        workDir = dir;
        double loadBefore = ProcStats.loadAverage();
        threads = Executors.newVirtualThreadPerTaskExecutor();
        Process controller = null;
        Thread killer = null;
        boolean ok = false;
        try {
            controller = ha == null ? startController(dir) : startControllers(dir);
            killer = new Thread(() -> {
                synchronized (controllers) {
                    controllers.forEach(Process::destroyForcibly);
                }
            }, "gpufleet-bench-cleanup");
            Runtime.getRuntime().addShutdownHook(killer);
            Result r = drive(controller, dir, threads, longPollAgents, longPollNote, loadBefore);
            ok = true;
            return r;
        } finally {
            stopping = true;
            // the controller first: agents hanging up on thousands of open long polls would only fill its log
            List<Process> all;
            synchronized (controllers) {
                all = List.copyOf(controllers);
            }
            for (Process c : all) stop(c);
            threads.shutdownNow();
            if (http != null) http.close();
            if (operator != null) operator.close();
            try {
                if (killer != null) Runtime.getRuntime().removeShutdownHook(killer);
            } catch (IllegalStateException shuttingDown) {
                // the hook runs anyway
            }
            // a failed run keeps the controller's log for its reader
            if (ok && !cfg.keep()) deleteTree(dir);
            else if (!ok) progress.println("controller log: " + dir.resolve("controller.log"));
        }
    }

    private Result drive(Process controller, Path dir, ExecutorService threads, int longPollAgents, String longPollNote,
                         double loadBefore) throws InterruptedException, IOException {
        int tp = cfg.tp();
        int fleetGpus = cfg.agents() * cfg.gpusPerAgent();
        List<Integer> sizes = new ArrayList<>(), weights = new ArrayList<>();
        for (int i = 0; i < SIZES.length; i++)
            if (SIZES[i] % tp == 0 && SIZES[i] <= Math.max(tp, fleetGpus / 4)) {
                sizes.add(SIZES[i]);
                weights.add(SIZE_WEIGHTS[i]);
            }
        if (cfg.probeGpus() > fleetGpus)
            throw new IllegalArgumentException("--probe-gpus " + cfg.probeGpus() + " is more than the fleet's " + fleetGpus + " GPUs");

        // registration: a bounded number at a time, each agent heartbeating as soon as it is in
        List<SimulatedAgent> agents = new ArrayList<>();
        for (int i = 0; i < cfg.agents(); i++) {
            int rack = i / cfg.hostsPerRack();
            agents.add(new SimulatedAgent(i, String.format(Locale.ROOT, "sim-%05d", i), "r" + rack,
                    "z" + rack / cfg.racksPerZone(), cfg.gpusPerAgent(), cfg.telemetrySec()));
        }
        progress.printf(Locale.ROOT, "registering %,d agents (%,d GPUs), %d at a time...%n", cfg.agents(), fleetGpus,
                cfg.registerConcurrency());
        Semaphore admit = new Semaphore(cfg.registerConcurrency());
        CountDownLatch registeredAll = new CountDownLatch(cfg.agents());
        AtomicInteger registered = new AtomicInteger();
        long regStart = System.nanoTime();
        for (SimulatedAgent a : agents) {
            boolean poll = a.index < longPollAgents;
            threads.submit(() -> agentLife(a, poll, admit, registeredAll, registered));
        }
        long lastReport = System.nanoTime();
        while (!registeredAll.await(1, TimeUnit.SECONDS)) {
            if (!controller.isAlive()) throw new IllegalStateException("the controller exited; see " + dir.resolve("controller.log"));
            if (System.nanoTime() - lastReport > 10e9) {
                lastReport = System.nanoTime();
                progress.printf(Locale.ROOT, "  %,d/%,d registered after %.0f s%n", registered.get(), cfg.agents(),
                        (lastReport - regStart) / 1e9);
            }
        }
        double registrationSec = (System.nanoTime() - regStart) / 1e9;
        progress.printf(Locale.ROOT, "%,d agents registered in %.1f s; submitting %.1f jobs/s, a %d-GPU probe every %.1f s; "
                + "warm-up %.0f s, then %.0f s measured%n", registered.get(), registrationSec, cfg.submitRate(),
                cfg.probeGpus(), cfg.probeEverySec(), cfg.warmupSec(), cfg.durationSec());

        // work: a stream of submissions and the tagged probes, through warm-up and window
        AtomicLong jobSeq = new AtomicLong();
        if (cfg.submitRate() > 0)
            threads.submit(() -> every(1 / cfg.submitRate(), threads, () -> {
                int size;
                double seconds;
                synchronized (random) {
                    size = pick(sizes, weights);
                    seconds = cfg.jobMinSec() + random.nextDouble() * (cfg.jobMaxSec() - cfg.jobMinSec());
                }
                submitJob("load-" + jobSeq.incrementAndGet(), size, tp, seconds);
            }));
        threads.submit(() -> every(cfg.probeEverySec(), threads, () -> probe("probe-" + jobSeq.incrementAndGet(), tp)));
        Thread.sleep(Duration.ofMillis((long) (cfg.warmupSec() * 1000)));

        // the window
        long pid = controller.pid();
        if (cfg.jfr() != null) jcmd(pid, "JFR.start", "name=window", "settings=profile",
                "filename=" + Path.of(cfg.jfr()).toAbsolutePath());
        long self = ProcessHandle.current().pid();
        long[] machine0 = ProcStats.machineJiffies();
        double cpu0 = ProcStats.cpuSeconds(pid), self0 = ProcStats.cpuSeconds(self);
        long wallMs0 = System.currentTimeMillis();
        long t0 = System.nanoTime();
        windowStart = t0;
        windowEnd = t0 + (long) (cfg.durationSec() * 1e9);
        long rssPeak = 0;
        while (System.nanoTime() < windowEnd) {
            if (!controller.isAlive()) throw new IllegalStateException("the controller exited; see " + dir.resolve("controller.log"));
            rssPeak = Math.max(rssPeak, ProcStats.statusKb(pid, "VmRSS"));
            Thread.sleep(Duration.ofMillis(Math.max(1, Math.min(1000, (windowEnd - System.nanoTime()) / 1_000_000))));
        }
        double cpu1 = ProcStats.cpuSeconds(pid), self1 = ProcStats.cpuSeconds(self);
        long[] machine1 = ProcStats.machineJiffies();
        long wallMs1 = System.currentTimeMillis();
        double windowSec = (System.nanoTime() - t0) / 1e9;
        long rssEnd = ProcStats.statusKb(pid, "VmRSS");
        rssPeak = Math.max(rssPeak, rssEnd);
        long hwm = ProcStats.statusKb(pid, "VmHWM");
        progress.println("window over; collecting figures...");
        if (cfg.jfr() != null) {
            jcmd(pid, "JFR.stop", "name=window");
            progress.println("flight recording of the window written to " + Path.of(cfg.jfr()).toAbsolutePath());
        }

        // after the window: heap, then the controller's own view of jobs and hosts
        long[] heap = ProcStats.jcmdHeap(pid);
        Map<String, Integer> jobs = new LinkedHashMap<>();
        for (String s : List.of("PENDING", "RUNNING", "RESTARTING", "COMPLETED", "FAILED"))
            jobs.put(s.toLowerCase(Locale.ROOT), count("/jobs?state=" + s));
        int hostsUp = 0, hostsNotUp = 0;
        for (JsonNode h : getJson("/hosts")) {
            if ("UP".equals(h.path("status").asString())) hostsUp++;
            else hostsNotUp++;
        }
        Failover failover = ha != null && ha.kills() > 0 ? killLeaders(tp) : null;
        stopping = true;
        double loadAfter = ProcStats.loadAverage();

        List<ProcStats.GcPause> collections = ProcStats.gcPauses(dir.resolve("gc.log")).stream()
                .filter(p -> p.epochMillis() >= wallMs0 && p.epochMillis() <= wallMs1).toList();
        List<ProcStats.GcPause> pauses = collections.stream().filter(p -> !p.concurrent()).toList();
        ProcessFigures figures = new ProcessFigures(pid, cfg.controllerHeap(), (cpu1 - cpu0) / windowSec, rssEnd >> 10,
                rssPeak >> 10, hwm >> 10, heap == null ? null : heap[1] >> 10, heap == null ? null : heap[0] >> 10,
                collections.stream().mapToLong(ProcStats.GcPause::beforeMb).max().orElse(0),
                collections.stream().mapToLong(ProcStats.GcPause::afterMb).max().orElse(0), collections.size(),
                pauses.size(), pauses.stream().mapToDouble(ProcStats.GcPause::ms).sum(),
                pauses.stream().mapToDouble(ProcStats.GcPause::ms).max().orElse(0));
        double busy = machine0 == null || machine1 == null || machine1[1] == machine0[1] ? -1
                : 100.0 * (machine1[0] - machine0[0]) / (machine1[1] - machine0[1]);

        List<RouteStats> routes = new ArrayList<>();
        routes.add(stats("heartbeat", "window", heartbeat.summary(), windowSec));
        routes.add(stats("  of which with exits", "window", heartbeatExits.summary(), windowSec));
        routes.add(stats("submit", "window", submit.summary(), windowSec));
        routes.add(stats("job get", "window", jobGet.summary(), windowSec));
        routes.add(stats("register", "registration", register.summary(), registrationSec));
        routes.add(stats("assignments (waitMs=0)", "registration", pollNow.summary(), registrationSec));
        if (cfg.timeline() != null) writeTimeline(Path.of(cfg.timeline()), t0, wallMs0, pauses);
        RouteStats all = stats("all calls", "window",
                Latencies.Summary.of(heartbeat.summary(), submit.summary(), jobGet.summary()), windowSec);
        return new Result(cfg, Runtime.getRuntime().availableProcessors(), registered.get(), fleetGpus, longPollAgents,
                longPollNote, registrationSec, routes, all, longPollChanges.get(), longPollTimeouts.get(),
                longPollErrors.get(), http.resent(), probeStats(), jobs, hostsUp, hostsNotUp, figures, (self1 - self0) / windowSec, busy,
                loadBefore, loadAfter, all.count() > 0 && all.p99Ms() < 100, cfg.keep() ? dir.toString() : null,
                ha == null ? "one controller on SQLite" : ha.controllers() + " controllers on PostgreSQL", failover);
    }

    /**
     * The window second by second: heartbeats and their latency, long polls answered, and the collector's
     * pauses in that second, to tell a slow stretch caused by a collection from one caused by a burst.
     */
    private void writeTimeline(Path file, long originNanos, long originMillis, List<ProcStats.GcPause> pauses)
            throws IOException {
        int seconds = (int) Math.ceil(cfg.durationSec());
        Latencies.Summary[] hb = heartbeat.perSecond(originNanos, seconds);
        double[] gc = new double[seconds];
        double[] gcMax = new double[seconds];
        for (ProcStats.GcPause p : pauses) {
            if (p.concurrent()) continue;
            int s = (int) ((p.epochMillis() - originMillis) / 1000);
            if (s >= 0 && s < seconds) {
                gc[s] += p.ms();
                gcMax[s] = Math.max(gcMax[s], p.ms());
            }
        }
        StringBuilder sb = new StringBuilder("second,heartbeats,hb_p50_ms,hb_p99_ms,hb_max_ms,long_polls_answered,gc_pause_ms,gc_longest_ms\n");
        for (int i = 0; i < seconds; i++)
            sb.append(String.format(Locale.ROOT, "%d,%d,%.2f,%.2f,%.2f,%d,%.1f,%.1f%n", i, hb[i].count(), ms(hb[i].percentile(50)),
                    ms(hb[i].percentile(99)), ms(hb[i].max()), pollsAnswered.get(i), gc[i], gcMax[i]));
        Files.writeString(file, sb);
        progress.println("timeline written to " + file.toAbsolutePath());
    }

    /** Runs {@code task} on its own thread every {@code periodSec}, on a fixed schedule, until the run stops. */
    private void every(double periodSec, ExecutorService threads, Runnable task) {
        long period = (long) (periodSec * 1e9);
        long next = System.nanoTime();
        try {
            while (!stopping) {
                threads.submit(task);
                next += period;
                long wait = next - System.nanoTime();
                if (wait > 0) Thread.sleep(Duration.ofNanos(wait));
            }
        } catch (InterruptedException | java.util.concurrent.RejectedExecutionException e) {
            // the run is over
        }
    }

    private int pick(List<Integer> sizes, List<Integer> weights) {
        int total = weights.stream().mapToInt(Integer::intValue).sum();
        int r = random.nextInt(total);
        for (int i = 0; i < sizes.size(); i++) {
            r -= weights.get(i);
            if (r < 0) return sizes.get(i);
        }
        return sizes.getLast();
    }

    // ---- one agent -----------------------------------------------------------------------------

    private void agentLife(SimulatedAgent a, boolean longPoll, Semaphore admit, CountDownLatch registeredAll,
                           AtomicInteger registered) {
        try {
            admit.acquire();
            try {
                if (!registerAgent(a)) return;
                registered.incrementAndGet();
            } finally {
                admit.release();
                registeredAll.countDown();
            }
            if (longPoll) threads.submit(() -> longPolls(a));
            heartbeats(a);
        } catch (InterruptedException e) {
            // the run is over
        }
    }

    private boolean registerAgent(SimulatedAgent a) throws InterruptedException {
        for (int attempt = 0; attempt < 5 && !stopping; attempt++) {
            // a real agent joins with the join token and keeps the host's credential it gets back
            Http.Response r = call("POST", "/hosts/register", a.registration(), a.token() != null ? a.token() : joinToken,
                    register, true);
            if (r != null && r.status() == 200) {
                JsonNode n = JSON.readTree(r.body());
                String credential = n.path("credential").asString(null);
                a.registered(n.path("id").asLong(), n.path("generation").asLong(), credential != null ? credential : a.token());
                // what an agent does next: ask once, without waiting, what it must run
                Http.Response p = call("GET", "/hosts/" + a.id() + "/assignments?generation=" + a.generation()
                        + "&waitMs=0", null, a.token(), pollNow, true);
                if (p != null && p.status() == 200) applyReply(a, p.body());
                return true;
            }
            Thread.sleep(1000);
        }
        return false;
    }

    private void heartbeats(SimulatedAgent a) throws InterruptedException {
        long interval = (long) (cfg.heartbeatSec() * 1e9);
        long regular;
        synchronized (random) {
            regular = System.nanoTime() + (long) (random.nextDouble() * interval);
        }
        while (!stopping) {
            long now = System.nanoTime();
            long wake = Math.min(regular, a.nextEnd(now));
            if (wake > now) Thread.sleep(Duration.ofNanos(wake - now));
            now = System.nanoTime();
            var hb = a.heartbeat(now);
            boolean exits = hb.tasks().stream().anyMatch(t -> !t.exits().isEmpty());
            long t0 = System.nanoTime();
            Http.Response r = call("POST", "/hosts/" + a.id() + "/heartbeat", hb, a.token(), heartbeat, false);
            if (exits && r != null && r.status() == 200 && inWindow(t0)) heartbeatExits.record(t0, System.nanoTime() - t0);
            if (r != null && r.status() == 200) applyReply(a, r.body());
            if (now >= regular) {
                regular += interval;
                if (regular < now) regular = now + interval; // fell behind: keep the period, skip the backlog
            }
        }
    }

    private void longPolls(SimulatedAgent a) {
        try (Http.Channel channel = http.channel(a.token())) {
            while (!stopping) {
                long version = a.appliedVersion();
                Http.Response r;
                try {
                    r = channel.get("/hosts/" + a.id() + "/assignments?generation=" + a.generation() + "&version=" + version
                            + "&waitMs=" + LONG_POLL_WAIT_MS);
                } catch (IOException e) {
                    if (stopping) return;
                    longPollErrors.incrementAndGet();
                    showError("long poll", e.toString());
                    Thread.sleep(awayPauseMs()); // as an agent: about a second, spread
                    continue;
                }
                if (r.status() != 200) {
                    if (stopping) return; // the controller answers pending polls with errors as it stops
                    longPollErrors.incrementAndGet();
                    showError("long poll", r.status() + " " + new String(r.body(), StandardCharsets.UTF_8));
                    Thread.sleep(awayPauseMs());
                    continue;
                }
                HeartbeatReply reply = applyReply(a, r.body());
                long now = System.nanoTime();
                if (!inWindow(now)) continue;
                pollsAnswered.incrementAndGet((int) ((now - windowStart) / 1_000_000_000L));
                if (reply.version() != version) longPollChanges.incrementAndGet();
                else longPollTimeouts.incrementAndGet();
            }
        } catch (InterruptedException e) {
            // the run is over
        }
    }

    private HeartbeatReply applyReply(SimulatedAgent a, byte[] body) {
        HeartbeatReply reply = JSON.readValue(body, HeartbeatReply.class);
        long now = System.nanoTime();
        for (Assignment started : a.apply(reply, now))
            if (started.name().startsWith("probe-")) {
                Probe p = probes.computeIfAbsent(started.job(), k -> new Probe());
                synchronized (p.assigned) {
                    p.assigned.add(now);
                }
            }
        return reply;
    }

    // ---- users ---------------------------------------------------------------------------------

    // ---- several controllers -------------------------------------------------------------------

    /** Starts {@code ha.controllers()} controllers on the database, the first as the leader; returns the first. */
    private Process startControllers(Path dir) throws IOException, InterruptedException {
        List<Http> each = new ArrayList<>();
        for (int i = 0; i < ha.controllers(); i++) {
            try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
                ports.add(s.getLocalPort());
            }
            each.add(cfg.client().equals("jdk") ? Http.jdk(base(i), cfg.clients(), threads)
                    : new RawHttp("127.0.0.1", ports.get(i), "/api/v1", cfg.maxConnections()));
        }
        List<String> addresses = ports.stream().map(port -> "http://127.0.0.1:" + port).toList();
        http = new FailoverHttp(each, addresses);
        // the takeover's submission comes from an operator, on connections of its own: it must not queue
        // behind the simulated agents' retries in their shared pool, which would time this process, not the controllers
        List<Http> own = new ArrayList<>();
        for (int port : ports) own.add(new RawHttp("127.0.0.1", port, "/api/v1", 4));
        operator = new FailoverHttp(own, addresses);
        for (int i = 0; i < ha.controllers(); i++) {
            launch(dir, i);
            String role = i == 0 ? "leader" : "standby";
            int at = i;
            awaitRole(at, role, 120);
            progress.printf(Locale.ROOT, "controller %d (pid %d) at %s: %s%n", i, controllers.get(i).pid(), base(i), role);
        }
        progress.printf(Locale.ROOT, "%d controllers on %s (-Xmx%s each)%n", ha.controllers(),
                ha.db().replaceAll("(?i)(password=)[^&]*", "$1***"), cfg.controllerHeap());
        if (cfg.auth()) {
            Path token = dir.resolve("ctl0/admin-token");
            if (!Files.exists(token)) throw new IllegalStateException("the first controller wrote no admin token: --db must name an empty database");
            authenticate(dir.resolve("ctl0"));
        }
        return controllers.getFirst();
    }

    private String base(int i) {
        return "http://127.0.0.1:" + ports.get(i) + "/api/v1";
    }

    /** Starts (or starts again) controller {@code i} on its own port and data directory. */
    private void launch(Path dir, int i) throws IOException {
        String java = ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx" + cfg.controllerHeap(), "--enable-native-access=ALL-UNNAMED"));
        if (i == 0 && !Files.exists(dir.resolve("gc.log"))) cmd.add("-Xlog:gc:file=" + dir.resolve("gc.log") + ":utctime");
        if (!cfg.controllerOpts().isBlank()) cmd.addAll(List.of(cfg.controllerOpts().trim().split("\\s+")));
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "gpufleet.server.ServerMain", "--port",
                Integer.toString(ports.get(i)), "--db", ha.db(), "--data-dir", dir.resolve("ctl" + i).toString()));
        if (cfg.auth()) cmd.addAll(List.of("--rate-limit", "1000", "--rate-burst", "2000"));
        else cmd.addAll(List.of("--no-auth", "--rate-limit", "0"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("controller-" + i + ".log").toFile())).start();
        synchronized (controllers) {
            if (controllers.size() > i) controllers.set(i, p);
            else controllers.add(p);
        }
    }

    /** What controller {@code i}'s /healthz says its role is, or null when it does not answer. */
    private String role(int i) {
        try {
            Http.Response r = http instanceof FailoverHttp ? direct(i) : null;
            return r != null && r.status() == 200 ? JSON.readTree(r.body()).path("role").asString(null) : null;
        } catch (IOException | RuntimeException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private final java.net.http.HttpClient probeClient = java.net.http.HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(1)).build();

    private Http.Response direct(int i) throws IOException, InterruptedException {
        var r = probeClient.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(base(i) + "/healthz"))
                .timeout(Duration.ofSeconds(5)).build(), java.net.http.HttpResponse.BodyHandlers.ofByteArray());
        return new Http.Response(r.statusCode(), r.body());
    }

    private void awaitRole(int i, String role, int seconds) throws InterruptedException {
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        while (!role.equals(role(i))) {
            if (!controllers.get(i).isAlive())
                throw new IllegalStateException("controller " + i + " exited with " + controllers.get(i).exitValue());
            if (System.nanoTime() > deadline) throw new IllegalStateException("controller " + i + " is not " + role + " after " + seconds + " s");
            Thread.sleep(100);
        }
    }

    private int leader() throws InterruptedException {
        long deadline = System.nanoTime() + 120_000_000_000L;
        while (System.nanoTime() < deadline) {
            for (int i = 0; i < controllers.size(); i++) if ("leader".equals(role(i))) return i;
            Thread.sleep(100);
        }
        throw new IllegalStateException("no controller said it leads for 120 s");
    }

    /**
     * Kills the leader {@code ha.kills()} times, at a random point of its lease's renewal period each time,
     * and times each takeover up to the new leader's first placed gang; the killed controller is started
     * again as a standby before the next kill.
     */
    private Failover killLeaders(int tp) throws InterruptedException, IOException {
        List<Double> takeovers = new ArrayList<>();
        String stopped = null;
        int k = 1;
        try {
            for (; k <= ha.kills(); k++) killOnce(k, tp, takeovers);
        } catch (IllegalStateException e) {
            // the figures so far are still worth printing: say why the kills ended early
            stopped = "after " + (k - 1) + " of " + ha.kills() + " kills: " + e.getMessage();
            progress.println("kills stopped " + stopped);
        }
        // a takeover that let hosts go unheard for the heartbeat timeout declared them lost and restarted their jobs
        int notUp = hostsNotUp();
        List<Double> sorted = new ArrayList<>(takeovers);
        sorted.sort(Comparator.naturalOrder());
        return new Failover(ha.controllers(), ha.kills(), sorted.size(), pct(sorted, 50), pct(sorted, 99),
                sorted.isEmpty() ? Double.NaN : sorted.getLast(), List.copyOf(takeovers), notUp, stopped);
    }

    /** Hosts the leader does not count UP, or -1 when none answers. */
    private int hostsNotUp() throws InterruptedException {
        try {
            int n = 0;
            for (JsonNode h : getJson("/hosts")) if (!"UP".equals(h.path("status").asString())) n++;
            return n;
        } catch (RuntimeException | IOException e) {
            return -1;
        }
    }

    private void killOnce(int k, int tp, List<Double> takeovers) throws InterruptedException, IOException {
        int l = leader();
        long wait;
        synchronized (random) {
            wait = 500 + random.nextInt(2500);
        }
        Thread.sleep(wait);
        Process victim = controllers.get(l);
        long t0 = System.nanoTime();
        java.time.LocalTime killedAt = java.time.LocalTime.now().truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
        victim.destroyForcibly();
        victim.waitFor();
        // where the time goes: until another controller says it leads, until the submission's 201, until
        // the API shows the gang RUNNING, until its last host holds the assignment
        AtomicLong elected = new AtomicLong();
        Thread watch = Thread.ofVirtual().start(() -> {
            try {
                while (elected.get() == 0 && System.nanoTime() - t0 < 60_000_000_000L) {
                    for (int i = 0; i < controllers.size(); i++)
                        if (i != l && "leader".equals(role(i))) elected.compareAndSet(0, System.nanoTime());
                    Thread.sleep(50);
                }
            } catch (InterruptedException e) {
                // the takeover is over
            }
        });
        Double took = null;
        long deadline = t0 + 60_000_000_000L;
        long id = -1, answered = 0, running = 0;
        // each try's answer and when it came, for the kill's line: where a slow submission spent its time
        StringBuilder tries = new StringBuilder();
        while (id < 0 && System.nanoTime() < deadline) {
            Http.Response r = call(operator, "POST", "/jobs", jobBody("probe-failover-" + k, cfg.probeGpus(), tp,
                    cfg.probeSeconds()), adminToken, submit, false);
            tries.append(tries.isEmpty() ? "" : " ").append(r == null ? "x" : r.status()).append('@')
                    .append(since(t0, System.nanoTime()));
            if (r != null && r.status() == 201) {
                id = JSON.readTree(r.body()).path("id").asLong();
                answered = System.nanoTime();
            } else Thread.sleep(100);
        }
        int hosts = -1;
        while (id >= 0 && hosts < 0 && System.nanoTime() < deadline) {
            Http.Response g = call(operator, "GET", "/jobs/" + id, null, adminToken, jobGet, false);
            if (g != null && g.status() == 200) {
                JsonNode job = JSON.readTree(g.body());
                if ("RUNNING".equals(job.path("state").asString())) {
                    hosts = job.path("placement").size();
                    running = System.nanoTime();
                }
            }
            if (hosts < 0) Thread.sleep(20);
        }
        watch.interrupt();
        Probe p = id >= 0 ? probes.computeIfAbsent(id, x -> new Probe()) : null;
        while (p != null && hosts > 0 && System.nanoTime() < deadline) {
            List<Long> at;
            synchronized (p.assigned) {
                at = new ArrayList<>(p.assigned);
            }
            if (at.size() >= hosts) {
                at.sort(Comparator.naturalOrder());
                took = (at.get(hosts - 1) - t0) / 1e9;
                break;
            }
            Thread.sleep(10);
        }
        if (took != null) takeovers.add(took);
        progress.printf(Locale.ROOT, "kill %d/%d: controller %d (leader) killed at %s; %s (new leader seen at %s s,"
                        + " submission answered at %s s, RUNNING at %s s; submission tries: %s)%n", k, ha.kills(), l, killedAt,
                took == null ? "no gang placed within 60 s" : String.format(Locale.ROOT,
                        "a new leader answered a submission and placed its %d-GPU gang %.2f s later", cfg.probeGpus(), took),
                since(t0, elected.get()), since(t0, answered), since(t0, running), tries);
        if (id >= 0) call("POST", "/jobs/" + id + "/cancel", Map.of(), adminToken, submit, false);
        launch(workDir, l);
        awaitRole(l, "standby", 120);
    }

    private static String since(long t0, long t) {
        return t == 0 ? "?" : String.format(Locale.ROOT, "%.2f", (t - t0) / 1e9);
    }

    private static double pct(List<Double> sorted, double p) {
        if (sorted.isEmpty()) return Double.NaN;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, (int) Math.ceil(sorted.size() * p / 100) - 1)));
    }

    private static JobRequest jobBody(String name, int gpus, int tp, double seconds) {
        return new JobRequest(name, "default", gpus, tp, null, null, null,
                List.of("sleep", String.format(Locale.ROOT, "%.1f", seconds)), 0, null, null);
    }

    private void submitJob(String name, int gpus, int tp, double seconds) {
        try {
            call("POST", "/jobs", jobBody(name, gpus, tp, seconds), adminToken, submit, false);
        } catch (InterruptedException e) {
            // the run is over
        }
    }

    /** Submits a tagged job and follows it through the API until it runs. */
    private void probe(String name, int tp) {
        try {
            long sent = System.nanoTime();
            Http.Response r = call("POST", "/jobs", jobBody(name, cfg.probeGpus(), tp, cfg.probeSeconds()), adminToken, submit, false);
            long answered = System.nanoTime();
            if (r == null || r.status() != 201) return;
            long id = JSON.readTree(r.body()).path("id").asLong();
            Probe p = probes.computeIfAbsent(id, k -> new Probe());
            p.sent = sent;
            p.answered = answered;
            long deadline = answered + 60_000_000_000L;
            while (!stopping && System.nanoTime() < deadline) {
                Http.Response g = call("GET", "/jobs/" + id, null, adminToken, jobGet, false);
                if (g != null && g.status() == 200) {
                    JsonNode job = JSON.readTree(g.body());
                    if ("RUNNING".equals(job.path("state").asString())) {
                        p.apiRunning = System.nanoTime();
                        p.hosts = job.path("placement").size();
                        return;
                    }
                }
                Thread.sleep(10);
            }
        } catch (InterruptedException e) {
            // the run is over
        }
    }

    private ProbeStats probeStats() {
        List<Long> fromAnswer = new ArrayList<>(), fromRequest = new ArrayList<>(), api = new ArrayList<>();
        int submitted = 0;
        for (Probe p : probes.values()) {
            if (p.answered == 0 || !inWindow(p.sent)) continue;
            submitted++;
            if (p.apiRunning > 0) api.add(p.apiRunning - p.answered);
            List<Long> at;
            synchronized (p.assigned) {
                at = new ArrayList<>(p.assigned);
            }
            if (p.hosts <= 0 || at.size() < p.hosts) continue;
            at.sort(Comparator.naturalOrder());
            long gang = at.get(p.hosts - 1);
            fromAnswer.add(Math.max(0, gang - p.answered));
            fromRequest.add(gang - p.sent);
        }
        Latencies.Summary a = summary(fromAnswer), q = summary(fromRequest), g = summary(api);
        return new ProbeStats(cfg.probeGpus(), submitted, a.count(), ms(a.percentile(50)), ms(a.percentile(99)), ms(a.max()),
                ms(q.percentile(50)), ms(q.percentile(99)), ms(g.percentile(50)), ms(g.percentile(99)));
    }

    private static Latencies.Summary summary(List<Long> values) {
        Latencies l = new Latencies();
        for (long v : values) l.record(v);
        return l.summary();
    }

    // ---- HTTP ----------------------------------------------------------------------------------

    private boolean inWindow(long nanos) {
        return nanos >= windowStart && nanos < windowEnd;
    }

    /**
     * Sends and times a call ({@code body} as JSON, or none when null). It counts (as a latency, or as an
     * error when it fails or is refused) if it started inside the window, or always when {@code always}.
     * Returns null on an I/O failure.
     */
    private Http.Response call(String method, String path, Object body, String token, Latencies route, boolean always)
            throws InterruptedException {
        return call(http, method, path, body, token, route, always);
    }

    private Http.Response call(Http via, String method, String path, Object body, String token, Latencies route,
                               boolean always) throws InterruptedException {
        byte[] json = body == null ? null : JSON.writeValueAsBytes(body);
        long t0 = System.nanoTime();
        boolean counts = always || inWindow(t0);
        Http.Response r;
        try {
            r = via.send(method, path, json, token);
        } catch (IOException e) {
            if (counts && !stopping) route.error();
            if (!stopping) showError(method + " " + path, e.toString());
            return null;
        }
        long dt = System.nanoTime() - t0;
        if (r.status() / 100 == 2) {
            if (counts) route.record(t0, dt);
        } else if (!stopping) {
            if (counts) route.error();
            showError(method + " " + path, r.status() + " " + new String(r.body(), StandardCharsets.UTF_8));
        }
        return r;
    }

    /** What a real agent waits before it tries a controller that was away again (Agent.awayPauseMs). */
    private static long awayPauseMs() {
        return 500 + java.util.concurrent.ThreadLocalRandom.current().nextLong(1000);
    }

    private void showError(String what, String why) {
        if (errorsShown.incrementAndGet() <= 10) progress.println("  error: " + what + ": " + why);
        else if (errorsShown.get() == 11) progress.println("  (further errors are counted, not shown)");
    }

    private JsonNode getJson(String path) throws IOException, InterruptedException {
        Http.Response r = http.send("GET", path, null, adminToken);
        if (r.status() != 200) throw new IOException("GET " + path + ": " + r.status());
        return JSON.readTree(r.body());
    }

    private int count(String path) throws IOException, InterruptedException {
        return getJson(path).size();
    }

    // ---- the controller process ----------------------------------------------------------------

    /** Starts {@code ServerMain} in its own JVM on a free port, with a GC log for its heap figures. */
    private Process startController(Path dir) throws IOException, InterruptedException {
        String java = ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx" + cfg.controllerHeap(), "--enable-native-access=ALL-UNNAMED",
                "-Xlog:gc:file=" + dir.resolve("gc.log") + ":utctime"));
        if (!cfg.controllerOpts().isBlank()) cmd.addAll(List.of(cfg.controllerOpts().trim().split("\\s+")));
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "gpufleet.server.ServerMain", "--port", "0",
                "--data-dir", dir.resolve("data").toString()));
        // with tokens, each agent is a client of its own and the limit is checked on every call; all agents
        // join with one join token, though, which the default limit (100 a second) would make a queue of
        if (cfg.auth()) cmd.addAll(List.of("--rate-limit", "1000", "--rate-burst", "2000"));
        // without them every agent is one client (one address): no limit, or they would share one bucket
        else cmd.addAll(List.of("--no-auth", "--rate-limit", "0"));
        Path log = dir.resolve("controller.log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        synchronized (controllers) {
            controllers.add(p); // stopped with the others when the run ends
        }
        long deadline = System.nanoTime() + 120_000_000_000L;
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) throw new IllegalStateException("the controller exited with " + p.exitValue() + ": "
                    + tail(log));
            Matcher m = LISTENING.matcher(Files.exists(log) ? Files.readString(log) : "");
            if (m.find()) {
                String host = m.group(1);
                int port = Integer.parseInt(m.group(2));
                http = cfg.client().equals("jdk") ? Http.jdk("http://" + host + ":" + port + "/api/v1", cfg.clients(), threads)
                        : new RawHttp(host, port, "/api/v1", cfg.maxConnections());
                progress.printf(Locale.ROOT, "controller pid %d at http://%s:%d/api/v1 (-Xmx%s); agents use the %s HTTP client%n",
                        p.pid(), host, port, cfg.controllerHeap(), cfg.client());
                if (cfg.auth()) authenticate(dir.resolve("data"));
                return p;
            }
            Thread.sleep(100);
        }
        p.destroyForcibly();
        throw new IllegalStateException("the controller did not start within 120 s: " + tail(log));
    }

    /** Reads the admin token the controller wrote at its first start, and makes a join token with it. */
    private void authenticate(Path dataDir) throws IOException, InterruptedException {
        adminToken = Files.readString(dataDir.resolve("admin-token")).strip();
        Http.Response r = http.send("POST", "/tokens", JSON.writeValueAsBytes(new TokenRequest("bench agents", "join", null, null)),
                adminToken);
        if (r.status() != 201) throw new IOException("POST /tokens: " + r.status() + " " + new String(r.body(), StandardCharsets.UTF_8));
        joinToken = JSON.readTree(r.body()).path("token").asString();
        progress.println("authentication on: agents join with a join token and use their hosts' credentials");
    }

    /** Runs a diagnostic command in the controller (a flight recording); a failure is reported, not fatal. */
    private void jcmd(long pid, String... command) throws InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                Long.toString(pid)));
        cmd.addAll(List.of(command));
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) progress.println("jcmd " + String.join(" ", command) + ": " + out.strip());
        } catch (IOException e) {
            progress.println("jcmd " + String.join(" ", command) + ": " + e.getMessage());
        }
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
        } catch (IOException e) {
            return "(no log)";
        }
    }

    /** SIGTERM first, so the controller closes its store and a JFR recording is written; then SIGKILL. */
    private static void stop(Process p) throws InterruptedException {
        p.destroy();
        if (!p.waitFor(30, TimeUnit.SECONDS)) p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        } catch (IOException | UncheckedIOException e) {
            // a temporary directory; the system cleans it eventually
        }
    }

    // ---- figures -------------------------------------------------------------------------------

    static double ms(long nanos) {
        return nanos / 1e6;
    }

    static RouteStats stats(String route, String phase, Latencies.Summary s, double seconds) {
        return new RouteStats(route, phase, s.count(), seconds > 0 ? s.count() / seconds : 0, ms(s.percentile(50)),
                ms(s.percentile(90)), ms(s.percentile(99)), ms(s.max()), s.mean() / 1e6, s.errors());
    }
}
