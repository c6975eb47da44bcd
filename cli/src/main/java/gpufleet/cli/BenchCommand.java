package gpufleet.cli;

import gpufleet.core.failure.FailureModel;
import gpufleet.core.sched.Policy;
import gpufleet.sim.engine.Simulation;
import gpufleet.sim.preset.FleetFiles;
import gpufleet.sim.preset.WorkloadFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code gpufleet bench}: how fast the twin runs named scenarios ({@code bench} alone or {@code bench twin}),
 * and how the controller holds up under a simulated fleet ({@code bench controller}).
 */
@Command(name = "bench", mixinStandardHelpOptions = true, description = {
        "Run named twin scenarios and print events per second and simulated GPU-days per wall-clock second.",
        "Scenarios: default-54d, h100-100k-year, fleet-600k-year, lab-64-year.",
        "`bench controller` measures the controller under simulated agents instead;",
        "`bench forecast` times the expected-start forecast."},
        subcommands = {BenchCommand.Twin.class, ControllerBenchCommand.class, ForecastBenchCommand.class,
                RecoveryBenchCommand.class})
final class BenchCommand implements Callable<Integer> {

    /** {@code gpufleet bench twin}: the same as {@code gpufleet bench}, by name. */
    @Command(name = "twin", mixinStandardHelpOptions = true, description = "Run named twin scenarios (what `gpufleet bench` alone does).")
    static final class Twin implements Callable<Integer> {
        @Mixin
        TwinOptions options = new TwinOptions();

        @Override
        public Integer call() {
            return runTwin(options.scenarios, options.seed);
        }
    }

    /** What {@code bench} and {@code bench twin} both take. */
    static final class TwinOptions {
        @Option(names = "--scenario", split = ",", description = "scenarios to run (default: default-54d,h100-100k-year,fleet-600k-year)")
        List<String> scenarios = List.of("default-54d", "h100-100k-year", "fleet-600k-year");

        @Option(names = "--seed", defaultValue = "1")
        long seed;
    }

    record Scenario(String fleet, String workload, double days) {}

    static final Map<String, Scenario> SCENARIOS = new LinkedHashMap<>();

    static {
        SCENARIOS.put("default-54d", new Scenario("h100-24k-roce", "default", 54));
        SCENARIOS.put("h100-100k-year", new Scenario("h100-100k", "research-mix", 365));
        SCENARIOS.put("fleet-600k-year", new Scenario("fleet-600k", "research-mix", 365));
        SCENARIOS.put("lab-64-year", new Scenario("lab-64", "research-mix", 365));
    }

    @Mixin
    TwinOptions options = new TwinOptions();

    @Override
    public Integer call() {
        return runTwin(options.scenarios, options.seed);
    }

    static int runTwin(List<String> scenarios, long seed) {
        for (String n : scenarios)
            if (!SCENARIOS.containsKey(n))
                throw new IllegalArgumentException("unknown scenario '" + n + "'; known: " + String.join(", ", SCENARIOS.keySet()));
        System.out.printf(Locale.ROOT, "%-18s %9s %12s %12s %14s %10s %10s %10s%n", "SCENARIO", "WALL_S", "EVENTS",
                "EVENTS/S", "GPU-DAYS/S", "JOBS", "CYCLES", "PEAK_HEAP");
        for (String n : scenarios) {
            Scenario sc = SCENARIOS.get(n);
            var fleet = FleetFiles.load(sc.fleet());
            var wl = WorkloadFiles.load(sc.workload());
            System.gc();
            resetPeaks();
            var sim = new Simulation(new Simulation.Config(fleet, wl, Policy.GPUFLEET, FailureModel.LLAMA3, seed, sc.days()));
            long t0 = System.nanoTime();
            sim.run(Simulation.Progress.NONE);
            double secs = (System.nanoTime() - t0) / 1e9;
            var st = sim.stats();
            System.out.printf(Locale.ROOT, "%-18s %9.1f %,12d %,12.0f %,14.0f %,10d %,10d %8.0f MB%n", n, secs,
                    st.events(), st.events() / secs, fleet.gpus() * sc.days() / secs, st.jobs(), st.cycles(), peakHeapMb());
        }
        System.out.printf(Locale.ROOT, "(JDK %s, %d cores, max heap %d MB)%n", Runtime.version(),
                Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory() >> 20);
        return 0;
    }

    private static void resetPeaks() {
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) p.resetPeakUsage();
    }

    private static double peakHeapMb() {
        long sum = 0;
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans())
            if (p.getType() == MemoryType.HEAP) sum += p.getPeakUsage().getUsed();
        return sum / 1048576.0;
    }
}
