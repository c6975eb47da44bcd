package gpufleet.sim.engine;

import gpufleet.core.failure.FailureCause;
import gpufleet.core.failure.FailureModel;
import gpufleet.core.job.CheckpointPolicy;
import gpufleet.core.job.JobSpec;
import gpufleet.core.job.Parallelism;
import gpufleet.core.job.Priority;
import gpufleet.core.job.Recovery;
import gpufleet.core.job.Work;
import gpufleet.core.sched.Policy;
import gpufleet.core.topology.ClusterSpec;
import gpufleet.core.topology.FleetSpec;
import gpufleet.sim.workload.WorkloadSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The hot spares a job with recovery parts holds (one here): a gang that loses a host to a GPU failure
 * takes the spare, and the broken host, once mended and idle, refills the pool, which never holds
 * more than was asked for. Four single-GPU hosts, a 2-GPU gang running for the whole run, GPU
 * failures about four a day with 5 h repairs; read from the 400 allocation samples.
 */
class GangSparePoolTest {
    static final FleetSpec FOUR = new FleetSpec("four", "", List.of(
            new ClusterSpec("c0", "dc", "H100-SXM", 4, 1, 4, 1, 400, 1, 0, 2.0, 700)));
    static final FailureModel GPU = new FailureModel("gpu",
            List.of(new FailureCause("xid", FailureCause.Scope.GPU, 1, 5, false, "test")));

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3})
    void aMendedIdleHostRefillsThePoolAndThePoolNeverGrowsPastItsSize(long seed) {
        var rec = new Recovery(30, 60, 10, 1, 20, true, 1);
        var gang = new JobSpec("gang", "t", Parallelism.of(2, 1, 1, 1), new Work.Fixed(30 * 86_400.0),
                new CheckpointPolicy(600, 10, 10), 0, Priority.NORMAL, 0, null, 10_000, null, rec);
        var w = new WorkloadSpec("w", "", 10, List.of(gang), List.of(), Map.of());
        var sim = new Simulation(new Simulation.Config(FOUR, w, Policy.FIFO, GPU, seed, 10));
        var r = sim.run(Simulation.Progress.NONE);
        assertThat(r.headline().hardwareFailures()).as("failures enough to hit every host").isGreaterThan(20);
        assertThat(sim.recoveryStats().spareSwaps()).as("the gang took the spare").isPositive();

        double one = 1 / 4.0;
        int short_ = 0, refilled = 0;
        boolean wasShort = false;
        for (var s : r.allocation()) {
            // one spare host asked for: never two (a mended idle host joins only a pool that lacks one)
            assertThat(s.spare()).as("day %.3f", s.day()).isLessThanOrEqualTo(one);
            // the pool lacks its host only while some GPU is broken: the spare itself, or the host the
            // gang left, which rejoins the pool the moment it is mended (nothing else can hold it: its
            // only GPU was broken, and the gang already has its two)
            if (s.spare() < one) {
                short_++;
                assertThat(s.unhealthy()).as("day %.3f: the pool short with nothing broken", s.day()).isPositive();
            }
            if (wasShort && s.spare() == one) refilled++;
            wasShort = s.spare() < one;
        }
        assertThat(short_).isPositive();
        assertThat(refilled).isPositive();
    }
}
