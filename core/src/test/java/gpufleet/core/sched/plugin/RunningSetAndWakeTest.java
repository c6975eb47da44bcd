package gpufleet.core.sched.plugin;

import gpufleet.core.job.Job;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static gpufleet.core.testkit.Jobs.job;
import static gpufleet.core.testkit.Placements.first;
import static org.assertj.core.api.Assertions.assertThat;

/** The running set's per-team and per-priority sums, and when a cycle asks to be woken. */
class RunningSetAndWakeTest {

    /** Priorities 0 (2 GPUs), 1 (3 GPUs) and 1000 (1 GPU) on one host; team a holds 5, b 1. */
    @Test
    void gpusBelowAPriorityCountOnlyStrictlyLowerOnes() {
        var f = Fixture.hosts(1);
        Job low = job(1).gpus(2).priority(0).team("a").build(), mid = job(2).gpus(3).priority(1).team("a").build(),
                top = job(3).gpus(1).priority(1000).team("b").build();
        f.h.runOn(low, first(0, 2), 0, 100);
        f.h.runOn(mid, gpufleet.core.testkit.Placements.of().on(0, 0b1_1100).build(), 0, 100);
        f.h.runOn(top, gpufleet.core.testkit.Placements.of().on(0, 0b10_0000).build(), 0, 100);
        var rs = f.h.running;
        assertThat(rs.gpusBelow(0, 0)).isZero();
        assertThat(rs.gpusBelow(0, 1)).isEqualTo(2);
        assertThat(rs.gpusBelow(0, 2)).isEqualTo(5);
        assertThat(rs.gpusBelow(0, 1000)).isEqualTo(5);
        assertThat(rs.gpusBelow(0, 5000)).as("past the highest priority: all").isEqualTo(6);
        assertThat(rs.teamUsage()).isEqualTo(Map.of("a", 5, "b", 1));
        rs.remove(mid);
        assertThat(rs.gpusBelow(0, 2)).isEqualTo(2);
        assertThat(rs.gpusBelow(0, 5000)).isEqualTo(3);
        assertThat(rs.teamGpus("a")).isEqualTo(2);
        assertThat(rs.size()).isEqualTo(2);
    }

    /** Only a time after now counts, and the earliest asked for wins. */
    @Test
    void aCycleIsWokenOnlyForALaterTimeAndTheEarliestWins() {
        var s = Fixture.hosts(1).state(10);
        s.wakeAt(10);
        s.wakeAt(5);
        assertThat(s.wakeAt()).isInfinite();
        s.wakeAt(30);
        s.wakeAt(20);
        s.wakeAt(25);
        assertThat(s.wakeAt()).isEqualTo(20);
    }
}
