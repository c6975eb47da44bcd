package gpufleet.cli;

import gpufleet.core.job.JobState;
import gpufleet.core.state.HostStatus;
import gpufleet.protocol.Assignment;
import gpufleet.protocol.GpuHealth;
import gpufleet.protocol.Heartbeat;
import gpufleet.protocol.HeartbeatReply;
import gpufleet.protocol.Registration;
import gpufleet.protocol.TaskReport;
import gpufleet.server.control.Controller;
import gpufleet.server.control.ControllerOptions;
import gpufleet.server.store.HostGpus;
import gpufleet.server.store.HostRecord;
import gpufleet.server.store.JobRecord;
import gpufleet.server.store.NewJob;
import gpufleet.server.store.SqlStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.function.BooleanSupplier;

/**
 * {@code gpufleet bench recovery}: how long the control plane takes to bring a whole-fleet gang back after
 * a fault. A controller (in this process, on an SQLite database in a temporary directory, scheduling on the
 * wall clock) and simulated agents that heartbeat it directly, without HTTP: a gang of every host's GPUs
 * runs, and each fault (an agent killed, a GPU's XID, the gang hung) is timed from the moment it happens until
 * every host of the re-formed gang has been handed the new run. The faulty host then comes back (a new agent,
 * or the GPU reset and the host resumed) and refills the spare pool before the next fault. The agents report
 * progress at every heartbeat, as a job that writes to its progress file does; a hung gang's agents keep
 * beating but report no progress after the hang, which only the controller's hang detector notices.
 */
@Command(name = "recovery", mixinStandardHelpOptions = true, description = {
        "Time a whole-fleet gang's recovery in the controller: simulated agents",
        "(no HTTP) heartbeat a controller in this process; kill an agent, fail a",
        "GPU or hang the gang, and time from the fault until every host of the",
        "re-formed gang holds the new run. Agents learn of it from their heartbeats,",
        "so up to one --heartbeat period of delivery is included; a killed agent",
        "also costs --heartbeat-timeout of detection, a hang --hang-timeout.",
        "Progress goes to stderr, figures to stdout."})
final class RecoveryBenchCommand implements Callable<Integer> {
    @Option(names = "--hosts", defaultValue = "2048", description = "hosts of 8 GPUs the gang spans (default: ${DEFAULT-VALUE})")
    int hosts;

    @Option(names = "--spares", defaultValue = "4", description = "hot spares besides them (default: ${DEFAULT-VALUE})")
    int spares;

    @Option(names = "--faults", defaultValue = "20", description = "faults of each kind (default: ${DEFAULT-VALUE})")
    int faults;

    @Option(names = "--heartbeat", defaultValue = "1", paramLabel = "SECONDS", description = "heartbeat period (default: ${DEFAULT-VALUE})")
    double heartbeat;

    @Option(names = "--heartbeat-timeout", defaultValue = "5", paramLabel = "SECONDS",
            description = "silence before a host is declared lost (default: ${DEFAULT-VALUE})")
    double timeout;

    @Option(names = "--hang-timeout", defaultValue = "10", paramLabel = "SECONDS",
            description = "the controller's hang timeout: a run without progress for this long is restarted (default: ${DEFAULT-VALUE})")
    double hangTimeout;

    @Option(names = "--seed", defaultValue = "1", description = "picks the failing hosts and GPUs (default: ${DEFAULT-VALUE})")
    long seed;

    /** One simulated agent: alive or killed, and a GPU it reports faulty (-1: none). */
    private static final class Agent {
        final String name;
        volatile long id, generation;
        volatile boolean alive = true;
        volatile int badGpu = -1;
        /** the generation of the job's assignment this host was last handed, -1 for none */
        volatile long holding = -1;
        volatile long holdingJob;

        Agent(String name) { this.name = name; }
    }

    private volatile boolean stopping;
    /** The generation of the job's run that hung (-1: none), and when: its agents report no progress after that. */
    private volatile long hungGeneration = -1;
    private volatile double hungAt;

    @Override
    public Integer call() throws Exception {
        if (hosts < 2 || spares < 1 || faults < 1 || !(heartbeat > 0) || !(timeout > heartbeat))
            throw new IllegalArgumentException("needs --hosts >= 2, --spares >= 1, --faults >= 1 and --heartbeat-timeout > --heartbeat > 0");
        if (!(hangTimeout > heartbeat && hangTimeout <= 86_400))
            throw new IllegalArgumentException("needs --hang-timeout > --heartbeat (and at most 86400 s)");
        Path dir = Files.createTempDirectory("gpufleet-recovery");
        ControllerOptions opts = ControllerOptions.DEFAULTS.withHeartbeatTimeout(Duration.ofMillis((long) (timeout * 1000)))
                .withSpares(spares).withHangTimeout(hangTimeout);
        try (Controller c = new Controller(SqlStore.sqlite(dir), Clock.systemUTC(), opts)) {
            List<Agent> agents = new ArrayList<>();
            long t0 = System.nanoTime();
            for (int i = 0; i < hosts + spares; i++) {
                Agent a = new Agent(String.format(Locale.ROOT, "h%05d", i));
                register(c, a, i);
                agents.add(a);
            }
            c.start(Duration.ofMillis(100));
            Thread beats = Thread.ofPlatform().name("agents").start(() -> beat(c, agents));
            System.err.printf(Locale.ROOT, "%,d agents registered in %.1f s%n", agents.size(), (System.nanoTime() - t0) / 1e9);
            long job = c.submit(new NewJob("gang", "default", hosts * 8, 8, 1, 1, 1, List.of("train"), 100_000, "/ck")).id();
            double started = awaitRunning(c, agents, job, -1, 300);
            System.err.printf(Locale.ROOT, "the %,d-GPU gang runs on %,d hosts, %.1f s after submission%n", hosts * 8, hosts, started);
            Random rnd = new Random(seed);
            System.out.printf(Locale.ROOT, "recovery of a %,d-GPU gang on %,d hosts (+%d spares), heartbeat %.1f s, timeout %.1f s,"
                    + " hang timeout %.1f s:%n", hosts * 8, hosts, spares, heartbeat, timeout, hangTimeout);
            for (String kind : List.of("kill", "xid", "hang")) {
                List<Double> times = new ArrayList<>();
                for (int f = 0; f < faults; f++) {
                    JobRecord r = c.store().job(job).orElseThrow();
                    HostGpus victim = r.placement().get(rnd.nextInt(r.placement().size()));
                    Agent a = agents.stream().filter(x -> x.name.equals(victim.host())).findFirst().orElseThrow();
                    long faultAt = System.nanoTime();
                    switch (kind) {
                        case "kill" -> a.alive = false;
                        case "xid" -> a.badGpu = victim.gpus().get(rnd.nextInt(victim.gpus().size()));
                        default -> {
                            // a stalled collective: every rank of the run stops making progress at once
                            hungAt = System.currentTimeMillis() / 1000.0;
                            hungGeneration = r.generation();
                        }
                    }
                    times.add(awaitRunning(c, agents, job, r.generation(), 120 + hangTimeout, faultAt));
                    if (kind.equals("hang")) continue; // no part failed: nothing comes back, the spares are untouched
                    // the host comes back: a new agent, or its GPU reset and the host resumed
                    if (kind.equals("kill")) {
                        register(c, a, agents.indexOf(a));
                        a.alive = true;
                    } else {
                        a.badGpu = -1;
                        c.heartbeat(a.id, new Heartbeat(a.generation, List.of(), List.of()));
                        c.setHostStatus(a.name, HostStatus.UP, null);
                    }
                    await(() -> c.store().hosts().stream().filter(h -> h.status() == HostStatus.SPARE).count() == spares, 60,
                            "the spare pool to be refilled");
                }
                Collections.sort(times);
                System.out.printf(Locale.ROOT, "  %-5s %d faults: p50 %.2f s, p99 %.2f s, max %.2f s%n", kind, times.size(),
                        pct(times, 0.50), pct(times, 0.99), times.getLast());
            }
            stopping = true;
            beats.join();
        } finally {
            deleteTree(dir);
        }
        return 0;
    }

    private static void register(Controller c, Agent a, int i) {
        HostRecord h = c.registerHost(new Registration(a.name, 8, "r" + i / 16, "z1", "127.0.0.1", List.of()), "127.0.0.1");
        a.generation = h.generation();
        a.id = h.id();
    }

    /** Every live agent heartbeats once a period, reporting the run it holds and any GPU it has made faulty. */
    private void beat(Controller c, List<Agent> agents) {
        long period = (long) (heartbeat * 1e9);
        while (!stopping) {
            long next = System.nanoTime() + period;
            for (Agent a : agents) {
                if (!a.alive) continue;
                List<TaskReport> tasks = new ArrayList<>();
                if (a.holding >= 0) {
                    double now = System.currentTimeMillis() / 1000.0;
                    tasks.add(new TaskReport(a.holdingJob, a.holding, List.of(), null, null,
                            a.holding == hungGeneration ? Math.min(now, hungAt) : now));
                }
                List<GpuHealth> gpus = a.badGpu < 0 ? List.of()
                        : List.of(new GpuHealth(a.badGpu, false, 79, "XID 79: GPU has fallen off the bus"));
                try {
                    HeartbeatReply reply = c.heartbeat(a.id, new Heartbeat(a.generation, tasks, gpus));
                    long held = -1;
                    for (Assignment x : reply.assignments()) {
                        held = x.generation();
                        a.holdingJob = x.job();
                    }
                    a.holding = held;
                } catch (RuntimeException refused) {
                    // a stale generation while the host re-registers: the next beat speaks for the new agent
                }
            }
            long wait = next - System.nanoTime();
            if (wait > 0) {
                try {
                    Thread.sleep(Duration.ofNanos(wait));
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }

    private static double awaitRunning(Controller c, List<Agent> agents, long job, long after, double seconds) {
        return awaitRunning(c, agents, job, after, seconds, System.nanoTime());
    }

    /** Seconds from {@code from} until a run of the job newer than generation {@code after} is held by every host of it. */
    private static double awaitRunning(Controller c, List<Agent> agents, long job, long after, double seconds, long from) {
        java.util.Map<String, Agent> byName = new java.util.HashMap<>();
        for (Agent a : agents) byName.put(a.name, a);
        await(() -> {
            JobRecord r = c.store().job(job).orElseThrow();
            if (r.state() != JobState.RUNNING || r.generation() <= after) return false;
            for (HostGpus hg : r.placement()) if (byName.get(hg.host()).holding != r.generation()) return false;
            return true;
        }, seconds, "job " + job + " to run again on every host");
        return (System.nanoTime() - from) / 1e9;
    }

    private static void await(BooleanSupplier done, double seconds, String what) {
        long deadline = System.nanoTime() + (long) (seconds * 1e9);
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new IllegalStateException("waited " + seconds + " s for " + what);
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                throw new IllegalStateException("interrupted waiting for " + what);
            }
        }
    }

    private static double pct(List<Double> sorted, double p) {
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p * sorted.size()) - 1));
    }

    private static void deleteTree(Path dir) {
        try (var files = Files.walk(dir)) {
            for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        } catch (java.io.IOException e) {
            System.err.println("could not remove " + dir + ": " + e.getMessage());
        }
    }
}
