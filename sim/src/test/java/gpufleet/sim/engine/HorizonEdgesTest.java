package gpufleet.sim.engine;

import gpufleet.core.failure.FailureCause;
import gpufleet.core.failure.FailureModel;
import gpufleet.core.job.CheckpointPolicy;
import gpufleet.core.job.JobSpec;
import gpufleet.core.job.Parallelism;
import gpufleet.core.job.Priority;
import gpufleet.core.job.Work;
import gpufleet.core.sched.Policy;
import gpufleet.sim.workload.WorkloadSpec;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static gpufleet.sim.engine.HandWorkedSimulationTest.ONE_HOST;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** Edges of the twin's arithmetic: a failure drawn exactly at the horizon, and an interval of half a year. */
class HorizonEdgesTest {
    /**
     * Events up to and including the horizon are applied, so a failure drawn exactly at the horizon
     * counts. The run is cut to end at the seed's first draw of the {@code failure:xid} stream (the
     * injector's Poisson process: one exponential gap per failure, {@link FailureReplayTest}); the
     * host has no job, so the failure breaks an idle GPU and interrupts nothing.
     */
    @Test
    void aFailureDrawnExactlyAtTheHorizonCounts() {
        double perGpuDay = 0.5, perSec = perGpuDay * 8 / 86_400;
        double first = Double.NaN;
        long seed = 0;
        // a seed whose first failure time survives the trip through days (t / 86,400 x 86,400 == t)
        for (long s = 1; s < 100 && Double.isNaN(first); s++) {
            double t = Streams.exponential(new Streams(s).stream("failure:xid"), perSec);
            if (t / 86_400 * 86_400 == t && t > 3600) { first = t; seed = s; }
        }
        assertThat(first).isFinite();
        double days = first / 86_400;
        var xid = new FailureModel("gpu", List.of(new FailureCause("xid", FailureCause.Scope.GPU, perGpuDay, 24, false, "test")));
        // a job that ends long before the failure
        var w = new WorkloadSpec("w", "", days, List.of(new JobSpec("j", "t", Parallelism.of(1, 1, 1, 1), new Work.Fixed(60),
                CheckpointPolicy.NONE, 0, Priority.NORMAL, 0, null, 10)), List.of(), Map.of());
        var r = new Simulation(new Simulation.Config(ONE_HOST, w, Policy.FIFO, xid, seed, days)).run(Simulation.Progress.NONE);
        assertThat(r.headline().hardwareFailures()).isEqualTo(1);
        assertThat(r.allocation().getLast().unhealthy()).isCloseTo(1 / 8.0, within(1e-12));
    }

    /**
     * A run writes a checkpoint after every whole interval but the last: training for exactly one
     * interval writes none, even when the interval is so long (2 x 10^7 s, 231 days) that a
     * nanosecond less rounds to the interval itself.
     */
    @Test
    void workOfExactlyOneLongIntervalWritesNoCheckpoint() {
        double sec = 2e7;
        assertThat(sec - 1e-9).as("below a double's resolution here").isEqualTo(sec);
        var job = new JobSpec("long", "t", Parallelism.of(8, 8, 1, 1), new Work.Fixed(sec), new CheckpointPolicy(sec, 100, 0), 0,
                Priority.NORMAL, 0, null, 10);
        var r = new Simulation(new Simulation.Config(ONE_HOST, new WorkloadSpec("w", "", 240, List.of(job), List.of(), Map.of()),
                Policy.FIFO, FailureModel.NONE, 1, 240)).run(Simulation.Progress.NONE);
        var row = r.largeJobs().getFirst();
        assertThat(row.state()).isEqualTo("completed");
        assertThat(row.endTime()).isEqualTo(sec);
        assertThat(row.checkpointTime()).isZero();
    }

    /**
     * A run that breaks because of the start risk exactly at the horizon is interrupted then. One
     * host, a start risk of 0.5 a host within 3,600 s: at its start the run draws from the seed's
     * {@code failure-start} stream whether it breaks (below 0.5) and when (the next draw times the
     * window, {@link FailureInjector#startBreak}); the run is cut to end at that moment.
     */
    @Test
    void aStartBreakExactlyAtTheHorizonInterrupts() {
        double brk = Double.NaN;
        long seed = 0;
        for (long s = 1; s < 100 && Double.isNaN(brk); s++) {
            SplittableRandom r = new Streams(s).stream("failure-start");
            if (r.nextDouble() >= 0.5) continue;
            double b = r.nextDouble() * 3600;
            if (b / 86_400 * 86_400 == b && b > 60) { brk = b; seed = s; }
        }
        assertThat(brk).isFinite();
        double days = brk / 86_400;
        var risky = new FailureModel("start", "", List.of(), new FailureModel.Heterogeneity(0, 1, 0.5, 3600, "test"));
        var w = new WorkloadSpec("w", "", days, List.of(new JobSpec("j", "t", Parallelism.of(8, 8, 1, 1), new Work.Fixed(86_400),
                CheckpointPolicy.NONE, 0, Priority.NORMAL, 0, null, 10)), List.of(), Map.of());
        var r = new Simulation(new Simulation.Config(ONE_HOST, w, Policy.FIFO, risky, seed, days)).run(Simulation.Progress.NONE);
        assertThat(r.headline().interruptions()).isEqualTo(1);
        assertThat(r.interruptionsByCause()).containsExactly(Map.entry(FailureInjector.JOB_START.name(), 1));
    }

    /**
     * A fleet held from start to horizon is allocated all the time, exactly: the integral runs to the
     * horizon itself. At 0.31 days (26,784 s) the last of the 400 sample times, 400 x (26,784 / 400),
     * rounds to just below the horizon, so an integral that stopped at the last event would come out a
     * part in 10^16 short (59.519999... GPU-hours instead of 8 x 0.31 x 24 = 59.52).
     */
    @Test
    void aFleetHeldToTheHorizonIsAllocatedAllTheTime() {
        double days = 0.31, horizon = days * 86_400;
        assertThat(400 * (horizon / 400)).as("the last sample falls short of the horizon").isLessThan(horizon);
        var w = new WorkloadSpec("w", "", days, List.of(new JobSpec("j", "t", Parallelism.of(8, 8, 1, 1), new Work.Fixed(86_400),
                CheckpointPolicy.NONE, 0, Priority.NORMAL, 0, null, 10)), List.of(), Map.of());
        var h = new Simulation(new Simulation.Config(ONE_HOST, w, Policy.FIFO, FailureModel.NONE, 1, days))
                .run(Simulation.Progress.NONE).headline();
        assertThat(h.meanAllocation()).isEqualTo(1.0);
        assertThat(h.allocatedGpuHours()).isEqualTo(8 * horizon / 3600);
    }
}
