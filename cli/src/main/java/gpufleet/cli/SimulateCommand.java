package gpufleet.cli;

import gpufleet.core.failure.FailureModel;
import gpufleet.core.lifecycle.Quarantine;
import gpufleet.core.sched.PolicyRegistry;
import gpufleet.sim.engine.Simulation;
import gpufleet.sim.preset.FailureFiles;
import gpufleet.sim.preset.FleetFiles;
import gpufleet.sim.preset.WorkloadFiles;
import gpufleet.sim.report.ReportWriter;
import gpufleet.sim.report.SimReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Comparator;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code gpufleet simulate}: the digital twin. */
@Command(name = "simulate", description = {
        "Simulate a fleet running a workload through failures, on a virtual clock.",
        "With no options: one Llama-3-405B-scale job on 16,384 of the 24,576 H100s of h100-24k-roce,",
        "beside a research mix, for 54 days, with failures at the rates Llama 3 reported."})
final class SimulateCommand implements Callable<Integer> {

    @Option(names = "--fleet", defaultValue = "h100-24k-roce", description = "fleet preset or YAML/JSON file (default: ${DEFAULT-VALUE}; see `gpufleet fleets`)")
    String fleet;

    @Option(names = "--workload", defaultValue = "default", description = "workload preset or YAML/JSON file (default: ${DEFAULT-VALUE}; see `gpufleet workloads`)")
    String workload;

    @Option(names = "--policy", defaultValue = "gpufleet", description = "scheduling policy (default: ${DEFAULT-VALUE}; see `gpufleet policies`)")
    String policy;

    @Option(names = "--days", description = "simulated days (default: the workload's own, 54 for the default scenario)")
    Double days;

    @Option(names = "--seed", defaultValue = "1", description = "random seed; the same seed gives the same report.json (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--out", description = "report folder (default: runs/<fleet>-<workload>-seed<seed>)")
    Path out;

    @Option(names = "--failures", defaultValue = "llama3", description = "failure model preset or YAML/JSON file (default: ${DEFAULT-VALUE}; see `gpufleet failures`)")
    String failuresModel;

    @Option(names = "--failure-scale", defaultValue = "1", description = "multiply every failure rate (0 = no failures; default: ${DEFAULT-VALUE})")
    double failureScale;

    @Option(names = "--by-class", description = "print each job class's outcomes and lost GPU time (also shown when jobs crashed)")
    boolean byClass;

    @Option(names = {"-q", "--quiet"}, description = "no progress bar")
    boolean quiet;

    @Option(names = "--quarantine", paramLabel = "N/WINDOW", description = "drain a host for diagnosis when its repair "
            + "ends if it failed N times within WINDOW (e.g. 2/7d): lemon-host quarantine (default: off)")
    String quarantine;

    @Override
    public Integer call() throws Exception {
        var fleetSpec = FleetFiles.load(fleet);
        var wl = WorkloadFiles.load(workload);
        var pol = PolicyRegistry.get(policy);
        double d = days != null ? days : wl.defaultDays();
        if (!(d > 0) || d > 3650) throw new IllegalArgumentException("--days must be in (0, 3650], got " + d);
        if (!(failureScale >= 0) || failureScale > 1000)
            throw new IllegalArgumentException("--failure-scale must be in [0, 1000], got " + failureScale);
        var failures = FailureFiles.load(failuresModel).scaled(failureScale);
        Path dir = out != null ? out : Path.of("runs", safe(fleetSpec.name()) + "-" + safe(wl.name()) + "-seed" + seed);
        var tuning = Simulation.Tuning.DEFAULT.withQuarantine(quarantine == null ? Quarantine.OFF : quarantine(quarantine));
        var sim = new Simulation(new Simulation.Config(fleetSpec, wl, pol, failures, seed, d, tuning));
        long t0 = System.nanoTime();
        SimReport r = sim.run(new ProgressBar(System.err, "simulating", quiet));
        double secs = (System.nanoTime() - t0) / 1e9;
        ReportWriter.write(r, dir);
        printSummary(r, sim.stats(), secs, dir);
        var rs = sim.recoveryStats();
        if (rs.quarantined() + rs.partialRestarts() + rs.spareSwaps() > 0)
            System.out.printf(Locale.ROOT, "  recovery: %,d restarts kept the gang's healthy hosts, %,d hot spares swapped in, "
                    + "%,d lemon hosts drained for diagnosis (%,d of them lemons in the failure model)%n",
                    rs.partialRestarts(), rs.spareSwaps(), rs.quarantined(), rs.quarantinedLemons());
        if (byClass || r.jobClasses().stream().anyMatch(c -> c.crashed() > 0)) printClasses(r);
        for (var rej : sim.rejections())
            System.out.printf(Locale.ROOT, "  rejected job %d (%s, %,d GPUs): %s%n", rej.id(), rej.name(), rej.gpus(), rej.reason());
        return 0;
    }

    /**
     * {@code N/WINDOW}, e.g. {@code 2/7d}, or {@code off}: the controller's rule ({@link Quarantine#parse}),
     * its messages named after this option.
     */
    static Quarantine quarantine(String text) {
        try {
            return Quarantine.parse(text);
        } catch (IllegalArgumentException e) {
            // the core's messages all begin "quarantine": here that is the option
            throw new IllegalArgumentException("--" + e.getMessage());
        }
    }

    private static String safe(String s) {
        return s.replaceAll("[^A-Za-z0-9._-]", "_");
    }

    static void printSummary(SimReport r, Simulation.Stats st, double secs, Path dir) {
        var s = r.scenario();
        var h = r.headline();
        var o = System.out;
        o.printf(Locale.ROOT, "%n%s: %,d GPUs (%,.0f H100-eq) in %,d hosts | workload %s | policy %s | %.0f days | seed %d%n",
                s.fleet(), s.gpus(), s.h100Equivalents(), s.hosts(), s.workload(), s.policy(), s.days(), s.seed());
        if (!s.failureModel().equals(FailureModel.LLAMA3.name()))
            o.printf(Locale.ROOT, "  failures: %s%n", s.failureModel());
        o.printf(Locale.ROOT, "  jobs: %,d submitted, %,d completed, %,d failed, %,d rejected, %,d running and %,d waiting at the end%n",
                h.jobsSubmitted(), h.jobsCompleted(), h.jobsFailed(), h.jobsRejected(), h.jobsRunningAtEnd(), h.jobsWaitingAtEnd());
        // every failure event of a GPU or a host, whatever the model calls its cause (software and planned
        // maintenance too), as the report words it
        o.printf(Locale.ROOT, "  allocation %.1f%%, goodput %.1f%% | %,d GPU %s (any cause), %,d job interruptions, %,d preemptions%n",
                100 * h.meanAllocation(), 100 * h.goodput(), h.hardwareFailures(),
                h.hardwareFailures() == 1 ? "or host failure" : "and host failures", h.interruptions(), h.preemptions());
        o.printf(Locale.ROOT, "  queue wait p50 %s, p99 %s | cost $%,.0f | energy %,.0f MWh%n",
                Fmt.duration(r.queueWait().p50()), Fmt.duration(r.queueWait().p99()), h.costUsd(), h.energyMWh());
        if (!r.largeJobs().isEmpty()) {
            var big = r.largeJobs().getFirst();
            o.printf(Locale.ROOT, "  largest job: %s, %,d GPUs, %s, progress %.1f%%, ETTR %.1f%%, %d interruptions%s%n",
                    big.name(), big.gpus(), big.state(), 100 * big.progress(), 100 * big.ettr(),
                    big.interruptionsByCause().values().stream().mapToInt(Integer::intValue).sum(),
                    causes(big.interruptionsByCause()));
            o.printf(Locale.ROOT, "    its time: productive %s, checkpointing %s, lost %s, restarting %s, waiting for GPUs %s%n",
                    Fmt.duration(big.productiveTime()), Fmt.duration(big.checkpointTime()), Fmt.duration(big.lostTime()),
                    Fmt.duration(big.restartTime()), Fmt.duration(big.waitTime()));
        }
        double gpuDays = s.gpus() * s.days();
        o.printf(Locale.ROOT, "  simulated in %.1f s: %,d events (%,.0f/s), %,.0f simulated GPU-days per second%n",
                secs, st.events(), st.events() / secs, gpuDays / secs);
        o.printf(Locale.ROOT, "report: %s and %s%n", dir.resolve("report.html"), dir.resolve("report.json"));
    }

    /** Each job class's outcome mix and where its GPU time went (report.json's jobClasses). */
    static void printClasses(SimReport r) {
        var o = System.out;
        o.printf(Locale.ROOT, "%-22s %9s %9s %8s %7s %7s %10s %7s %7s %7s %7s%n", "CLASS", "SUBMITTED", "COMPLETED",
                "CRASHED", "FAILED", "UNFIN", "GPU-H", "GOOD", "FAIL", "PREEMPT", "CRASH");
        for (var c : r.jobClasses()) {
            double h = Math.max(1e-9, c.gpuHours());
            o.printf(Locale.ROOT, "%-22s %,9d %,9d %,8d %,7d %,7d %10s %6.1f%% %6.1f%% %6.1f%% %6.1f%%%n", c.jobClass(),
                    c.submitted(), c.completed(), c.crashed(), c.failed(), c.unfinished(), PlanCommand.count(c.gpuHours()),
                    100 * c.productiveGpuHours() / h, 100 * c.lostToFailuresGpuHours() / h,
                    100 * c.lostToPreemptionsGpuHours() / h, 100 * c.crashedGpuHours() / h);
        }
        o.println("GOOD: productive share of the class's GPU-hours; FAIL: lost to interruptions (work and restarts);");
        o.println("PREEMPT: resuming after preemptions; CRASH: work of jobs that crashed for their own reasons.");
    }

    private static String causes(Map<String, Integer> m) {
        if (m.isEmpty()) return "";
        var sb = new StringBuilder(": ");
        m.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue(Comparator.reverseOrder())
                .thenComparing(Map.Entry.comparingByKey())).forEach(e -> sb.append(e.getKey()).append(' ').append(e.getValue()).append(", "));
        return sb.substring(0, sb.length() - 2);
    }
}
