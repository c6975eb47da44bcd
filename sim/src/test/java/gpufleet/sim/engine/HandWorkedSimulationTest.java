package gpufleet.sim.engine;

import gpufleet.core.failure.FailureCause;
import gpufleet.core.failure.FailureModel;
import gpufleet.core.job.CheckpointPolicy;
import gpufleet.core.job.JobSpec;
import gpufleet.core.job.Parallelism;
import gpufleet.core.job.Priority;
import gpufleet.core.job.Work;
import gpufleet.core.perf.CommSlowdown;
import gpufleet.core.sched.Policy;
import gpufleet.core.topology.ClusterSpec;
import gpufleet.core.topology.FleetSpec;
import gpufleet.sim.report.SimReport;
import gpufleet.sim.workload.WorkloadSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.assertj.core.api.Assertions.within;

/**
 * The twin's figures on fleets and workloads small enough to work out on paper, and the accounting
 * of interrupted runs replayed by hand from the interruption times the run reports.
 */
class HandWorkedSimulationTest {
    /** One host of 8 H100 at $2 per GPU-hour and 700 W per GPU. */
    static final FleetSpec ONE_HOST = new FleetSpec("one-host", "", List.of(
            new ClusterSpec("c0", "dc", "H100-SXM", 1, 8, 1, 1, 400, 1, 0, 2.0, 700)));

    static JobSpec job(String name, String team, int gpus, double workSec, CheckpointPolicy ckpt, double submit) {
        return new JobSpec(name, team, Parallelism.of(gpus, gpus, 1, 1), new Work.Fixed(workSec), ckpt, 0,
                Priority.NORMAL, submit, null, 1000);
    }

    /**
     * Four jobs in strict arrival order on 8 GPUs, one day, no failures:
     * <pre>
     * a0  alpha 8 GPUs  1 h work, checkpoint every 30 min taking 60 s  submit 0     run 0 - 3,660 (one write)
     * b1  beta  4 GPUs  2 h                                           submit 100   run 3,660 - 10,860 (waits 3,560)
     * b2  beta  4 GPUs  30 min                                        submit 200   run 3,660 - 5,460  (waits 3,460)
     * a3  alpha 2 GPUs  1 h                                           submit 5,000 run 5,460 - 9,060  (waits 460)
     * </pre>
     */
    @Test
    void aFourJobDayWorkedOutOnPaper() {
        var w = new WorkloadSpec("paper", "", 1, List.of(
                job("a0", "alpha", 8, 3600, new CheckpointPolicy(1800, 60, 0), 0),
                job("b1", "beta", 4, 7200, CheckpointPolicy.NONE, 100),
                job("b2", "beta", 4, 1800, CheckpointPolicy.NONE, 200),
                job("a3", "alpha", 2, 3600, CheckpointPolicy.NONE, 5000)), List.of(), Map.of());
        var r = new Simulation(new Simulation.Config(ONE_HOST, w, Policy.FIFO, FailureModel.NONE, 1, 1))
                .run(Simulation.Progress.NONE);

        var h = r.headline();
        assertThat(h.jobsCompleted()).isEqualTo(4);
        // waits sorted: 0, 460, 3,460, 3,560; nearest rank: p50 = 2nd, p90 and p99 = 4th
        assertThat(r.queueWait()).isEqualTo(new SimReport.Distribution(4, 7480 / 4.0, 460, 3560, 3560, 3560));
        // completion (end - submit): 3,660; 10,760; 5,260; 4,060 -> sorted 3,660, 4,060, 5,260, 10,760
        assertThat(r.completionTime()).isEqualTo(new SimReport.Distribution(4, 23_740 / 4.0, 4060, 10_760, 10_760, 10_760));

        // held GPU-seconds: alpha 8 x 3,660 + 2 x 3,600 = 36,480; beta 4 x 7,200 + 4 x 1,800 = 36,000
        // productive: alpha 8 x 3,600 + 2 x 3,600 = 36,000; beta 36,000
        var alpha = r.teams().get(0);
        var beta = r.teams().get(1);
        assertThat(alpha.team()).isEqualTo("alpha");
        assertThat(alpha.gpuHours()).isCloseTo(36_480 / 3600.0, within(1e-9));
        assertThat(alpha.productiveGpuHours()).isCloseTo(10, within(1e-9));
        assertThat(alpha.costUsd()).isCloseTo(36_480 / 3600.0 * 2, within(1e-9));
        assertThat(alpha.energyMWh()).isCloseTo(36_480 / 3600.0 * 700 / 1e6, within(1e-12));
        assertThat(alpha.meanQueueWait()).isCloseTo(230, within(1e-9));
        assertThat(beta.gpuHours()).isCloseTo(10, within(1e-9));
        assertThat(beta.productiveGpuHours()).isCloseTo(10, within(1e-9));
        assertThat(beta.costUsd()).isCloseTo(20, within(1e-9));
        assertThat(beta.energyMWh()).isCloseTo(0.007, within(1e-12));
        assertThat(beta.meanQueueWait()).isCloseTo(3510, within(1e-9));
        assertThat(alpha.jobs()).isEqualTo(2);
        assertThat(alpha.completed()).isEqualTo(2);
        assertThat(beta.jobs()).isEqualTo(2);
        assertThat(beta.completed()).isEqualTo(2);

        // the fleet: 8 GPUs x 24 h = 192 GPU-hours, all healthy
        assertThat(h.availableGpuHours()).isCloseTo(192, within(1e-9));
        assertThat(h.allocatedGpuHours()).isCloseTo(72_480 / 3600.0, within(1e-9));
        assertThat(h.productiveGpuHours()).isCloseTo(20, within(1e-9));
        assertThat(h.goodput()).isCloseTo(20 / 192.0, within(1e-12));
        assertThat(h.meanAllocation()).isCloseTo(72_480 / 3600.0 / 192, within(1e-12));
        assertThat(h.lostGpuHours()).isZero();
        assertThat(h.costUsd()).isCloseTo(192 * 2.0, within(1e-9));
        assertThat(h.energyMWh()).isCloseTo(192 * 700 / 1e6, within(1e-12));
    }

    /**
     * Goodput is productive GPU-hours over the GPU-hours the fleet could have given (healthy ones):
     * a GPU broken for the rest of the run comes off the denominator.
     */
    @Test
    void goodputCountsOnlyHealthyGpuHours() {
        // one GPU failure a GPU-day, never repaired within the run; two 1-GPU jobs of 1 h each
        var gpu = new FailureModel("gpu", List.of(new FailureCause("gpu", FailureCause.Scope.GPU, 1, 8000, false, "test")));
        var w = new WorkloadSpec("w", "", 1, List.of(job("x", "t", 1, 3600, CheckpointPolicy.NONE, 0),
                job("y", "t", 1, 3600, CheckpointPolicy.NONE, 0)), List.of(), Map.of());
        var r = new Simulation(new Simulation.Config(ONE_HOST, w, Policy.FIFO, gpu, 5, 1)).run(Simulation.Progress.NONE);
        var h = r.headline();
        assertThat(h.hardwareFailures()).isPositive();
        assertThat(h.availableGpuHours()).isLessThan(192 - 1);
        assertThat(h.jobsCompleted()).isEqualTo(2);
        assertThat(h.productiveGpuHours()).isCloseTo(2, within(1e-9));
        assertThat(h.goodput()).isCloseTo(2 / h.availableGpuHours(), within(1e-12));
    }

    // ---- interrupted runs ------------------------------------------------------------------------

    static final double WORK = 20 * 3600, INTERVAL = 1800, WRITE = 600, RESTORE = 1200, RESTART = 600;

    /**
     * One 8-GPU job on one host with software failures (about 8 a day), checkpointing for 600 s after
     * every 1,800 s of work and restarting in 1,800 s, so that some failures land in a write and some
     * in a restart (the seeds are ones where both happen). The run's interruption times come from its
     * event log; everything else is worked out here from the model the engine documents: a run
     * spends restart + restore seconds (none on the first start), then alternates 1,800 s of work and
     * a 600 s write; a failure keeps the work of completed periods and loses the rest, a write in
     * progress included.
     */
    @ParameterizedTest
    @ValueSource(longs = {1, 6, 12})
    void interruptedRunsKeepCompletedCheckpointsLoseTheRestAndPayRestartPlusRestore(long seed) {
        var software = new FailureModel("sw", List.of(new FailureCause("software", FailureCause.Scope.JOB, 1, 0, false, "test")));
        var spec = new JobSpec("big", "t", Parallelism.of(8, 8, 1, 1), new Work.Fixed(WORK),
                new CheckpointPolicy(INTERVAL, WRITE, RESTORE), RESTART, Priority.NORMAL, 0, null, 1000);
        var w = new WorkloadSpec("w", "", 10, List.of(spec), List.of(), Map.of());
        var tuning = new Simulation.Tuning(Double.NaN, CommSlowdown.NONE, Map.of(), true);
        var sim = new Simulation(new Simulation.Config(ONE_HOST, w, Policy.FIFO, software, seed, 10, tuning));
        var r = sim.run(Simulation.Progress.NONE);

        double runStart = 0, startup = 0, kept = 0, lost = 0, ckpt = 0, restart = 0;
        int interrupts = 0, inWrite = 0, inStartup = 0;
        double finish = Double.NaN;
        for (var e : sim.jobEvents()) {
            switch (e.event()) {
                case "interrupt" -> {
                    double t = e.time(), computeStart = runStart + startup;
                    interrupts++;
                    if (t <= computeStart) {
                        inStartup++;
                        restart += t - runStart;
                    } else {
                        var cut = ByHand.interruptedAfter(t - computeStart, INTERVAL, WRITE);
                        if (cut.inWrite()) inWrite++;
                        kept += cut.kept();
                        ckpt += cut.written();
                        lost += cut.lost();
                        restart += startup;
                    }
                }
                case "resume" -> {
                    runStart = e.time();
                    startup = RESTART + RESTORE;
                }
                case "finish" -> {
                    finish = e.time();
                    double rest = WORK - kept;
                    double writes = Math.ceil(rest / INTERVAL) - 1;  // none after the last period
                    restart += startup;
                    ckpt += writes * WRITE;
                    assertThat(finish).as("finish").isCloseTo(runStart + startup + rest + writes * WRITE, within(1e-6));
                }
                default -> {}
            }
        }
        // the scenario exercises every branch: failures in a write and in a restart
        assertThat(interrupts).isGreaterThan(5);
        assertThat(inWrite).isPositive();
        assertThat(inStartup).isPositive();
        assertThat(finish).isFinite();

        var row = r.largeJobs().getFirst();
        assertThat(row.state()).isEqualTo("completed");
        assertThat(row.restarts()).isEqualTo(interrupts);
        assertThat(row.productiveTime()).isCloseTo(WORK, within(1e-6));
        assertThat(row.lostTime()).isCloseTo(lost, within(1e-6));
        assertThat(row.checkpointTime()).isCloseTo(ckpt, within(1e-6));
        assertThat(row.restartTime()).isCloseTo(restart, within(1e-6));
        assertThat(row.endTime()).isCloseTo(finish, within(1e-6));
        assertThat(r.headline().lostGpuHours()).isCloseTo(8 * lost / 3600, within(1e-6));

        // the job's timeline (it is the largest) tiles its life from first start to finish, and each
        // kind of stretch adds up to the matching figure: running = productive + checkpoint writes
        var timeline = r.largestJobTimeline();
        assertThat(timeline.getFirst().start()).isZero();
        assertThat(timeline.getLast().end()).isCloseTo(finish, within(1e-6));
        for (int i = 1; i < timeline.size(); i++)
            assertThat(timeline.get(i).start()).as("segment %d starts where %d ends", i, i - 1)
                    .isCloseTo(timeline.get(i - 1).end(), within(1e-6));
        assertThat(total(timeline, "lost")).isCloseTo(lost, within(1e-6));
        assertThat(total(timeline, "restarting")).isCloseTo(restart, within(1e-6));
        assertThat(total(timeline, "running")).isCloseTo(WORK + ckpt, within(1e-6));
        assertThat(timeline).filteredOn(sg -> sg.kind().equals("lost")).extracting(SimReport.Segment::cause)
                .containsOnly("software");
    }

    private static double total(List<SimReport.Segment> timeline, String kind) {
        return timeline.stream().filter(sg -> sg.kind().equals(kind)).mapToDouble(sg -> sg.end() - sg.start()).sum();
    }

    /**
     * A job still running at the horizon is accounted as if it saved then: 6 h into a 10 h job that
     * writes for 60 s after every 1,800 s of work, 11 whole periods of 1,860 s are done (20,460 s) and
     * 1,140 s of the twelfth: 11 x 1,800 + 1,140 = 20,940 s of work kept and 660 s of writes.
     */
    @Test
    void aRunCutByTheHorizonKeepsItsWorkAsIfItSavedThen() {
        var w = new WorkloadSpec("w", "", 1, List.of(job("long", "t", 8, 36_000, new CheckpointPolicy(1800, 60, 0), 0)),
                List.of(), Map.of());
        var r = new Simulation(new Simulation.Config(ONE_HOST, w, Policy.FIFO, FailureModel.NONE, 1, 0.25))
                .run(Simulation.Progress.NONE);
        var row = r.largeJobs().getFirst();
        assertThat(row.state()).isEqualTo("running");
        assertThat(row.productiveTime()).isCloseTo(20_940, within(1e-6));
        assertThat(row.checkpointTime()).isCloseTo(660, within(1e-6));
        assertThat(row.restartTime()).isZero();
        assertThat(row.progress()).isCloseTo(20_940 / 36_000.0, within(1e-12));
        assertThat(row.wallTime()).isCloseTo(21_600, within(1e-6));
        assertThat(row.ettr()).isCloseTo(20_940 / 21_600.0, within(1e-12));
        assertThat(r.headline().jobsRunningAtEnd()).isEqualTo(1);
        assertThat(r.headline().productiveGpuHours()).isCloseTo(8 * 20_940 / 3600.0, within(1e-9));
        assertThat(r.headline().allocatedGpuHours()).isCloseTo(8 * 6, within(1e-9));
        assertThat(r.teams().getFirst().gpuHours()).isCloseTo(8 * 6, within(1e-9));
        assertThat(r.largestJobTimeline()).extracting(SimReport.Segment::kind).containsExactly("running");
    }

    // ---- preemption ------------------------------------------------------------------------------

    /**
     * A preempted run saves first and loses nothing; it resumes when the GPUs are free again and
     * pays the preemption cost (by default its own checkpoint write + restore) before training.
     * One host of 8 GPUs, strict priority with preemption:
     * <pre>
     * low   team a  8 GPUs normal  10 h work, 60 s write after every hour, 120 s restore   submit 0
     * high  team b  8 GPUs high     1 h work, no checkpoints                             submit 5,000
     * </pre>
     * At 5,000 s low has done one period (3,600 s + 60 s write) and 1,340 s of the next; saving
     * keeps all of it: 4,940 s of work, 60 s written. high runs 5,000 - 8,600. low resumes at 8,600,
     * restarts for the cost c (180 s = 60 + 120 by default), then trains the other 31,060 s with
     * floor(31,060 / 3,600) = 8 writes: it ends at 8,600 + c + 31,060 + 480 = 40,140 + c.
     */
    @ParameterizedTest
    @ValueSource(doubles = {Double.NaN, 300})
    void aPreemptedJobSavesResumesAfterThePreemptorAndPaysTheResumeCost(double preemptionCost) {
        double c = Double.isNaN(preemptionCost) ? 60 + 120 : preemptionCost;
        var low = new JobSpec("low", "a", Parallelism.of(8, 8, 1, 1), new Work.Fixed(36_000),
                new CheckpointPolicy(3600, 60, 120), 0, Priority.NORMAL, 0, null, 1000);
        var high = new JobSpec("high", "b", Parallelism.of(8, 8, 1, 1), new Work.Fixed(3600), CheckpointPolicy.NONE, 0,
                Priority.HIGH, 5000, null, 1000);
        var w = new WorkloadSpec("w", "", 1, List.of(low, high), List.of(), Map.of());
        var tuning = new Simulation.Tuning(preemptionCost, CommSlowdown.NONE, Map.of(), true);
        var sim = new Simulation(new Simulation.Config(ONE_HOST, w, Policy.PRIORITY, FailureModel.NONE, 1, 1, tuning));
        var r = sim.run(Simulation.Progress.NONE);

        double end = 40_140 + c;
        assertThat(sim.jobEvents()).extracting(Simulation.JobEvent::job, Simulation.JobEvent::event, Simulation.JobEvent::time)
                .containsExactly(tuple(0, "submit", 0.0), tuple(0, "start", 0.0), tuple(1, "submit", 5000.0),
                        tuple(0, "preempt", 5000.0), tuple(1, "start", 5000.0), tuple(1, "finish", 8600.0),
                        tuple(0, "resume", 8600.0), tuple(0, "finish", end));
        var h = r.headline();
        assertThat(h.preemptions()).isEqualTo(1);
        assertThat(h.interruptions()).isZero();
        assertThat(h.lostGpuHours()).isZero();
        assertThat(h.jobsCompleted()).isEqualTo(2);
        // held: low 5,000 + (end - 8,600) s, high 3,600 s, 8 GPUs each
        double lowHeld = 5000 + end - 8600;
        assertThat(h.allocatedGpuHours()).isCloseTo(8 * (lowHeld + 3600) / 3600, within(1e-9));
        assertThat(h.productiveGpuHours()).isCloseTo(8 * (36_000 + 3600) / 3600.0, within(1e-9));

        var row = r.largeJobs().stream().filter(j -> j.name().equals("low")).findFirst().orElseThrow();
        assertThat(row.preemptions()).isEqualTo(1);
        assertThat(row.restarts()).isZero();
        assertThat(row.productiveTime()).isCloseTo(36_000, within(1e-6));
        assertThat(row.checkpointTime()).isCloseTo(60 + 8 * 60, within(1e-6));
        assertThat(row.restartTime()).isCloseTo(c, within(1e-6));
        assertThat(row.lostTime()).isZero();
        assertThat(row.waitTime()).as("waiting while preempted").isCloseTo(3600, within(1e-6));
        assertThat(row.endTime()).isCloseTo(end, within(1e-6));
        assertThat(row.ettr()).isCloseTo(36_000 / end, within(1e-12));
        // low keeps the timeline (the first of the largest jobs)
        assertThat(r.largestJobTimeline()).containsExactly(new SimReport.Segment(0, 5000, "running", ""),
                new SimReport.Segment(5000, 8600, "waiting", ""), new SimReport.Segment(8600, 8600 + c, "restarting", ""),
                new SimReport.Segment(8600 + c, end, "running", ""));

        // per team: a held 8 x lowHeld, b 8 x 3,600; neither waited to start
        var a = r.teams().get(0);
        var b = r.teams().get(1);
        assertThat(a.gpuHours()).isCloseTo(8 * lowHeld / 3600, within(1e-9));
        assertThat(a.costUsd()).isCloseTo(8 * lowHeld / 3600 * 2, within(1e-9));
        assertThat(b.gpuHours()).isCloseTo(8, within(1e-9));
        assertThat(a.meanQueueWait()).isZero();
        assertThat(b.meanQueueWait()).isZero();
        // the resume is the preemption's cost, not a failure's
        var lowClass = r.jobClasses().stream().filter(k -> k.jobClass().equals("low")).findFirst().orElseThrow();
        assertThat(lowClass.preemptions()).isEqualTo(1);
        assertThat(lowClass.lostToPreemptionsGpuHours()).isCloseTo(8 * c / 3600, within(1e-9));
        assertThat(lowClass.lostToFailuresGpuHours()).isZero();
        assertThat(lowClass.checkpointGpuHours()).isCloseTo(8 * 540 / 3600.0, within(1e-9));
        // queue delays count every wait: low's 3,600 s after the preemption, high's none
        assertThat(sim.replaySamples().queueDelays()).containsExactly(0, 3600);
        assertThat(sim.replaySamples().jcts()).containsExactly(3600, end);
        var stats = sim.replayStats();
        assertThat(stats.preemptions()).isEqualTo(1);
        // low's start, high's start, low's resume
        assertThat(sim.stats().placements()).isEqualTo(3);
        assertThat(stats.completed()).isEqualTo(2);
        // the largest jobs (8 GPUs, both) waited 3,600 s and 0 s in all
        assertThat(stats.largestJobsGpus()).isEqualTo(8);
        assertThat(stats.largestJobsMeanWait()).isCloseTo(1800, within(1e-9));
        assertThat(stats.largestJobsMaxWait()).isCloseTo(3600, within(1e-9));
        // from the first submission (0) to the last completion: 8 GPUs held for lowHeld + 3,600 s
        assertThat(stats.makespan()).isCloseTo(end, within(1e-9));
        assertThat(stats.allocation()).isCloseTo((lowHeld + 3600) / end, within(1e-12));
        // slowdown (JCT over ideal run time) per team: a end / 36,000, b 1; Jain's index of the two
        double x = end / 36_000;
        assertThat(stats.fairness()).isCloseTo((x + 1) * (x + 1) / (2 * (x * x + 1)), within(1e-12));
        // both 8-GPU jobs are multi-GPU jobs that fit one host and got one
        assertThat(stats.multiGpuJobs()).isEqualTo(2);
        assertThat(stats.inOneHost()).isEqualTo(1);
        assertThat(stats.inOneRack()).isEqualTo(1);
        // the host is either full or wholly free: nothing is ever stranded
        assertThat(stats.fragmentation()).isZero();
    }

    // ---- what backfill reads, and the automatic interval --------------------------------------------

    /**
     * EASY backfill asks the twin how long a job would run: its work plus a write after every whole
     * interval but the last. One host of 8 GPUs, jobs without tensor parallelism (any GPU will do):
     * <pre>
     * a  6 GPUs  7,200 s, no checkpoints                       submit 0   runs 0 - 7,200
     * b  8 GPUs  8,000 s                                      submit 10  blocked: reserved for 7,200
     * c  2 GPUs  6,000 s, a 700 s write every 2,500 s of work submit 20
     * </pre>
     * c would run 6,000 + 2 x 700 = 7,400 s and end at 7,420, after the reservation, so it may not
     * backfill (its work alone would end at 6,020 and fit): it waits for b, which runs 7,200 -
     * 15,200, and then runs 15,200 - 22,600. A c of 4,000 s (4,000 + 700 = 4,700, ending at 4,720)
     * backfills at 20.
     */
    @ParameterizedTest
    @ValueSource(doubles = {6000, 4000})
    void backfillCountsACandidatesCheckpointWrites(double cWork) {
        var w = new WorkloadSpec("w", "", 1, List.of(anyGpus("a", 6, 7200, CheckpointPolicy.NONE, 0),
                anyGpus("b", 8, 8000, CheckpointPolicy.NONE, 10),
                anyGpus("c", 2, cWork, new CheckpointPolicy(2500, 700, 0), 20)), List.of(), Map.of());
        var r = new Simulation(new Simulation.Config(ONE_HOST, w, Policy.FIFO_BACKFILL, FailureModel.NONE, 1, 1))
                .run(Simulation.Progress.NONE);
        var c = r.largeJobs().stream().filter(j -> j.name().equals("c")).findFirst().orElseThrow();
        var b = r.largeJobs().stream().filter(j -> j.name().equals("b")).findFirst().orElseThrow();
        double start = cWork == 6000 ? 15_200 : 20, writes = cWork == 6000 ? 2 : 1;
        assertThat(c.firstStart()).isEqualTo(start);
        assertThat(c.endTime()).isCloseTo(start + cWork + writes * 700, within(1e-6));
        assertThat(c.checkpointTime()).isCloseTo(writes * 700, within(1e-6));
        assertThat(b.firstStart()).as("the reserved job is not delayed").isEqualTo(7200);
    }

    /**
     * The run time backfill reads agrees with the run itself when the work is a whole number of
     * intervals: no write follows the last period. The same fleet and a, b as above; c is 5,000 s of
     * work, a 1,500 s write every 2,500 s: two periods, one write between them, so it runs 6,500 s
     * and ends at 6,520, before b's reservation at 7,200, and backfills at 20. (Counting a write
     * after the last period too, 8,000 s, would end at 8,020 and keep it waiting until 15,200.)
     */
    @Test
    void backfillDoesNotCountAWriteAfterTheLastPeriod() {
        var w = new WorkloadSpec("w", "", 1, List.of(anyGpus("a", 6, 7200, CheckpointPolicy.NONE, 0),
                anyGpus("b", 8, 8000, CheckpointPolicy.NONE, 10),
                anyGpus("c", 2, 5000, new CheckpointPolicy(2500, 1500, 0), 20)), List.of(), Map.of());
        var r = new Simulation(new Simulation.Config(ONE_HOST, w, Policy.FIFO_BACKFILL, FailureModel.NONE, 1, 1))
                .run(Simulation.Progress.NONE);
        var c = r.largeJobs().stream().filter(j -> j.name().equals("c")).findFirst().orElseThrow();
        assertThat(c.firstStart()).isEqualTo(20);
        assertThat(c.endTime()).isCloseTo(6520, within(1e-6));
        assertThat(c.checkpointTime()).isCloseTo(1500, within(1e-6));
    }

    static JobSpec anyGpus(String name, int gpus, double workSec, CheckpointPolicy ckpt, double submit) {
        return new JobSpec(name, "t", Parallelism.of(gpus, 1, 1, 1), new Work.Fixed(workSec), ckpt, 0,
                Priority.NORMAL, submit, null, 1000);
    }

    /**
     * An automatic interval is the Young/Daly optimum sqrt(2 x write x MTBF) for the job's own
     * failure rate. Host failures at 0.01 a host-day on 4 hosts of 8 GPUs: a 16-GPU job spans
     * 16 / 8 = 2 hosts, so its MTBF is 86,400 / 0.02 = 4,320,000 s and with a 50 s write the
     * interval is sqrt(2 x 50 x 4,320,000) = 20,784.6 s. 40,000 s of work is one whole interval and
     * a part: one write, so it ends at 40,050. (Over 3 hosts the interval would be 16,970.6 s and
     * there would be two writes.) The seed draws no failure in the day: the first failure of the
     * fleet's 0.04 a day comes later.
     */
    @Test
    void anAutomaticIntervalIsYoungDalyForTheHostsTheJobSpans() {
        var hosts = new FailureModel("host", List.of(new FailureCause("host", FailureCause.Scope.HOST, 0.01, 24, false, "test")));
        var fleet = new FleetSpec("four", "", List.of(new ClusterSpec("c0", "dc", "H100-SXM", 4, 8, 4, 1, 400, 1, 0, 2.0, 700)));
        var spec = new JobSpec("auto", "t", Parallelism.of(16, 8, 1, 1), new Work.Fixed(40_000), new CheckpointPolicy(0, 50, 0),
                0, Priority.NORMAL, 0, null, 1000);
        var w = new WorkloadSpec("w", "", 1, List.of(spec), List.of(), Map.of());
        long seed = 1;
        double first = Streams.exponential(new Streams(seed).stream("failure:host"), 4 * 0.01 / 86_400);
        assertThat(first).as("no failure in the run").isGreaterThan(86_400);
        var r = new Simulation(new Simulation.Config(fleet, w, Policy.FIFO, hosts, seed, 1)).run(Simulation.Progress.NONE);
        var row = r.largeJobs().getFirst();
        assertThat(Math.sqrt(2 * 50 * 4_320_000.0)).isCloseTo(20_784.6, within(0.1));
        assertThat(row.endTime()).isCloseTo(40_050, within(1e-6));
        assertThat(row.checkpointTime()).isCloseTo(50, within(1e-6));
    }

    /**
     * Fragmentation is the time-weighted share of free GPUs stranded on partly used hosts, over the
     * time any GPU is free. One host of 8 GPUs, one job of 2 GPUs (no tensor parallelism) for the
     * first hour of a day: for 3,600 s all 6 free GPUs are on a partly used host (share 1), for the
     * other 82,800 s the host is whole (share 0): 3,600 / 86,400 = 1/24. Jobs of one GPU are not
     * multi-GPU jobs.
     */
    @Test
    void fragmentationIsTheShareOfFreeGpusOnPartlyUsedHosts() {
        var w = new WorkloadSpec("w", "", 1, List.of(anyGpus("two", 2, 3600, CheckpointPolicy.NONE, 0),
                anyGpus("one", 1, 3600, CheckpointPolicy.NONE, 86_400 - 7200)), List.of(), Map.of());
        var sim = new Simulation(new Simulation.Config(ONE_HOST, w, Policy.FIFO, FailureModel.NONE, 1, 1));
        sim.run(Simulation.Progress.NONE);
        // the 1-GPU job strands 7 of 7 free GPUs from 79,200 to 82,800: another 3,600 s at share 1
        assertThat(sim.replayStats().fragmentation()).isCloseTo(7200 / 86_400.0, within(1e-12));
        assertThat(sim.replayStats().multiGpuJobs()).isEqualTo(1);
    }

    /**
     * The preemption case above cut short by the horizon. At 6,000 s low has waited 1,000 s since
     * its preemption (kept 4,940 s of work, wrote 60 s) and high has trained 1,000 s. At 8,700 s low
     * resumed 100 s ago and is still restarting (100 of its 180 s), with nothing trained in this run.
     */
    @Test
    void theHorizonCutsAPreemptedJobWhileItWaitsAndWhileItRestarts() {
        var low = new JobSpec("low", "a", Parallelism.of(8, 8, 1, 1), new Work.Fixed(36_000),
                new CheckpointPolicy(3600, 60, 120), 0, Priority.NORMAL, 0, null, 1000);
        var high = new JobSpec("high", "b", Parallelism.of(8, 8, 1, 1), new Work.Fixed(3600), CheckpointPolicy.NONE, 0,
                Priority.HIGH, 5000, null, 1000);
        var w = new WorkloadSpec("w", "", 1, List.of(low, high), List.of(), Map.of());

        var waiting = new Simulation(new Simulation.Config(ONE_HOST, w, Policy.PRIORITY, FailureModel.NONE, 1, 6000 / 86_400.0))
                .run(Simulation.Progress.NONE);
        var l = row(waiting, "low");
        var hi = row(waiting, "high");
        assertThat(l.state()).isEqualTo("preempted");
        assertThat(l.waitTime()).isCloseTo(1000, within(1e-6));
        assertThat(l.productiveTime()).isCloseTo(4940, within(1e-6));
        assertThat(l.checkpointTime()).isCloseTo(60, within(1e-6));
        assertThat(hi.state()).isEqualTo("running");
        assertThat(hi.productiveTime()).isCloseTo(1000, within(1e-6));
        assertThat(waiting.headline().jobsRunningAtEnd()).isEqualTo(1);
        assertThat(waiting.headline().jobsWaitingAtEnd()).isEqualTo(1);
        assertThat(waiting.headline().productiveGpuHours()).isCloseTo(8 * 5940 / 3600.0, within(1e-6));
        assertThat(waiting.headline().allocatedGpuHours()).isCloseTo(8 * 6000 / 3600.0, within(1e-6));
        assertThat(waiting.largestJobTimeline()).extracting(SimReport.Segment::kind).containsExactly("running", "waiting");
        assertThat(waiting.largestJobTimeline().getLast().end()).isCloseTo(6000, within(1e-6));

        var restarting = new Simulation(new Simulation.Config(ONE_HOST, w, Policy.PRIORITY, FailureModel.NONE, 1, 8700 / 86_400.0))
                .run(Simulation.Progress.NONE);
        l = row(restarting, "low");
        assertThat(l.state()).isEqualTo("running");
        assertThat(l.restartTime()).isCloseTo(100, within(1e-6));
        assertThat(l.productiveTime()).isCloseTo(4940, within(1e-6));
        assertThat(l.checkpointTime()).isCloseTo(60, within(1e-6));
        assertThat(l.waitTime()).isCloseTo(3600, within(1e-6));
        assertThat(l.progress()).isCloseTo(4940 / 36_000.0, within(1e-12));
        assertThat(restarting.headline().allocatedGpuHours()).isCloseTo(8 * 8700 / 3600.0, within(1e-6));
        var tl = restarting.largestJobTimeline();
        assertThat(tl).extracting(SimReport.Segment::kind).containsExactly("running", "waiting", "restarting");
        assertThat(tl.getLast().start()).isEqualTo(8600);
        assertThat(tl.getLast().end()).isCloseTo(8700, within(1e-6));
    }

    private static SimReport.JobRow row(SimReport r, String name) {
        return r.largeJobs().stream().filter(j -> j.name().equals(name)).findFirst().orElseThrow();
    }

    /**
     * A job whose run ends exactly at the horizon completes (the run covers events at the horizon);
     * the job waiting for its GPUs starts then, with no time to train: an ETTR of 0.
     */
    @Test
    void aJobEndingExactlyAtTheHorizonCompletes() {
        var w = new WorkloadSpec("w", "", 1, List.of(job("day", "t", 8, 86_400 - 600, CheckpointPolicy.NONE, 600),
                job("next", "t", 8, 3600, CheckpointPolicy.NONE, 700)), List.of(), Map.of());
        var r = new Simulation(new Simulation.Config(ONE_HOST, w, Policy.FIFO, FailureModel.NONE, 1, 1)).run(Simulation.Progress.NONE);
        assertThat(r.headline().jobsCompleted()).isEqualTo(1);
        assertThat(r.largeJobs().getFirst().state()).isEqualTo("completed");
        assertThat(r.largeJobs().getFirst().endTime()).isEqualTo(86_400);
        var next = r.largeJobs().get(1);
        assertThat(next.state()).isEqualTo("running");
        assertThat(next.firstStart()).isEqualTo(86_400);
        assertThat(next.wallTime()).isZero();
        assertThat(next.ettr()).isZero();
    }

    /**
     * Shortest-first reads the same run time for waiting jobs. One host of 8 GPUs, all jobs 8 GPUs:
     * <pre>
     * a  1,000 s                                      submit 0   runs 0 - 1,000
     * b  5,000 s                                      submit 10  run time 5,000
     * c  3,000 s, a 300 s write every 1,000 s of work submit 20  run time 3,000 + 2 x 300 = 3,600
     * d  3,500 s                                      submit 30  run time 3,500
     * </pre>
     * When a ends, d goes first (1,000 - 4,500), then c (4,500 - 8,100), then b (8,100 - 13,100).
     */
    @Test
    void shortestFirstOrdersWaitingJobsByRunTimeWithTheirWrites() {
        var w = new WorkloadSpec("w", "", 1, List.of(job("a", "t", 8, 1000, CheckpointPolicy.NONE, 0),
                job("b", "t", 8, 5000, CheckpointPolicy.NONE, 10),
                job("c", "t", 8, 3000, new CheckpointPolicy(1000, 300, 0), 20),
                job("d", "t", 8, 3500, CheckpointPolicy.NONE, 30)), List.of(), Map.of());
        var r = new Simulation(new Simulation.Config(ONE_HOST, w, Policy.SJF, FailureModel.NONE, 1, 1)).run(Simulation.Progress.NONE);
        assertThat(r.largeJobs()).extracting(SimReport.JobRow::name, SimReport.JobRow::firstStart, SimReport.JobRow::endTime)
                .containsExactly(tuple("a", 0.0, 1000.0), tuple("b", 8100.0, 13_100.0), tuple("c", 4500.0, 8100.0),
                        tuple("d", 1000.0, 4500.0));
    }
}
