package gpufleet.core.sched;

import gpufleet.core.job.Job;
import gpufleet.core.testkit.Placements;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static gpufleet.core.testkit.Jobs.job;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The dynamic orders' inputs and results at their edges, worked out by hand. */
class QueueOrderByHandTest {
    private static final Scheduler.Estimator SEVEN = (j, c) -> 7;

    /**
     * Least attained service with thresholds 100 and 1000 GPU-seconds: queue = thresholds reached.
     * A (first, exactly 100: queue 1), B (99.9: queue 0), C (none: queue 0, arrived before B though its id
     * is higher), D (5000: queue 2, the last). Queue first, then arrival: C, B, A, D.
     */
    @Test
    void leastAttainedQueuesStartAtEachThreshold() {
        QueueOrder las = QueueOrder.leastAttained(new double[] {100, 1000});
        Job a = attained(job(1).submit(0).build(), 100), b = attained(job(2).submit(2).build(), 99.9),
                c = job(3).submit(1).build(), d = attained(job(4).submit(3).build(), 5000);
        List<Job> jobs = new ArrayList<>(List.of(d, a, c, b));
        jobs.sort(las.comparator());
        assertThat(jobs).containsExactly(c, b, a, d);
        List<Job> arranged = las.arrange(new ArrayList<>(List.of(d, a, c, b)), new QueueOrder.View(0, SEVEN, Map.of()));
        assertThat(arranged).containsExactly(c, b, a, d);
    }

    @Test
    void lasThresholdsMustBePositiveAndStrictlyIncreasing() {
        for (double[] bad : new double[][] {{0}, {10, 10}, {10, 5}, {-1}})
            assertThatThrownBy(() -> QueueOrder.leastAttained(bad)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("LAS thresholds must be positive and increasing");
        assertThat(QueueOrder.leastAttained(new double[] {1e-3, 2e-3})).isNotNull();
    }

    /**
     * Remaining run time: a running job's expected end less now, never below 0; a waiting job's full
     * estimate (7 s here).
     */
    @Test
    void remainingTimeOfRunningAndWaitingJobs() {
        var v = new QueueOrder.View(100, SEVEN, Map.of());
        Job running = job(1).gpus(1).build();
        running.start(20, Placements.first(0, 1));
        running.setEstimatedEnd(150);
        assertThat(v.remaining(running)).isEqualTo(50);
        running.setEstimatedEnd(90);
        assertThat(v.remaining(running)).isZero();
        assertThat(v.remaining(job(2).build())).isEqualTo(7);
        // attained: 80 s on 1 GPU so far
        assertThat(v.attained(running)).isEqualTo(80);
    }

    /**
     * Fair share, team a guaranteed 2 GPUs and b 1: a1, a2 (2 GPUs each, at 0 and 1),
     * b1, b2 (1 GPU each, at 2 and 3). Each step takes the team whose (GPUs so far + next job) / share is
     * lowest, ties to the earlier arrival: a (2/2 = 1) ties b (1/1 = 1): a1. Then a 4/2 = 2 against b 1: b1.
     * Then a 2 ties b 2/1 = 2: a2. Then b2.
     */
    @Test
    void fairShareTakesTheTeamFurthestBelowItsShare() {
        Job a1 = job(1).team("a").gpus(2).submit(0).build(), a2 = job(2).team("a").gpus(2).submit(1).build(),
                b1 = job(3).team("b").gpus(1).submit(2).build(), b2 = job(4).team("b").gpus(1).submit(3).build();
        var v = new QueueOrder.View(0, SEVEN, Map.of("a", 2, "b", 1));
        assertThat(QueueOrder.FAIR_SHARE.arrange(new ArrayList<>(List.of(b2, a2, b1, a1)), v))
                .containsExactly(a1, b1, a2, b2);
        // b already holds 3 GPUs elsewhere: a's jobs first, 1 < 4 and 2 < 4
        var heldByB = new QueueOrder.View(0, SEVEN, Map.of("a", 2, "b", 1), t -> t.equals("b") ? 3 : 0);
        assertThat(QueueOrder.FAIR_SHARE.arrange(new ArrayList<>(List.of(b2, a2, b1, a1)), heldByB))
                .containsExactly(a1, a2, b1, b2);
    }

    /**
     * Fair share, both teams' shares 1 (none given). a1 (2 GPUs, at 0), a2 (2 GPUs, at 10); b1 (4 GPUs, at 1),
     * b2 (2 GPUs, at 5). a 2 against b 4: a1. Then a 2 + 2 = 4 ties b 4: b1, whose next job arrived first
     * (1 before 10), though team a comes first in the queue. Then a 4 against b 4 + 2 = 6: a2; then b2.
     */
    @Test
    void fairShareBreaksATieByTheArrivalOfEachTeamsNextJob() {
        Job a1 = job(1).team("a").gpus(2).submit(0).build(), a2 = job(2).team("a").gpus(2).submit(10).build(),
                b1 = job(3).team("b").gpus(4).submit(1).build(), b2 = job(4).team("b").gpus(2).submit(5).build();
        assertThat(QueueOrder.FAIR_SHARE.arrange(new ArrayList<>(List.of(a2, b2, b1, a1)), new QueueOrder.View(0, SEVEN, Map.of())))
                .containsExactly(a1, b1, a2, b2);
    }

    /**
     * A lower share wins over an earlier arrival. a1 (4 GPUs, at 0), a2 (1 GPU, at 10); b1 (8 GPUs, at 5).
     * a 4 against b 8: a1. Then a 4 + 1 = 5 against b 8: a2, though b1 arrived first. Then b1.
     */
    @Test
    void fairShareTakesTheLowerShareWhateverTheArrivals() {
        Job a1 = job(1).team("a").gpus(4).submit(0).build(), a2 = job(2).team("a").gpus(1).submit(10).build(),
                b1 = job(3).team("b").gpus(8).submit(5).build();
        assertThat(QueueOrder.FAIR_SHARE.arrange(new ArrayList<>(List.of(b1, a2, a1)), new QueueOrder.View(0, SEVEN, Map.of())))
                .containsExactly(a1, a2, b1);
    }

    private static Job attained(Job j, double gpuSeconds) {
        j.addAttained(gpuSeconds);
        return j;
    }
}
