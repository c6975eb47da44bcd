package gpufleet.sim.engine;

import gpufleet.core.failure.FailureCause;
import gpufleet.core.failure.FailureModel;
import gpufleet.core.job.CheckpointPolicy;
import gpufleet.core.job.JobSpec;
import gpufleet.core.job.Parallelism;
import gpufleet.core.job.Priority;
import gpufleet.core.job.Work;
import gpufleet.core.sched.Policy;
import gpufleet.core.topology.ClusterSpec;
import gpufleet.core.topology.FleetSpec;
import gpufleet.sim.report.SimReport;
import gpufleet.sim.workload.StreamSpec;
import gpufleet.sim.workload.WorkloadSpec;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class SimulationTest {

    static FleetSpec fleet(int hosts, int spares) {
        return new FleetSpec("test", "", List.of(new ClusterSpec("c0", "dc", "H100-SXM", hosts, 8, 4, 4, 400, 1,
                spares, 2.0, 1500)));
    }

    static JobSpec big(int gpus, double hours, CheckpointPolicy ckpt) {
        return new JobSpec("big", "genai", Parallelism.of(gpus, 8, 1, 1), new Work.Fixed(hours * 3600), ckpt, 600,
                Priority.HIGH, 0, null, 1000);
    }

    static StreamSpec mix(double load) {
        return new StreamSpec("research", load, List.of(new StreamSpec.Weighted("vision", 1), new StreamSpec.Weighted("nlp", 2)),
                List.of(new StreamSpec.SizeClass(1, 1, 6, 1, 1, "normal"), new StreamSpec.SizeClass(8, 8, 2, 4, 1, "normal"),
                        new StreamSpec.SizeClass(32, 8, 1, 8, 1, "low")),
                0, 30, 60, 300, 50, "test mix");
    }

    static SimReport run(FleetSpec f, WorkloadSpec w, FailureModel fm, long seed, double days) {
        return new Simulation(new Simulation.Config(f, w, Policy.GPUFLEET, fm, seed, days)).run(Simulation.Progress.NONE);
    }

    @Test
    void sameSeedGivesSameReportAndOtherSeedDiffers() {
        var w = new WorkloadSpec("w", "", 10, List.of(big(64, 100, new CheckpointPolicy(0, 30, 60))), List.of(mix(0.5)), Map.of());
        var f = fleet(32, 1);
        var a = run(f, w, FailureModel.LLAMA3.scaled(50), 7, 10);
        var b = run(f, w, FailureModel.LLAMA3.scaled(50), 7, 10);
        var c = run(f, w, FailureModel.LLAMA3.scaled(50), 8, 10);
        assertThat(a).isEqualTo(b);
        assertThat(a).isNotEqualTo(c);
    }

    @Test
    void withoutFailuresAJobRunsExactlyItsWorkPlusCheckpoints() {
        // 10 h of work, checkpoint every hour taking 60 s: 9 checkpoints (none after the last hour)
        var w = new WorkloadSpec("w", "", 1, List.of(big(16, 10, new CheckpointPolicy(3600, 60, 60))), List.of(), Map.of());
        var r = run(fleet(4, 0), w, FailureModel.NONE, 1, 1);
        var job = r.largeJobs().getFirst();
        assertThat(job.state()).isEqualTo("completed");
        assertThat(job.endTime()).isCloseTo(10 * 3600 + 9 * 60, within(1e-6));
        assertThat(job.productiveTime()).isCloseTo(36_000, within(1e-6));
        assertThat(job.checkpointTime()).isCloseTo(540, within(1e-6));
        assertThat(job.ettr()).isCloseTo(36_000.0 / 36_540, within(1e-9));
    }

    @Test
    void failuresInterruptTheBigJobWhichRestartsFromItsCheckpointAndCompletes() {
        var gpuOnly = new FailureModel("gpu", List.of(new FailureCause("gpu", FailureCause.Scope.GPU, 0.02, 2, false, "test")));
        var w = new WorkloadSpec("w", "", 20, List.of(big(64, 48, new CheckpointPolicy(1800, 30, 120))), List.of(), Map.of());
        var r = run(fleet(10, 2), w, gpuOnly, 3, 20);
        var job = r.largeJobs().getFirst();
        assertThat(job.restarts()).isPositive();
        assertThat(job.interruptionsByCause()).containsKey("gpu");
        assertThat(job.state()).isEqualTo("completed");
        assertThat(job.productiveTime()).isCloseTo(48 * 3600, within(1e-3));
        assertThat(job.lostTime()).isPositive();
        assertThat(job.lostTime()).isLessThanOrEqualTo(job.restarts() * (1800 + 30) + 1e-6);
        // wall time = every second accounted for once
        assertThat(job.productiveTime() + job.checkpointTime() + job.lostTime() + job.restartTime() + job.waitTime())
                .isCloseTo(job.wallTime(), within(1e-3));
        assertThat(r.largestJobTimeline()).extracting(SimReport.Segment::kind).contains("running", "lost", "restarting");
        assertThat(r.interruptionsByCause().get("gpu")).isGreaterThanOrEqualTo(job.restarts());
    }

    @Test
    void llama3RatesGiveAboutEightInterruptionsADayOnSixteenThousandGpus() {
        double perDay = FailureModel.LLAMA3.jobRatePerDay(16_384, 2_048);
        assertThat(perDay).isCloseTo(466.0 / 54, within(1e-9));
    }

    @Test
    void researchMixKeepsTheFleetBusyAtRoughlyItsLoad() {
        var w = new WorkloadSpec("w", "", 30, List.of(), List.of(mix(0.6)), Map.of());
        var r = run(fleet(32, 0), w, FailureModel.NONE, 11, 30);
        assertThat(r.headline().meanAllocation()).isBetween(0.4, 0.8);
        assertThat(r.headline().jobsCompleted()).isGreaterThan(100);
        assertThat(r.teams()).extracting(SimReport.TeamRow::team).containsExactly("nlp", "vision");
    }

    @Test
    void aJobThatCanNeverFitIsRejectedWithTheReasonAndTheOthersRun() {
        var tooBig = new JobSpec("too-big", "genai", Parallelism.of(1024, 8, 1, 1), new Work.Fixed(3600),
                CheckpointPolicy.NONE, 0, Priority.NORMAL, 0, null, 0);
        var tpTooWide = new JobSpec("tp16", "genai", Parallelism.of(32, 16, 1, 1), new Work.Fixed(3600),
                CheckpointPolicy.NONE, 0, Priority.NORMAL, 0, null, 0);
        var fine = big(16, 1, CheckpointPolicy.NONE);
        var w = new WorkloadSpec("w", "", 1, List.of(tooBig, tpTooWide, fine), List.of(), Map.of());
        var sim = new Simulation(new Simulation.Config(fleet(4, 0), w, Policy.GPUFLEET, FailureModel.NONE, 1, 1));
        var r = sim.run(Simulation.Progress.NONE);
        assertThat(r.headline().jobsRejected()).isEqualTo(2);
        assertThat(r.headline().jobsCompleted()).isEqualTo(1);
        assertThat(sim.rejections()).extracting(SimReport.Rejection::name).containsExactlyInAnyOrder("too-big", "tp16");
        var reasons = sim.rejections().stream().collect(java.util.stream.Collectors.toMap(SimReport.Rejection::name,
                SimReport.Rejection::reason));
        assertThat(reasons.get("too-big")).contains("needs 1024 GPUs").contains("32");
        assertThat(reasons.get("tp16")).contains("tensor-parallel group of 16").contains("8 GPUs");
    }

    @Test
    void aStopWithoutPeriodicCheckpointsKeepsOrLosesTheWholeRunNeverNaN() {
        // regression: 0 periods x an infinite interval was NaN, and a preempted job never finished
        assertThat(gpufleet.core.failure.Checkpointing.split(500, Double.POSITIVE_INFINITY, 0, 0, true)).containsExactly(500, 0, 0);
        assertThat(gpufleet.core.failure.Checkpointing.split(500, Double.POSITIVE_INFINITY, 0, 0, false)).containsExactly(0, 0, 500);
        // 2 whole periods of 100 s work + 10 s write, then 35 s into the third
        assertThat(gpufleet.core.failure.Checkpointing.split(255, 100, 10, 0, false)).containsExactly(200, 20, 35);
        assertThat(gpufleet.core.failure.Checkpointing.split(255, 100, 10, 0, true)).containsExactly(235, 20, 0);
        // stopped while writing the third checkpoint: a planned stop keeps the work, counts the write so far
        assertThat(gpufleet.core.failure.Checkpointing.split(325, 100, 10, 0, true)).containsExactly(300, 25, 0);
    }
}
