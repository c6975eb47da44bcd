package gpufleet.sim.engine;

import gpufleet.core.failure.FailureCause;
import gpufleet.core.failure.FailureModel;
import gpufleet.core.plan.Factors;
import gpufleet.core.plan.Planner;
import gpufleet.core.sched.Policy;
import gpufleet.core.topology.ClusterSpec;
import gpufleet.core.topology.FleetSpec;
import gpufleet.core.topology.Topology;
import gpufleet.sim.preset.FailureFiles;
import gpufleet.sim.preset.FleetFiles;
import gpufleet.sim.preset.ModelFiles;
import gpufleet.sim.preset.WorkloadFiles;
import gpufleet.sim.report.SimReport;
import gpufleet.sim.workload.StreamSpec;
import gpufleet.sim.workload.WorkloadSpec;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The failure model's heterogeneity, user failures, and the planner's ETTR against the twin's. */
class GoodputTest {

    static SimReport run(FleetSpec f, WorkloadSpec w, FailureModel fm, long seed, double days) {
        return new Simulation(new Simulation.Config(f, w, Policy.GPUFLEET, fm, seed, days)).run(Simulation.Progress.NONE);
    }

    static String llamaJob(double params, boolean async) {
        return """
                name: planned-job
                days: 54
                jobs:
                  - name: llama3-405b
                    gpus: 16384
                    tp: 8
                    pp: 16
                    model: {params: %s, tokens: 15.6T, mfu: 0.41}
                    checkpoint: {interval: auto, state: model, async: %s}
                    restartOverhead: 10m
                    priority: high
                    gpuType: H100-SXM
                    maxRestarts: 100000
                """.formatted(params, async);
    }

    static double plannedEttr(FailureModel fm, boolean async) {
        var m = ModelFiles.load("llama-405b");
        var cluster = FleetFiles.load("h100-24k-roce").clusters().getFirst();
        Factors d = Factors.DEFAULT;
        var f = new Factors(d.gemmEfficiency(), d.nvlinkEfficiency(), d.nicEfficiency(), d.tpOverlap(), d.cpOverlap(),
                d.dpOverlap(), d.memoryReserveGb(), d.gradReduceBytes(), d.storageWriteGBps(), d.storageReadGBps(),
                d.restartOverheadSec(), d.stagingGBps(), async);
        var req = new Planner.Request(m, 15.6e12, cluster, 16_384, null, 8, 16, null, 1, null, null, null, null, null,
                f, fm, 1);
        return Planner.plan(req).plans().getFirst().ettr();
    }

    static double twinEttr(FailureModel fm, boolean async) {
        double params = ModelFiles.load("llama-405b").params();
        WorkloadSpec w = WorkloadFiles.parse(llamaJob(params, async), "planned-job.yaml");
        double sum = 0;
        for (long seed = 1; seed <= 3; seed++) {
            SimReport r = run(FleetFiles.load("h100-24k-roce"), w, fm, seed, 54);
            sum += r.largeJobs().getFirst().ettr();
        }
        return sum / 3;
    }

    @Test
    void thePlannerAndTheTwinAgreeOnTheEttrOfOneJob() {
        FailureModel fm = FailureFiles.load("llama3");
        double twin = twinEttr(fm, false), plan = plannedEttr(fm, false);
        assertThat(plan).isBetween(0.85, 0.97);
        assertThat(twin).as("twin %.4f vs plan %.4f", twin, plan).isCloseTo(plan, within(0.02));
        double twinAsync = twinEttr(fm, true), planAsync = plannedEttr(fm, true);
        assertThat(twinAsync).as("async: twin %.4f vs plan %.4f", twinAsync, planAsync).isCloseTo(planAsync, within(0.02));
        // an asynchronous checkpoint stalls less, so both say the job trains more of the time
        assertThat(planAsync).isGreaterThan(plan);
        assertThat(twinAsync).isGreaterThan(twin);
    }

    static FleetSpec twoGenerations() {
        return new FleetSpec("two", "", List.of(
                new ClusterSpec("a100", "dc", "A100-SXM-80GB", 200, 8, 4, 10, 200, 1, 0, 2.0, 900),
                new ClusterSpec("h100", "dc", "H100-SXM", 200, 8, 4, 10, 400, 1, 0, 2.0, 1500)));
    }

    @Test
    void lemonHostsDrawTheirShareOfFailuresAndTheFleetKeepsItsAverage() {
        var cause = new FailureCause("host", FailureCause.Scope.HOST, 0.01, 24, false, "test");
        var h = new FailureModel.Heterogeneity(0.05, 20, 0, 0, "test");
        var fm = new FailureModel("lemony", "", List.of(cause), h);
        var topo = new Topology(twoGenerations());
        var inj = new FailureInjector(topo, fm, new Streams(3));
        int lemons = 0;
        for (int host = 0; host < topo.hostCount(); host++) if (inj.isLemon(host)) lemons++;
        assertThat(lemons).isEqualTo(20); // 5% of each 200-host cluster
        // the fleet rate is the cited average: 400 hosts x 0.01 a day
        assertThat(inj.ratePerSec(0) * 86_400).isCloseTo(4.0, within(1e-9));
        var rng = new SplittableRandom(11);
        int n = 200_000, onLemons = 0;
        for (int i = 0; i < n; i++) if (inj.isLemon(inj.pickHost(0, rng))) onLemons++;
        // lemons carry s L / (1 - s + s L) = 0.05 x 20 / 1.95 = 51.3% of the failures
        assertThat((double) onLemons / n).isCloseTo(1.0 / 1.95, within(0.01));
    }

    @Test
    void aGpuGenerationFactorMovesFailuresToThatGeneration() {
        var cause = new FailureCause("hbm", FailureCause.Scope.GPU, 0.001, 72, false, "test", Map.of("H100-SXM", 3.0));
        var fm = new FailureModel("gen", List.of(cause));
        var topo = new Topology(twoGenerations());
        var inj = new FailureInjector(topo, fm, new Streams(3));
        // 1,600 A100 GPUs at 0.001 plus 1,600 H100 GPUs at 0.003 a day
        assertThat(inj.ratePerSec(0) * 86_400).isCloseTo(6.4, within(1e-9));
        var rng = new SplittableRandom(5);
        int n = 100_000, onH100 = 0;
        for (int i = 0; i < n; i++) {
            int gpu = inj.pickGpu(0, rng);
            if (gpu >= 1_600) onH100++;
        }
        assertThat((double) onH100 / n).isCloseTo(0.75, within(0.01));
        // and the job-level rate the planner and the interval use follows the generation
        assertThat(fm.jobRatePerDay(8, 1, "H100-SXM")).isCloseTo(3 * fm.jobRatePerDay(8, 1, "A100-SXM-80GB"), within(1e-15));
    }

    @Test
    void aUniformModelDrawsExactlyAsBefore() {
        var topo = new Topology(twoGenerations());
        var inj = new FailureInjector(topo, FailureModel.LLAMA3, new Streams(3));
        var a = new SplittableRandom(9);
        var b = new SplittableRandom(9);
        for (int i = 0; i < 1000; i++) {
            assertThat(inj.pickGpu(0, a)).isEqualTo(b.nextInt(topo.totalGpus()));
            assertThat(inj.pickHost(3, a)).isEqualTo(b.nextInt(topo.hostCount()));
        }
    }

    static StreamSpec crashing(double share) {
        return new StreamSpec("research", 0.6, List.of(new StreamSpec.Weighted("vision", 1)),
                List.of(new StreamSpec.SizeClass(1, 1, 8, 2, 0.5, "normal"), new StreamSpec.SizeClass(8, 8, 2, 4, 0.5, "normal")),
                0, 30, 60, 300, 50, "test", share);
    }

    @Test
    void userFailuresCrashTheirShareOfJobsAndAreReportedPerClass() {
        var f = twoGenerations();
        var w = new WorkloadSpec("w", "", 10, List.of(), List.of(crashing(0.3)), Map.of());
        SimReport r = run(f, w, FailureModel.NONE, 4, 10);
        long submitted = 0, crashed = 0, completed = 0;
        for (var c : r.jobClasses()) {
            submitted += c.submitted();
            crashed += c.crashed();
            completed += c.completed();
            assertThat(c.gpuHours()).isCloseTo(c.productiveGpuHours() + c.checkpointGpuHours()
                    + c.lostToFailuresGpuHours() + c.lostToPreemptionsGpuHours() + c.crashedGpuHours(), within(1e-6 * c.gpuHours() + 1e-6));
        }
        assertThat(r.jobClasses()).extracting(SimReport.JobClassRow::jobClass).containsExactly("research-1g", "research-8g");
        assertThat(submitted).isGreaterThan(1000);
        // crashed jobs are the stream's share of those that ended
        assertThat((double) crashed / (crashed + completed)).isCloseTo(0.3, within(0.03));
        assertThat(r.headline().jobsFailed()).isEqualTo(crashed);
        assertThat(r.jobClasses()).allSatisfy(c -> assertThat(c.crashedGpuHours()).isPositive());
        assertThat(gpufleet.sim.report.HtmlReport.render(r)).contains("<h2>Job classes</h2>", "research-8g", "Crashed work");
        // without the field nothing crashes
        SimReport none = run(f, new WorkloadSpec("w", "", 10, List.of(), List.of(crashing(0)), Map.of()), FailureModel.NONE, 4, 10);
        assertThat(none.jobClasses()).allSatisfy(c -> assertThat(c.crashed()).isZero());
        assertThat(none.headline().jobsFailed()).isZero();
    }

    @Test
    void aRiskyStartBreaksRunsSoonAfterTheyStart() {
        var h = new FailureModel.Heterogeneity(0, 1, 0.05, 600, "test");
        var fm = new FailureModel("risky-start", "", List.of(), h);
        String text = """
                days: 2
                jobs:
                  - {name: wide, gpus: 256, tp: 8, duration: 1d, checkpoint: {interval: 30m, write: 10s, restore: 10s}, restartOverhead: 60, maxRestarts: 10000}
                """;
        // 32 hosts: each start breaks with probability 1 - 0.95^32 = 0.806; a job that finishes has
        // started once more than it broke
        long breaks = 0, starts = 0;
        for (long seed = 1; seed <= 60; seed++) {
            SimReport r = run(twoGenerations(), WorkloadFiles.parse(text, "w.yaml"), fm, seed, 2);
            var job = r.largeJobs().getFirst();
            int b = r.interruptionsByCause().getOrDefault("job-start", 0);
            assertThat(job.state()).isEqualTo("completed");
            assertThat(job.restarts()).isEqualTo(b);
            breaks += b;
            starts += b + 1;
        }
        assertThat((double) breaks / starts).isCloseTo(1 - Math.pow(0.95, 32), within(0.04));
        SimReport calm = run(twoGenerations(), WorkloadFiles.parse(text, "w.yaml"), FailureModel.NONE, 2, 2);
        assertThat(calm.interruptionsByCause()).doesNotContainKey("job-start");
        assertThat(calm.largeJobs().getFirst().state()).isEqualTo("completed");
    }
}
