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
    /**
     * Five hosts of 8 GPUs; a HIGH job of 32 GPUs in groups of 8 needs four whole hosts. Host 4 runs one
     * LOW job (1 GPU) and seven HIGH ones; hosts 0 to 3 run 31 NORMAL jobs (one of 2 GPUs, thirty of 1).
     * Victims go lowest priority first: the LOW job, then NORMAL ones until the gang fits, which is when
     * all 31 are gone: 32 victims, the most that are checked one by one. The LOW job's GPU turns out not
     * to be needed (host 4 is never whole): it is given back, and 31 jobs are preempted.
     */
    @Test
    void thirtyTwoVictimsAreStillCheckedOneByOne() {
        var f = new Fixture(gpufleet.core.testkit.Fleets.lab(1, 1, 1, 5, 8));
        int id = 1;
        Job low = f.h.runOn(job(id++).priority(LOW).gpus(1).build(), gpufleet.core.testkit.Placements.first(4, 1), 0, 1e6);
        for (int g = 1; g < 8; g++)
            f.h.runOn(job(id++).priority(HIGH).gpus(1).build(), gpufleet.core.testkit.Placements.of().on(4, 1L << g).build(), 0, 1e6);
        var normal = new java.util.ArrayList<Job>();
        normal.add(f.h.runOn(job(id++).priority(NORMAL).gpus(2).build(), gpufleet.core.testkit.Placements.first(0, 2), 0, 1e6));
        for (int h = 0; h < 4; h++)
            for (int g = h == 0 ? 2 : 0; g < 8; g++)
                normal.add(f.h.runOn(job(id++).priority(NORMAL).gpus(1).build(),
                        gpufleet.core.testkit.Placements.of().on(h, 1L << g).build(), 1 + normal.size(), 1e6));
        assertThat(normal).hasSize(31);
        var plugin = new PriorityPreemption();
        var s = f.state(100, plugin);
        Job big = job(id).priority(HIGH).gpus(32).tp(8).build();
        assertThat(plugin.makeRoom(s, big)).isTrue();
        assertThat(s.decisions()).filteredOn(d -> d instanceof Decision.Preempt).extracting(Decision::job)
                .containsExactlyInAnyOrderElementsOf(normal).doesNotContain(low);
        assertThat(s.decisions().getLast()).isInstanceOf(Decision.Start.class).extracting(Decision::job).isEqualTo(big);
    }
}
