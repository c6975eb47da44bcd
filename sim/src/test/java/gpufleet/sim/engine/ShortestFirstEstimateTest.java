package gpufleet.sim.engine;

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
import gpufleet.sim.workload.WorkloadSpec;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The run time shortest-first policies read for a waiting job: its work on the GPUs of the first
 * cluster that can run it, less what it has already done.
 */
class ShortestFirstEstimateTest {
    static final Simulation.Tuning EVENTS = new Simulation.Tuning(Double.NaN, CommSlowdown.NONE, Map.of(), true);

    static JobSpec job(String name, Work work, String gpuType, double submit) {
        // no checkpoints: a preemption costs nothing and loses nothing
        return new JobSpec(name, "t", Parallelism.of(1, 1, 1, 1), work, CheckpointPolicy.NONE, 0, Priority.NORMAL,
                submit, gpuType, 10);
    }

    static Map<String, Double> finishes(Simulation sim) {
        Map<String, Double> out = new TreeMap<>();
        for (var e : sim.jobEvents()) if (e.event().equals("finish")) out.put(e.name(), e.time());
        return out;
    }

    /**
     * One H100 in cluster 0, one A100 in cluster 1; every job but z asks for the A100, and z for a V100
     * that no cluster has (it is refused, after being
     * sorted with the others once: its estimate, on cluster 0 for want of a better one, must not fail). x trains 6 x 1e9 x 7.8e7 = 4.68e17 FLOPs at 50% MFU: 3,000 s
     * on the A100 (312 TFLOPS), 946 s on the H100 (989) it can never use; y runs 2,000 s.
     * <pre>
     * 0      b (1,000 s) starts on the A100
     * 1,000  b ends; waiting x (3,000 s there) and y (2,000 s): y first, to 3,000; then x, to 6,000
     * </pre>
     */
    @Test
    void aJobIsEstimatedOnTheFirstClusterThatCanRunIt() {
        var a100 = "A100-SXM-80GB";
        var fleet = new FleetSpec("two", "", List.of(
                new ClusterSpec("h", "dc", "H100-SXM", 1, 1, 1, 1, 400, 1, 0, 2.0, 700),
                new ClusterSpec("a", "dc", a100, 1, 1, 1, 1, 400, 1, 0, 1.0, 400)));
        var x = new Work.Training(1e9, 7.8e7, 0.5);
        assertThat(x.seconds(gpufleet.core.topology.GpuCatalog.get(a100), 1)).isCloseTo(3000, within(1e-6));
        var w = new WorkloadSpec("w", "", 1, List.of(
                job("b", new Work.Fixed(1000), a100, 0), job("x", x, a100, 10), job("y", new Work.Fixed(2000), a100, 20),
                job("z", new Work.Fixed(10), "V100-SXM2", 30)), List.of(), Map.of());
        var sim = new Simulation(new Simulation.Config(fleet, w, Policy.SJF, FailureModel.NONE, 1, 1, EVENTS));
        var r = sim.run(Simulation.Progress.NONE);
        assertThat(r.headline().jobsRejected()).isEqualTo(1);
        assertThat(finishes(sim)).containsExactlyEntriesOf(new TreeMap<>(Map.of("b", 1000.0, "x", 6000.0, "y", 3000.0)));
    }

    /**
     * One GPU, preemptive shortest-remaining-first.
     * <pre>
     * 0    a (1,000 s) starts
     * 500  c (100 s) arrives: a has 500 s left, c goes first; a waits with half its work done
     * 550  d (520 s) arrives and waits
     * 600  c ends; a (500 s left) before d (520 s): a resumes to 1,100, then d to 1,620
     * </pre>
     */
    @Test
    void aPreemptedJobIsEstimatedByTheWorkItHasLeft() {
        var one = new FleetSpec("one", "", List.of(new ClusterSpec("c0", "dc", "H100-SXM", 1, 1, 1, 1, 400, 1, 0, 2.0, 700)));
        var w = new WorkloadSpec("w", "", 1, List.of(job("a", new Work.Fixed(1000), null, 0),
                job("c", new Work.Fixed(100), null, 500), job("d", new Work.Fixed(520), null, 550)), List.of(), Map.of());
        var sim = new Simulation(new Simulation.Config(one, w, Policy.SRTF, FailureModel.NONE, 1, 1, EVENTS));
        var r = sim.run(Simulation.Progress.NONE);
        assertThat(r.headline().preemptions()).isEqualTo(1);
        assertThat(finishes(sim)).containsExactlyEntriesOf(new TreeMap<>(Map.of("a", 1100.0, "c", 600.0, "d", 1620.0)));
    }
}
