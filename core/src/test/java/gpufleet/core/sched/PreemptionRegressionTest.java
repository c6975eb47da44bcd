package gpufleet.core.sched;

import gpufleet.core.job.CheckpointPolicy;
import gpufleet.core.job.Job;
import gpufleet.core.job.JobSpec;
import gpufleet.core.job.Parallelism;
import gpufleet.core.job.Priority;
import gpufleet.core.job.Work;
import gpufleet.core.state.FleetState;
import gpufleet.core.topology.ClusterSpec;
import gpufleet.core.topology.FleetSpec;
import gpufleet.core.topology.Topology;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/** Pins: two gangs preempting in one cycle must not pick the same victim. */
class PreemptionRegressionTest {

    static JobSpec spec(int gpus, int priority, double submit) {
        return new JobSpec("j", "t", Parallelism.of(gpus, 8, 1, 1), new Work.Fixed(3600), CheckpointPolicy.NONE, 0,
                priority, submit, null, 10);
    }

    @Test
    void twoPreemptorsInOneCycleNeverShareAVictim() {
        var topo = new Topology(new FleetSpec("f", "", List.of(
                new ClusterSpec("c", "dc", "H100-SXM", 2, 8, 2, 1, 400, 1, 0, 2, 1000))));
        var st = new FleetState(topo);
        var running = new RunningSet(topo);
        var sched = new Scheduler(topo, Policy.GPUFLEET);
        Job low1 = new Job(0, spec(8, Priority.LOW, 0)), low2 = new Job(1, spec(8, Priority.LOW, 1));
        for (Job j : List.of(low1, low2)) {
            var p = sched.placer().place(j.spec(), st);
            st.allocate(j.id(), p);
            j.start(j.submitTime(), p);
            j.setEstimatedEnd(10_000);
            running.add(j);
        }
        var waiting = new TreeSet<>(Policy.GPUFLEET.order().comparator());
        waiting.add(new Job(2, spec(8, Priority.HIGH, 5)));
        waiting.add(new Job(3, spec(8, Priority.HIGH, 6)));

        var result = sched.cycle(10, waiting, running, st, Quotas.NONE, Scheduler.Estimator.UNKNOWN);

        var victims = result.decisions().stream().filter(d -> d instanceof Decision.Preempt).map(Decision::job).toList();
        assertThat(victims).containsExactlyInAnyOrder(low1, low2);
        var started = result.decisions().stream().filter(d -> d instanceof Decision.Start).map(d -> (Decision.Start) d).toList();
        assertThat(started).hasSize(2);
        for (var s : started)
            for (int i = 0; i < s.placement().hosts().length; i++)
                for (long b = s.placement().masks()[i]; b != 0; b &= b - 1)
                    assertThat(st.ownerOf(s.placement().hosts()[i], Long.numberOfTrailingZeros(b))).isEqualTo(s.job().id());
        assertThat(st.allocatedGpus()).isEqualTo(16);
    }
}
