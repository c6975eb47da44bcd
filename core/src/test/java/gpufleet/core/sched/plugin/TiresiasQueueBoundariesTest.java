package gpufleet.core.sched.plugin;

import gpufleet.core.job.Job;
import gpufleet.core.sched.framework.Memory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static gpufleet.core.testkit.Jobs.job;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Which queue a job is in, at the limits themselves. Limits 100 and 1000 GPU-seconds (three queues):
 * a job leaves queue k once its attained service reaches the k-th limit, less a millionth of a second
 * so that a demotion due at the wake-up time is not lost to rounding.
 */
class TiresiasQueueBoundariesTest {
    private final TiresiasLas plugin = new TiresiasLas(new double[] {100, 1000}, 3, TiresiasLas.Wake.CROSSING);

    /** A job the plugin does not remember goes by its attained GPU-seconds alone. */
    @ParameterizedTest(name = "{0} GPU-seconds -> queue {1}")
    @CsvSource({
            "0, 0",
            "99.9, 0",
            "100, 1",
            "999.5, 1",
            "1000, 2",
            "5000, 2",        // past the last limit: the last queue, not a fourth
    })
    void aJobNotRememberedGoesByItsAttainedService(double attained, int queue) {
        var f = Fixture.hosts(1);
        Job j = job(1).gpus(8).build();
        j.addAttained(attained);
        assertThat(plugin.queueOf(f.state(0, plugin), j, null)).isEqualTo(queue);
    }

    @Test
    void theLimitLessTheToleranceIsEnough() {
        var f = Fixture.hosts(1);
        Job j = job(1).gpus(8).build();
        j.addAttained(100 - 1e-6);
        assertThat(plugin.queueOf(f.state(0, plugin), j, null)).isEqualTo(1);
        Job below = job(2).gpus(8).build();
        below.addAttained(100 - 2e-6);
        assertThat(plugin.queueOf(f.state(0, plugin), below, null)).isZero();
    }

    /**
     * A remembered running job moves down one queue when its service, counted to now, reaches its
     * queue's limit: 1 GPU since 0, so at t GPU-seconds = t. In the last queue it stays.
     */
    @Test
    void aRememberedRunningJobMovesDownAtItsQueuesLimit() {
        var f = Fixture.hosts(1);
        Job j = job(1).gpus(1).build();
        f.run(j, 0);
        var slot0 = new TiresiasLas.Slot(0, 5);
        assertThat(plugin.queueOf(f.state(99, plugin), j, slot0)).isZero();
        assertThat(plugin.queueOf(f.state(100 - 1e-6, plugin), j, slot0)).isEqualTo(1);
        assertThat(plugin.queueOf(f.state(5000, plugin), j, slot0)).as("one queue per cycle").isEqualTo(1);
        assertThat(plugin.queueOf(f.state(5000, plugin), j, new TiresiasLas.Slot(2, 5))).isEqualTo(2);
        // a waiting job keeps its remembered queue whatever its service
        Job w = job(2).gpus(1).build();
        w.addAttained(5000);
        assertThat(plugin.queueOf(f.state(0, plugin), w, slot0)).isZero();
    }

    @Test
    void limitsMustBePositiveAndStrictlyIncreasing() {
        for (double[] bad : new double[][] {{0, 10}, {10, 10}, {-1}})
            assertThatThrownBy(() -> new TiresiasLas(bad, 3, TiresiasLas.Wake.CROSSING))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("LAS thresholds must be positive and increasing");
        assertThat(new TiresiasLas(new double[] {1e-3, 2e-3}, 3, TiresiasLas.Wake.CROSSING).limits())
                .containsExactly(1e-3, 2e-3);
    }

    /**
     * Waiting jobs, and running and waiting jobs together, go by queue and then by remembered place,
     * jobs the plugin does not remember last in arrival order: remembered are 3 (queue 0, place 7),
     * 1 (queue 0, place 9) and 2 (queue 1, place 1); 4 is new with no service (queue 0).
     */
    @Test
    void jobsAreSortedByQueueThenRememberedPlace() {
        var f = Fixture.hosts(1);
        Job j1 = job(1).gpus(1).submit(0).build(), j2 = job(2).gpus(1).submit(1).build(),
                j3 = job(3).gpus(1).submit(2).build(), j4 = job(4).gpus(1).submit(3).build();
        j2.addAttained(500);
        var memory = Memory.EMPTY.with(Map.of(plugin.name(),
                new TiresiasLas.Queues(Map.of(3, new TiresiasLas.Slot(0, 7), 1, new TiresiasLas.Slot(0, 9),
                        2, new TiresiasLas.Slot(1, 1)), 10)));
        var s = f.state(0, memory, plugin);
        assertThat(plugin.sortWaiting(List.of(j1, j2, j3, j4), s)).containsExactly(j3, j1, j4, j2);
        assertThat(plugin.sortAll(new ArrayList<>(List.of(j2, j4, j1, j3)), s))
                .containsExactly(j3, j1, j4, j2);
        assertThat(plugin.wake()).isEqualTo(TiresiasLas.Wake.CROSSING);
    }
}
