package gpufleet.core.sched.plugin;

import gpufleet.core.job.Job;
import gpufleet.core.sched.Decision;
import org.junit.jupiter.api.Test;

import static gpufleet.core.job.Priority.HIGH;
import static gpufleet.core.job.Priority.LOW;
import static gpufleet.core.job.Priority.NORMAL;
import static gpufleet.core.testkit.Jobs.job;
import static org.assertj.core.api.Assertions.assertThat;

/** Which running jobs preemption by priority takes, on one host of 8 GPUs. */
class PriorityVictimsTest {

    /**
     * Among equal priorities the most recently started goes first, whatever the ids: job 2 started at 0,
     * job 1 at 5, so job 1 is taken for a HIGH job of 4 GPUs.
     */
    @Test
    void theMostRecentlyStartedGoesFirstWhateverItsId() {
        var f = Fixture.hosts(1);
        Job older = job(2).priority(LOW).gpus(4).build(), recent = job(1).priority(LOW).gpus(4).build();
        f.run(older, 0).run(recent, 5);
        var plugin = new PriorityPreemption();
        var s = f.state(10, plugin);
        Job high = job(3).priority(HIGH).gpus(4).build();
        assertThat(plugin.makeRoom(s, high)).isTrue();
        assertThat(s.decisions().getFirst()).isEqualTo(new Decision.Preempt(recent, high));
    }

    /**
     * A (LOW, 4) and B (NORMAL, 4) fill the host. In one cycle a NORMAL job of 4 takes A; then a HIGH job
     * of 4 takes B: the victims a lower job looked at earlier in the cycle are not all there is.
     */
    @Test
    void aHigherJobLaterInTheCycleSeesVictimsALowerOneCouldNotTake() {
        var f = Fixture.hosts(1);
        Job a = job(1).priority(LOW).gpus(4).build(), b = job(2).priority(NORMAL).gpus(4).build();
        f.run(a, 0).run(b, 5);
        var plugin = new PriorityPreemption();
        var s = f.state(10, plugin);
        Job normal = job(3).priority(NORMAL).gpus(4).build(), high = job(4).priority(HIGH).gpus(4).build();
        assertThat(plugin.makeRoom(s, normal)).isTrue();
        assertThat(plugin.makeRoom(s, high)).isTrue();
        assertThat(s.decisions()).filteredOn(d -> d instanceof Decision.Preempt)
                .containsExactly(new Decision.Preempt(a, normal), new Decision.Preempt(b, high));
    }
}
