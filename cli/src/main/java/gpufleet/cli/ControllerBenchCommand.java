package gpufleet.cli;

import gpufleet.cli.loadgen.ControllerBench;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code gpufleet bench controller}: the controller in its own process under a simulated fleet. */
@Command(name = "controller", mixinStandardHelpOptions = true, description = {
        "Start the controller in its own JVM, register simulated agents that heartbeat, long-poll and run",
        "(pretend to run) what they are assigned, submit a stream of jobs, and report API latency per route,",
        "the controller's CPU and memory, and how long a tagged job takes from submit to running.",
        "Progress goes to stderr, the figures to stdout."})
final class ControllerBenchCommand implements Callable<Integer> {

    @Option(names = "--agents", defaultValue = "12500", description = "simulated hosts (default: ${DEFAULT-VALUE})")
    int agents;

    @Option(names = "--gpus-per-agent", defaultValue = "8", description = "GPUs per host (default: ${DEFAULT-VALUE})")
    int gpusPerAgent;

    @Option(names = "--heartbeat", defaultValue = "10", paramLabel = "SECONDS", description = "heartbeat period (default: ${DEFAULT-VALUE})")
    double heartbeat;

    @Option(names = "--duration", defaultValue = "120", paramLabel = "SECONDS", description = "measured window (default: ${DEFAULT-VALUE})")
    double duration;

    @Option(names = "--warmup", defaultValue = "30", paramLabel = "SECONDS",
            description = "load before the window, after every agent registered (default: ${DEFAULT-VALUE})")
    double warmup;

    @Option(names = "--submit-rate", defaultValue = "2", paramLabel = "JOBS_PER_S",
            description = "job submissions per second, sizes 8 to 1,024 GPUs with tp 8 (default: ${DEFAULT-VALUE})")
    double submitRate;

    @Option(names = "--hosts-per-rack", defaultValue = "16", description = "(default: ${DEFAULT-VALUE})")
    int hostsPerRack;

    @Option(names = "--racks-per-zone", defaultValue = "32", description = "(default: ${DEFAULT-VALUE})")
    int racksPerZone;

    @Option(names = "--long-poll", defaultValue = "1", paramLabel = "FRACTION",
            description = "share of agents holding an assignments long poll; the rest rely on heartbeats (default: ${DEFAULT-VALUE})")
    double longPoll;

    @Option(names = "--probe-every", defaultValue = "2", paramLabel = "SECONDS",
            description = "submit a tagged job this often and time it to running (default: ${DEFAULT-VALUE})")
    double probeEvery;

    @Option(names = "--probe-gpus", defaultValue = "64", description = "GPUs of the tagged job (default: ${DEFAULT-VALUE})")
    int probeGpus;

    @Option(names = "--probe-seconds", defaultValue = "20", description = "how long a tagged job runs (default: ${DEFAULT-VALUE})")
    double probeSeconds;

    @Option(names = "--job-seconds", defaultValue = "30,90", split = ",", paramLabel = "MIN,MAX",
            description = "how long submitted jobs run, uniformly between MIN and MAX (default: ${DEFAULT-VALUE})")
    List<Double> jobSeconds;

    @Option(names = "--controller-heap", defaultValue = "2g", description = "the controller's -Xmx (default: ${DEFAULT-VALUE})")
    String controllerHeap;

    @Option(names = "--controller-opts", defaultValue = "", paramLabel = "JVM_OPTIONS",
            description = "more JVM options for the controller, e.g. \"-XX:+UseZGC\"")
    String controllerOpts;

    @Option(names = "--jfr", paramLabel = "FILE", description = "have the controller write a flight recording (profile settings) of the window here")
    String jfr;

    @Option(names = "--register-concurrency", defaultValue = "8",
            description = "registrations in flight at once (default: ${DEFAULT-VALUE})")
    int registerConcurrency;

    @Option(names = "--client", defaultValue = "raw", paramLabel = "raw|jdk",
            description = "the agents' HTTP client: raw (a small blocking HTTP/1.1 client, cheap on CPU) or jdk "
                    + "(java.net.http.HttpClient) (default: ${DEFAULT-VALUE})")
    String client;

    @Option(names = "--clients", defaultValue = "4", description = "JDK HTTP clients the agents share (default: ${DEFAULT-VALUE})")
    int clients;

    @Option(names = "--max-connections", defaultValue = "512",
            description = "raw client: shared connections at most, besides one per long poll (default: ${DEFAULT-VALUE})")
    int maxConnections;

    @Option(names = "--seed", defaultValue = "1")
    long seed;

    @Option(names = "--keep", description = "keep the controller's data directory, log and GC log, and print where")
    boolean keep;

    @Option(names = "--timeline", paramLabel = "FILE", description = "write the window second by second (CSV) here")
    String timeline;

    @Option(names = "--no-auth", description = "run the controller without tokens (every agent then counts as one client, "
            + "so without a rate limit too); by default agents join with a join token and use their hosts' credentials")
    boolean noAuth;

    @Option(names = "--telemetry", defaultValue = "10", paramLabel = "SECONDS",
            description = "each agent sends its GPUs' telemetry with one heartbeat this often, as a real agent does; 0: never (default: ${DEFAULT-VALUE})")
    double telemetry;

    @Option(names = "--db", paramLabel = "postgresql://...", description = "run the controllers on this PostgreSQL "
            + "database (an empty one) instead of one controller on SQLite")
    String db;

    @Option(names = "--controllers", defaultValue = "1", description = "controllers sharing --db (default: ${DEFAULT-VALUE})")
    int controllers;

    @Option(names = "--kill-leader", defaultValue = "0", paramLabel = "N", description = {"after the window, kill the leader "
            + "(SIGKILL) N times and time each takeover: from the kill until a new leader has answered a submission and",
            "placed a --probe-gpus gang (needs --db and --controllers 2 or more)"})
    int kills;

    @Option(names = "--compare-sqlite", description = "with --db: first run the same load on one controller on SQLite, "
            + "and compare the steady-state latency of the two")
    boolean compareSqlite;

    @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", description = "table (default) or json")
    ControllerClient.Format format = ControllerClient.Format.table;

    @Override
    public Integer call() throws Exception {
        if (jobSeconds.size() != 2) throw new IllegalArgumentException("--job-seconds takes MIN,MAX");
        var cfg = new ControllerBench.Config(agents, gpusPerAgent, heartbeat, duration, warmup, submitRate, hostsPerRack,
                racksPerZone, longPoll, probeEvery, probeGpus, probeSeconds, jobSeconds.get(0), jobSeconds.get(1),
                controllerHeap, controllerOpts, jfr, registerConcurrency, client, clients, maxConnections, seed, keep, timeline, !noAuth,
                telemetry);
        if (db == null && (controllers != 1 || kills > 0 || compareSqlite))
            throw new IllegalArgumentException("--controllers, --kill-leader and --compare-sqlite need --db postgresql://...");
        ControllerBench.Ha ha = db == null ? null : new ControllerBench.Ha(db, controllers, kills);
        List<ControllerBench.Result> runs = new java.util.ArrayList<>();
        if (compareSqlite) runs.add(new ControllerBench(cfg, System.err).run());
        runs.add(new ControllerBench(cfg, ha, System.err).run());
        if (format == ControllerClient.Format.json)
            System.out.println(ControllerClient.JSON.writeValueAsString(runs.size() == 1 ? runs.getFirst() : runs));
        else {
            for (var r : runs) {
                if (runs.size() > 1) System.out.println("== " + r.store());
                print(r);
                if (runs.size() > 1) System.out.println();
            }
            if (runs.size() > 1)
                System.out.printf(Locale.ROOT, "steady-state API latency, every call in the window: %s p50 %.2f ms, p99 %.2f ms; "
                                + "%s p50 %.2f ms, p99 %.2f ms%n", runs.get(0).store(), runs.get(0).window().p50Ms(),
                        runs.get(0).window().p99Ms(), runs.get(1).store(), runs.get(1).window().p50Ms(), runs.get(1).window().p99Ms());
            var f = runs.getLast().failover();
            if (f != null)
                System.out.printf(Locale.ROOT, "takeover, %d controllers, leader killed %d times (%d gangs placed): from the kill until "
                                + "a new leader answered a submission and placed a %d-GPU gang: p50 %.2f s, p99 %.2f s, max %.2f s; "
                                + "target p99 < 10 s: %s%n", f.controllers(), f.kills(), f.placed(), cfg.probeGpus(), f.p50Sec(),
                        f.p99Sec(), f.maxSec(), f.placed() == f.kills() && f.p99Sec() < 10 ? "met" : "NOT met");
            if (f != null) {
                System.out.printf(Locale.ROOT, "hosts not UP after the kills: %s%n", f.hostsNotUpAfter() < 0 ? "unknown (no answer)"
                        : f.hostsNotUpAfter() == 0 ? "0" : f.hostsNotUpAfter() + " (declared lost: no heartbeat reached a leader"
                        + " within the heartbeat timeout; their jobs were restarted)");
                if (f.stopped() != null) System.out.println("kills stopped " + f.stopped());
            }
        }
        return 0;
    }

    static void print(ControllerBench.Result r) {
        var c = r.config();
        var out = System.out;
        out.printf(Locale.ROOT, "controller benchmark: %,d agents x %d GPUs = %,d GPUs (racks of %d hosts, zones of %d racks), "
                        + "heartbeat %s s, %s jobs/s, window %s s after %s s warm-up; %s%n", r.agentsRegistered(), c.gpusPerAgent(),
                r.gpus(), c.hostsPerRack(), c.racksPerZone(), num(c.heartbeatSec()), num(c.submitRate()),
                num(c.durationSec()), num(c.warmupSec()),
                c.auth() ? "tokens on every call (host credentials, rate limit 1,000/s a client)" : "no authentication, no rate limit");
        out.printf(Locale.ROOT, "registration: %,d hosts in %.1f s; long polls held by %,d agents%s%n", r.agentsRegistered(),
                r.registrationSec(), r.longPollAgents(), r.longPollNote().isEmpty() ? "" : " (" + r.longPollNote() + ")");
        out.println();
        out.printf(Locale.ROOT, "%-24s %-13s %9s %9s %8s %8s %8s %8s %7s%n", "ROUTE", "PHASE", "CALLS", "PER_S", "P50_MS",
                "P90_MS", "P99_MS", "MAX_MS", "ERRORS");
        for (var s : r.routes()) row(s);
        row(r.window());
        out.println();
        out.printf(Locale.ROOT, "long polls in the window: %,d answered with new assignments, %,d ended after %d s unchanged, %d errors%n",
                r.longPollChanges(), r.longPollTimeouts(), ControllerBench.LONG_POLL_WAIT_MS / 1000, r.longPollErrors());
        if (r.resent() > 0)
            out.printf(Locale.ROOT, "calls sent again after the controller closed a kept-alive connection under them: %,d (whole run)%n",
                    r.resent());
        var p = r.probe();
        out.printf(Locale.ROOT, "submit to running, %d-GPU job (%d submitted in the window, %d gangs assigned): "
                        + "p50 %.1f ms, p99 %.1f ms, max %.1f ms from the 201 answer to its last host holding the assignment%n",
                p.gpus(), p.submitted(), p.gangAssigned(), p.fromAnswerP50Ms(), p.fromAnswerP99Ms(), p.fromAnswerMaxMs());
        out.printf(Locale.ROOT, "  from sending the submit: p50 %.1f ms, p99 %.1f ms; until GET /jobs/{id} shows RUNNING "
                + "(10 ms polls): p50 %.1f ms, p99 %.1f ms%n", p.fromRequestP50Ms(), p.fromRequestP99Ms(), p.apiP50Ms(), p.apiP99Ms());
        out.printf(Locale.ROOT, "jobs at the end: %s; hosts UP %,d, not UP %,d%n", r.jobs(), r.hostsUp(), r.hostsNotUp());
        var f = r.controller();
        out.printf(Locale.ROOT, "controller (pid %d, -Xmx%s%s): CPU %.2f cores on average over the window; RSS %,d MB at the end "
                        + "(window peak %,d MB, lifetime peak %,d MB)%n", f.pid(), f.maxHeap(),
                c.controllerOpts().isBlank() ? "" : " " + c.controllerOpts().trim(), f.cpuCores(), f.rssMbEnd(),
                f.rssMbPeak(), f.rssMbHighWater());
        out.printf(Locale.ROOT, "  heap: %s at the end (jcmd), peak %,d MB before a collection, up to %,d MB after one; "
                        + "%d collections, %s%n",
                f.heapUsedMbEnd() == null ? "n/a" : String.format(Locale.ROOT, "%,d MB used of %,d MB committed",
                        f.heapUsedMbEnd(), f.heapCommittedMbEnd()),
                f.heapPeakMb(), f.heapLiveMb(), f.collections(),
                f.collections() > 0 && f.gcPauses() == 0 ? "concurrent (pauses not in the gc log)"
                        : String.format(Locale.ROOT, "%d pauses, %.0f ms in all, longest %.1f ms", f.gcPauses(),
                        f.gcPauseTotalMs(), f.gcPauseMaxMs()));
        out.printf(Locale.ROOT, "load generator (this process): CPU %.2f cores; machine: %d cores, %.0f%% busy over the window "
                        + "(all processes), load average %.2f before, %.2f after%n", r.loadGeneratorCores(), r.cores(),
                r.machineBusyPercent(), r.loadAverageBefore(), r.loadAverageAfter());
        out.printf(Locale.ROOT, "target p99 < 100 ms over every call in the window: %s (p99 %.1f ms)%n",
                r.targetMet() ? "met" : "NOT met", r.window().p99Ms());
        if (r.workDir() != null) out.println("controller data, log and GC log kept in " + r.workDir());
    }

    private static void row(ControllerBench.RouteStats s) {
        System.out.printf(Locale.ROOT, "%-24s %-13s %,9d %9.1f %8.2f %8.2f %8.2f %8.1f %7d%n", s.route(), s.phase(), s.count(),
                s.perSecond(), s.p50Ms(), s.p90Ms(), s.p99Ms(), s.maxMs(), s.errors());
    }

    private static String num(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }
}
