package gpufleet.core.sched;

import gpufleet.core.job.Job;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static gpufleet.core.testkit.Jobs.job;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The fair-share order worked by hand: each next job is the head of the team whose GPUs, counting
 * what it holds, what the order has given it so far and that job, make the smallest multiple of its
 * guarantee; ties go to the earlier arrival.
 */
class FairShareOrderTest {
    @Test
    void theTeamFurthestBelowItsGuaranteeGoesNext() {
        // team a is guaranteed 16 GPUs and holds 16; team b is guaranteed 8 and holds none
        Job j1 = job(1).team("a").gpus(8).submit(0).build(), j2 = job(2).team("b").gpus(8).submit(1).build();
        Job j3 = job(3).team("a").gpus(8).submit(2).build(), j4 = job(4).team("b").gpus(4).submit(3).build();
        Job j5 = job(5).team("a").gpus(4).submit(4).build();
        var view = new QueueOrder.View(0, (j, c) -> 3600, Map.of("a", 16, "b", 8), t -> t.equals("a") ? 16 : 0);
        List<Job> queue = new ArrayList<>(List.of(j5, j3, j4, j1, j2));
        // b's j2: (0 + 8) / 8 = 1 before a's j1: (16 + 8) / 16 = 1.5; then j1 at 1.5 ties b's j4 at
        // (8 + 4) / 8 = 1.5 and arrived first; then j4 (1.5) before a's j3 at (24 + 8) / 16 = 2; then a's rest
        assertThat(QueueOrder.FAIR_SHARE.arrange(queue, view)).containsExactly(j2, j1, j4, j3, j5);
    }

    @Test
    void withoutHoldingsOrGuaranteesItIsRoundRobinByGpusInArrivalOrder() {
        Job a1 = job(1).team("a").gpus(4).submit(0).build(), a2 = job(2).team("a").gpus(4).submit(1).build();
        Job b1 = job(3).team("b").gpus(2).submit(2).build(), b2 = job(4).team("b").gpus(2).submit(3).build();
        var view = new QueueOrder.View(0, (j, c) -> 3600, Map.of());
        // b1 (2) before a1 (4); then b2 (2 + 2 = 4) ties a1 (4), which arrived first; then b2 (4) before a2 (8)
        assertThat(QueueOrder.FAIR_SHARE.arrange(new ArrayList<>(List.of(a1, a2, b1, b2)), view))
                .containsExactly(b1, a1, b2, a2);
    }
}
