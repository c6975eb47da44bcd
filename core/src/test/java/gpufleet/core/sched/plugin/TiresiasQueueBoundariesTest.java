package gpufleet.core.sched.plugin;

import gpufleet.core.job.Job;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

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
}
