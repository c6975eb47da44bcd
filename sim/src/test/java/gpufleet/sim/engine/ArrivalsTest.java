package gpufleet.sim.engine;

import gpufleet.core.failure.FailureModel;
import gpufleet.core.job.CheckpointPolicy;
import gpufleet.core.job.JobSpec;
import gpufleet.core.job.Parallelism;
import gpufleet.core.job.Priority;
import gpufleet.core.job.Work;
import gpufleet.core.perf.CommSlowdown;
import gpufleet.core.sched.Policy;
import gpufleet.sim.report.SimReport;
import gpufleet.sim.workload.StreamSpec;
import gpufleet.sim.workload.WorkloadSpec;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static gpufleet.sim.engine.HandWorkedSimulationTest.ONE_HOST;
import static gpufleet.sim.engine.HandWorkedSimulationTest.job;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** What arrives and when: explicit jobs up to the horizon, a stream's rate, samples and progress. */
class ArrivalsTest {

    /**
     * One host of 8 GPUs for a day. Explicit jobs: 4 GPUs at 100 s (1 h), 2 GPUs exactly at the
     * horizon (never arrives: the run covers [0, horizon) for submissions). A stream of 1-GPU jobs
     * of exactly 1 h (sigma 0) at load 0.5 of the GPUs the explicit jobs leave: all of them count as
     * reserved, so the pool is 8 - 4 - 2 = 2 GPUs and the rate is 0.5 x 2 GPUs / 3,600 GPU-s per
     * job = one job an hour. The arrival times are the stream's exponential gaps at that rate, drawn
     * from the seed's {@code stream:0:NAME:arrivals} stream as the class documents.
     */
    @Test
    void explicitJobsArriveBeforeTheHorizonAndAStreamArrivesAtItsLoadOfTheGpusLeft() {
        double horizon = 86_400;
        var stream = new StreamSpec("hourly", 0.5, List.of(new StreamSpec.Weighted("s", 1)),
                List.of(new StreamSpec.SizeClass(1, 1, 1, 1, 0, "normal")), 3600, 10, 10, 0, 10, "test");
        var w = new WorkloadSpec("w", "", 1, List.of(job("first", "t", 4, 3600, CheckpointPolicy.NONE, 100),
                job("at-horizon", "t", 2, 3600, CheckpointPolicy.NONE, horizon)), List.of(stream), Map.of());
        long seed = 4;
        SplittableRandom r = new Streams(seed).stream("stream:0:hourly:arrivals");
        List<Double> arrivals = new ArrayList<>();
        for (double t = Streams.exponential(r, 1 / 3600.0); t <= horizon; t += Streams.exponential(r, 1 / 3600.0))
            arrivals.add(t);

        var tuning = new Simulation.Tuning(Double.NaN, CommSlowdown.NONE, Map.of(), true);
        var sim = new Simulation(new Simulation.Config(ONE_HOST, w, Policy.FIFO, FailureModel.NONE, seed, 1, tuning));
        List<double[]> progress = new ArrayList<>();
        SimReport rep = sim.run((f, e) -> progress.add(new double[] {f, e}));

        assertThat(rep.headline().jobsSubmitted()).isEqualTo(1 + arrivals.size());
        assertThat(sim.stats().jobs()).isEqualTo(1 + arrivals.size());
        var submits = sim.jobEvents().stream().filter(e -> e.event().equals("submit")).toList();
        assertThat(submits.getFirst().name()).isEqualTo("first");
        assertThat(submits).extracting(Simulation.JobEvent::name).doesNotContain("at-horizon");
        List<Double> streamTimes = submits.stream().filter(e -> e.name().startsWith("hourly")).map(Simulation.JobEvent::time).toList();
        assertThat(streamTimes).containsExactlyElementsOf(arrivals);
        assertThat(sim.replaySamples().windowStart()).as("the first submission").isEqualTo(Math.min(100, arrivals.getFirst()));
        // only the explicit job is in the large-jobs table (stream jobs under 512 GPUs are not)
        assertThat(rep.largeJobs()).extracting(SimReport.JobRow::name).containsExactly("first");

        // 401 samples, evenly spaced from 0 to the horizon
        assertThat(rep.allocation()).hasSize(401);
        assertThat(rep.allocation().getFirst().day()).isZero();
        assertThat(rep.allocation().getLast().day()).isCloseTo(1, within(1e-12));
        assertThat(rep.allocation().get(200).day()).isCloseTo(0.5, within(1e-12));

        // progress: from 0, never back, steps at least 1/200 of the run apart, ending at 1 with every event
        assertThat(progress.getFirst()[0]).isZero();
        for (int i = 1; i < progress.size() - 1; i++)
            assertThat(progress.get(i)[0] - progress.get(i - 1)[0]).isGreaterThanOrEqualTo(1 / 200.0 - 1e-12);
        assertThat(progress.getLast()).containsExactly(1, sim.stats().events());
        assertThat(progress.size()).isBetween(100, 202);
    }

    /** The largest explicit job keeps the timeline; one of equal size arriving later does not take it. */
    @Test
    void theLargestJobKeepsTheTimeline() {
        var w = new WorkloadSpec("w", "", 1, List.of(job("two", "t", 2, 3600, CheckpointPolicy.NONE, 0),
                job("four", "t", 4, 3600, CheckpointPolicy.NONE, 100),
                job("four-later", "t", 4, 3600, CheckpointPolicy.NONE, 200)), List.of(), Map.of());
        var r = new Simulation(new Simulation.Config(ONE_HOST, w, Policy.FIFO, FailureModel.NONE, 1, 1))
                .run(Simulation.Progress.NONE);
        // two: 0 - 3,600; four: 100 - 3,700; four-later needs 4 of the 2 left, so it starts at 3,600
        assertThat(r.largestJobTimeline()).containsExactly(new SimReport.Segment(100, 3700, "running", ""));
        assertThat(r.headline().largestJobEttr()).isCloseTo(1, within(1e-12));
        assertThat(r.largeJobs()).extracting(SimReport.JobRow::name).containsExactly("four", "four-later", "two");
        assertThat(r.largeJobs()).extracting(SimReport.JobRow::firstStart).containsExactly(100.0, 3600.0, 0.0);
    }

    /** A job that can never fit is rejected and leaves the large-jobs table; the others run. */
    @Test
    void aRejectedJobLeavesTheLargeJobsTable() {
        var w = new WorkloadSpec("w", "", 1, List.of(job("two", "t", 2, 3600, CheckpointPolicy.NONE, 0),
                job("sixteen", "t", 16, 3600, CheckpointPolicy.NONE, 300)), List.of(), Map.of());
        var sim = new Simulation(new Simulation.Config(ONE_HOST, w, Policy.FIFO, FailureModel.NONE, 1, 1));
        var r = sim.run(Simulation.Progress.NONE);
        assertThat(r.headline().jobsRejected()).isEqualTo(1);
        assertThat(r.headline().jobsCompleted()).isEqualTo(1);
        assertThat(r.largeJobs()).extracting(SimReport.JobRow::name).containsExactly("two");
        assertThat(sim.rejections()).extracting(SimReport.Rejection::name, SimReport.Rejection::gpus)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("sixteen", 16));
        assertThat(r.jobClasses()).filteredOn(c -> c.jobClass().equals("sixteen"))
                .extracting(SimReport.JobClassRow::rejected).containsExactly(1L);
    }

    /**
     * With nothing to simulate (the one job arrives after the run) the only events are the 401 samples, at k x 216 s of a day. Progress
     * is reported at the first event and then at the first event at least 1/200 of the run (432 s)
     * after the last report: every other sample, k = 0, 2, ..., 400, when 2k/2 + 1 = k + 1 events
     * have been handled; then once more at the end with all 401.
     */
    @Test
    void progressIsReportedEveryTwoHundredthOfTheRunAndAtTheEnd() {
        var w = new WorkloadSpec("w", "", 1, List.of(job("later", "t", 1, 3600, CheckpointPolicy.NONE, 90_000)), List.of(), Map.of());
        var sim = new Simulation(new Simulation.Config(ONE_HOST, w, Policy.FIFO, FailureModel.NONE, 1, 1));
        List<double[]> progress = new ArrayList<>();
        sim.run((f, e) -> progress.add(new double[] {f, e}));
        assertThat(progress).hasSize(202);
        for (int i = 0; i <= 200; i++)
            assertThat(progress.get(i)).as("report %d", i).containsExactly(i / 200.0, 2 * i + 1);
        assertThat(progress.getLast()).containsExactly(1, 401);
        assertThat(sim.stats().events()).isEqualTo(401);
        assertThat(sim.stats().cycles()).isZero();
    }

    /** The first 100 rejections are kept with their reasons; all are counted. */
    @Test
    void onlyTheFirstHundredRejectionsAreKept() {
        List<gpufleet.core.job.JobSpec> jobs = new ArrayList<>();
        for (int i = 0; i < 101; i++) jobs.add(job("huge-" + i, "t", 16, 3600, CheckpointPolicy.NONE, i));
        var sim = new Simulation(new Simulation.Config(ONE_HOST, new WorkloadSpec("w", "", 1, jobs, List.of(), Map.of()),
                Policy.FIFO, FailureModel.NONE, 1, 1));
        var r = sim.run(Simulation.Progress.NONE);
        assertThat(r.headline().jobsRejected()).isEqualTo(101);
        assertThat(sim.rejections()).hasSize(100);
        assertThat(sim.rejections().getLast().name()).isEqualTo("huge-99");
    }

    /**
     * A team's quota caps the GPUs it holds at once: with 4 GPUs for team q, its two 4-GPU jobs of an
     * hour run one after the other (0 - 3,600 and 3,600 - 7,200) though the host has room for both.
     */
    @Test
    void aTeamQuotaKeepsItsSecondJobWaiting() {
        var w = new WorkloadSpec("w", "", 1, List.of(job("q1", "q", 4, 3600, CheckpointPolicy.NONE, 0),
                job("q2", "q", 4, 3600, CheckpointPolicy.NONE, 0)), List.of(), Map.of("q", 4));
        var r = new Simulation(new Simulation.Config(ONE_HOST, w, Policy.FIFO, FailureModel.NONE, 1, 1)).run(Simulation.Progress.NONE);
        assertThat(r.largeJobs()).extracting(SimReport.JobRow::firstStart).containsExactly(0.0, 3600.0);
        assertThat(r.teams().getFirst().meanQueueWait()).isCloseTo(1800, within(1e-9));
    }

    /**
     * A stream whose jobs all fail for their own reasons: each ends in a crash (logged as one), none
     * completes, and the work they did is counted as crashed.
     */
    @Test
    void jobsThatCrashAreLoggedAndCountedAsFailed() {
        var stream = new StreamSpec("crashy", 0.5, List.of(new StreamSpec.Weighted("s", 1)),
                List.of(new StreamSpec.SizeClass(1, 1, 1, 1, 0, "normal")), 3600, 10, 10, 0, 10, "test", 1.0);
        var w = new WorkloadSpec("w", "", 1, List.of(), List.of(stream), Map.of());
        var tuning = new Simulation.Tuning(Double.NaN, CommSlowdown.NONE, Map.of(), true);
        var sim = new Simulation(new Simulation.Config(ONE_HOST, w, Policy.FIFO, FailureModel.NONE, 2, 1, tuning));
        var r = sim.run(Simulation.Progress.NONE);
        long crashes = sim.jobEvents().stream().filter(e -> e.event().equals("crash")).count();
        assertThat(crashes).isPositive();
        assertThat(r.headline().jobsFailed()).isEqualTo(crashes);
        assertThat(r.headline().jobsCompleted()).isZero();
        assertThat(r.teams().getFirst().completed()).isZero();
        assertThat(r.jobClasses().getFirst().crashed()).isEqualTo(crashes);
    }

    /**
     * A stream's job is in the large-jobs table when it has at least max(512, a quarter of the
     * largest explicit job) GPUs. 600 hosts of 8 GPUs (4,800), an explicit job of 2,400 GPUs: the
     * bar is 600, so the stream's 600-GPU jobs are listed and its 592-GPU jobs are not.
     */
    @Test
    void streamJobsOfAQuarterOfTheLargestExplicitJobAreListed() {
        var fleet = new gpufleet.core.topology.FleetSpec("big", "", List.of(new gpufleet.core.topology.ClusterSpec(
                "c0", "dc", "H100-SXM", 600, 8, 8, 100, 400, 1, 0, 2.0, 700)));
        var stream = new StreamSpec("s", 0.2, List.of(new StreamSpec.Weighted("s", 1)),
                List.of(new StreamSpec.SizeClass(600, 8, 1, 1, 0, "normal"), new StreamSpec.SizeClass(592, 8, 1, 1, 0, "normal")),
                3600, 10, 10, 0, 10, "test");
        var w = new WorkloadSpec("w", "", 1, List.of(HandWorkedSimulationTest.anyGpus("explicit", 2400, 3600, CheckpointPolicy.NONE, 0)),
                List.of(stream), Map.of());
        var r = new Simulation(new Simulation.Config(fleet, w, Policy.FIFO, FailureModel.NONE, 1, 1)).run(Simulation.Progress.NONE);
        long s600 = r.jobClasses().stream().filter(c -> c.jobClass().equals("s-600g")).mapToLong(SimReport.JobClassRow::submitted).sum();
        long s592 = r.jobClasses().stream().filter(c -> c.jobClass().equals("s-592g")).mapToLong(SimReport.JobClassRow::submitted).sum();
        assertThat(s600).isPositive();
        assertThat(s592).isPositive();
        assertThat(r.largeJobs()).extracting(SimReport.JobRow::name).containsOnly("explicit", "s-600g");
        assertThat(r.largeJobs()).hasSize(1 + (int) s600);
    }
}
