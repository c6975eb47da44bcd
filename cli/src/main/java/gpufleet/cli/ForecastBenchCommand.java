package gpufleet.cli;

import gpufleet.core.job.CheckpointPolicy;
import gpufleet.core.job.JobSpec;
import gpufleet.core.job.Parallelism;
import gpufleet.core.lifecycle.Lifecycle;
import gpufleet.core.lifecycle.RestartRule;
import gpufleet.core.lifecycle.StartForecast;
import gpufleet.core.lifecycle.TimeLimitRuns;
import gpufleet.core.sched.PolicyRegistry;
import gpufleet.core.sched.Quotas;
import gpufleet.core.state.FleetState;
import gpufleet.core.topology.Topology;
import gpufleet.sim.preset.FleetFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;

/**
 * {@code gpufleet bench forecast}: how long the expected-start forecast takes for a full fleet and a
 * long queue, the controller's worst case. The fleet is filled with running jobs of mixed sizes and
 * time limits (a tenth without one), then the waiting jobs are queued behind them.
 */
@Command(name = "forecast", mixinStandardHelpOptions = true, description = {
        "Time the expected-start forecast: a full fleet, a long queue, the scheduler run forward.",
        "Prints the snapshot and forecast times, virtual cycles, and how many jobs got a start."})
final class ForecastBenchCommand implements Callable<Integer> {
    @Option(names = "--fleet", defaultValue = "h100-100k", description = "fleet preset or file (default: ${DEFAULT-VALUE})")
    String fleet;

    @Option(names = "--waiting", defaultValue = "10000", description = "waiting jobs (default: ${DEFAULT-VALUE})")
    int waiting;

    @Option(names = "--policy", defaultValue = "gpufleet", description = "scheduling policy (default: ${DEFAULT-VALUE})")
    String policy;

    @Option(names = "--repeat", defaultValue = "5", description = "timed runs after one warm-up (default: ${DEFAULT-VALUE})")
    int repeat;

    @Option(names = "--resolution", description = "the clock's overshoot fraction (default: the forecast's own)")
    double resolution = StartForecast.RESOLUTION;

    @Option(names = "--horizon-hours", description = "how far ahead to look (default: the forecast's own)")
    double horizonHours = StartForecast.DEFAULT_HORIZON_SEC / 3600;

    @Option(names = "--seed", defaultValue = "1")
    long seed;

    private static final int[] SIZES = {1, 2, 4, 8, 8, 16, 32, 64, 128, 256};

    @Override
    public Integer call() {
        if (waiting < 0 || repeat < 1) throw new IllegalArgumentException("--waiting must be >= 0 and --repeat >= 1");
        Topology topo = new Topology(FleetFiles.load(fleet));
        var pol = PolicyRegistry.get(policy);
        TimeLimitRuns limits = new TimeLimitRuns();
        Lifecycle lc = new Lifecycle(new FleetState(topo), pol, TimeLimitRuns.options(RestartRule.IMMEDIATE), limits);
        SplittableRandom rng = new SplittableRandom(seed);
        int id = 0;
        // fill: submit and start until the fleet is (nearly) full
        while (lc.fleet().allocatedGpus() < topo.totalGpus() * 0.97) {
            int before = lc.fleet().allocatedGpus();
            for (int k = Math.max(4, topo.totalGpus() / 200); k > 0; k--) submit(lc, limits, id++, rng, 0);
            lc.cycle(0);
            if (lc.fleet().allocatedGpus() == before) break;
        }
        // what did not start joins the queue, topped up to --waiting (on a small fleet the fill may leave more)
        while (lc.waiting().size() < waiting) submit(lc, limits, id++, rng, 60);
        double now = 600;
        int queue = lc.waiting().size();

        System.out.printf(Locale.ROOT, "%s: %,d GPUs, %,d running jobs, %,d waiting, policy %s%n", fleet,
                topo.totalGpus(), lc.running().size(), queue, pol.name());
        System.out.printf(Locale.ROOT, "%-6s %12s %12s %12s %8s %8s %12s %12s %8s%n", "RUN", "SNAPSHOT_MS", "FORECAST_MS", "CPU_MS",
                "CYCLES", "STARTS", "NO_ESTIMATE", "BEYOND", "NEVER");
        var cpu = java.lang.management.ManagementFactory.getThreadMXBean();
        for (int run = 0; run <= repeat; run++) {
            long t0 = System.nanoTime();
            var snap = StartForecast.snapshot(lc, limits::limit, new Quotas(Map.of()), Map.of(), now);
            long t1 = System.nanoTime();
            long c1 = cpu.getCurrentThreadCpuTime();
            var r = StartForecast.run(snap, horizonHours * 3600, resolution, t -> "+" + Math.round(t - now) + "s");
            long t2 = System.nanoTime();
            long c2 = cpu.getCurrentThreadCpuTime();
            Map<StartForecast.Outcome, Integer> n = new EnumMap<>(StartForecast.Outcome.class);
            for (var o : StartForecast.Outcome.values()) n.put(o, 0);
            for (var e : r.jobs()) n.merge(e.outcome(), 1, Integer::sum);
            System.out.printf(Locale.ROOT, "%-6s %12.1f %12.1f %12.1f %8d %8d %12d %12d %8d%n", run == 0 ? "warmup" : "#" + run,
                    (t1 - t0) / 1e6, (t2 - t1) / 1e6, (c2 - c1) / 1e6, r.cycles(), n.get(StartForecast.Outcome.STARTS),
                    n.get(StartForecast.Outcome.NO_ESTIMATE), n.get(StartForecast.Outcome.BEYOND_HORIZON),
                    n.get(StartForecast.Outcome.NEVER));
        }
        System.out.println("(CPU_MS: the forecasting thread's CPU time, which a loaded machine does not inflate)");
        System.out.printf(Locale.ROOT, "(JDK %s, %d cores, max heap %d MB)%n", Runtime.version(),
                Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory() >> 20);
        return 0;
    }

    /** A job of a drawn size with a limit of 10 minutes to 2 days, or (one in ten) none. */
    private static void submit(Lifecycle lc, TimeLimitRuns limits, int id, SplittableRandom rng, double at) {
        int gpus = SIZES[rng.nextInt(SIZES.length)];
        int tp = Math.min(8, gpus);
        limits.set(id, rng.nextInt(10) == 0 ? null : (long) (600 + rng.nextInt(2 * 86_400)));
        lc.submit(id, new JobSpec("bench", "team" + rng.nextInt(8), Parallelism.of(gpus, tp, 1, 1),
                TimeLimitRuns.UNKNOWN_WORK, CheckpointPolicy.NONE, 0, 1 + rng.nextInt(3), at, null, 3), at);
    }
}
