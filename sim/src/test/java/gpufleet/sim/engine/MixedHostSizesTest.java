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
import gpufleet.sim.workload.WorkloadSpec;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Which GPU a failure breaks on a fleet whose clusters have hosts of different sizes: GPUs are
 * numbered host by host over the clusters in order, so GPU 20 is the fifth of host 3 (cluster c2's
 * first host), not a GPU of cluster c1's 4-GPU hosts.
 */
class MixedHostSizesTest {
    /** c0: host 0 (GPUs 0-7); c1: hosts 1-2 of 4 GPUs (8-15); c2: hosts 3-4 of 8 GPUs (16-31). */
    static final FleetSpec MIXED = new FleetSpec("mixed", "", List.of(
            new ClusterSpec("c0", "dc", "H100-SXM", 1, 8, 1, 1, 400, 1, 0, 2.0, 700),
            new ClusterSpec("c1", "dc", "H100-SXM", 2, 4, 2, 1, 400, 1, 0, 2.0, 700),
            new ClusterSpec("c2", "dc", "H100-SXM", 2, 8, 2, 1, 400, 1, 0, 2.0, 700)));
    static final FailureModel XID = new FailureModel("gpu",
            List.of(new FailureCause("xid", FailureCause.Scope.GPU, 0.5, 1000, false, "test")));
    static final long SEED = 1;
    static final double T = 2 * 86_400;

    /** A 60 s job of {@code gpus} single GPUs in c2, submitted after two days. */
    static SimReport run(int gpus) {
        var w = new WorkloadSpec("one", "", 3, List.of(new JobSpec("k", "t", Parallelism.of(gpus, 1, 1, 1), new Work.Fixed(60),
                CheckpointPolicy.NONE, 0, Priority.NORMAL, T, null, 10, "c2")), List.of(), Map.of());
        return new Simulation(new Simulation.Config(MIXED, w, Policy.FIFO, XID, SEED, 3)).run(Simulation.Progress.NONE);
    }

    /**
     * GPU failures at 0.5 a GPU-day over 32 GPUs for 3 days, never repaired in the run: each breaks
     * the GPU it picks unless it is broken already, so at the horizon the broken share is the number
     * of distinct GPUs picked over 32, and after two days c2 has 16 less those of 16-31 picked by then
     * unbroken. The failure times and picks are the seed's {@code failure:xid} and {@code failure-pick}
     * draws ({@link FailureReplayTest}). A job of exactly that many GPUs in c2 runs; one more GPU does not.
     */
    @Test
    void aFailureBreaksTheGpuItPicksWhateverTheClustersHostSizes() {
        List<Double> times = FailureReplayTest.failureTimes(SEED, "xid", 0.5 * 32 / 86_400);
        int[] picks = FailureReplayTest.picks(SEED, times.size(), 32);
        var broken = new TreeSet<Integer>();
        var c2ByT = new TreeSet<Integer>();
        for (int i = 0; i < picks.length; i++) {
            broken.add(picks[i]);
            if (times.get(i) < T && picks[i] >= 16) c2ByT.add(picks[i]);
        }
        assertThat(c2ByT.subSet(20, 24)).as("some failure before T hits GPUs 4-7 of host 3").isNotEmpty();
        int healthy = 16 - c2ByT.size();

        var fits = run(healthy);
        assertThat(fits.headline().hardwareFailures()).isEqualTo(broken.size());
        assertThat(fits.allocation().getLast().unhealthy()).isCloseTo(broken.size() / 32.0, within(1e-12));
        assertThat(fits.headline().jobsCompleted()).isEqualTo(1);
        var tooBig = run(healthy + 1);
        assertThat(tooBig.headline().jobsCompleted()).isZero();
        assertThat(tooBig.headline().jobsWaitingAtEnd()).isEqualTo(1);
    }
}
