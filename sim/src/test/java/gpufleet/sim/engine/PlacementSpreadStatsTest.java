package gpufleet.sim.engine;

import gpufleet.core.failure.FailureModel;
import gpufleet.core.job.CheckpointPolicy;
import gpufleet.core.job.JobSpec;
import gpufleet.core.job.Parallelism;
import gpufleet.core.job.Priority;
import gpufleet.core.job.Work;
import gpufleet.core.sched.Policy;
import gpufleet.core.topology.ClusterSpec;
import gpufleet.core.topology.FleetSpec;
import gpufleet.sim.workload.WorkloadSpec;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The replay table's placement shares: of multi-GPU jobs that fit one host (one rack), the share whose
 * first placement was on one host (one rack), on a fleet where a job is forced to spread.
 */
class PlacementSpreadStatsTest {
    /** 4 hosts of 8 GPUs, 2 hosts a rack: racks of 16 GPUs. */
    static final FleetSpec TWO_RACKS = new FleetSpec("two-racks", "", List.of(
            new ClusterSpec("c0", "dc", "H100-SXM", 4, 8, 2, 2, 400, 1, 0, 2.0, 700)));

    static JobSpec job(String name, int gpus, int tp, double work, double submit) {
        return new JobSpec(name, "t", Parallelism.of(gpus, tp, 1, 1), new Work.Fixed(work), CheckpointPolicy.NONE, 0,
                Priority.NORMAL, submit, null, 10);
    }

    /**
     * <pre>
     * a b c d  6 GPUs, TP 6, submit 0-3, 50,000 s: no two fit one host (12 > 8), so one on each host, 2 free on each
     * e        8 GPUs, TP 2, submit 10, 100 s: the 2 free GPUs of every host, 4 hosts in 2 racks
     * f        1 GPU, submit 200 (after e ended): not a multi-GPU job
     * g        16 GPUs, TP 8, submit 60,000 (the fleet empty): 2 whole hosts, one rack (the placer's narrowest scope)
     * </pre>
     * Fit one host (2 to 8 GPUs): a b c d e, of which a b c d got one: 4 of 5. Fit one rack (2 to 16
     * GPUs): a b c d e g, of which all but e got one: 5 of 6.
     */
    @Test
    void aJobForcedOverHostsAndRacksCountsAgainstBothShares() {
        var w = new WorkloadSpec("spread", "", 1, List.of(
                job("a", 6, 6, 50_000, 0), job("b", 6, 6, 50_000, 1), job("c", 6, 6, 50_000, 2), job("d", 6, 6, 50_000, 3),
                job("e", 8, 2, 100, 10), job("f", 1, 1, 100, 200), job("g", 16, 8, 100, 60_000)), List.of(), Map.of());
        var sim = new Simulation(new Simulation.Config(TWO_RACKS, w, Policy.FIFO, FailureModel.NONE, 1, 1));
        sim.run(Simulation.Progress.NONE);
        var s = sim.replayStats();
        assertThat(s.completed()).isEqualTo(7);
        assertThat(s.multiGpuJobs()).isEqualTo(5);
        assertThat(s.inOneHost()).isCloseTo(4 / 5.0, within(1e-12));
        assertThat(s.inOneRack()).isCloseTo(5 / 6.0, within(1e-12));
    }
}
