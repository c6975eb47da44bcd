package gpufleet.core.sched.plugin;

import gpufleet.core.job.Job;
import gpufleet.core.sched.Policy;
import gpufleet.core.sched.Scheduler;
import gpufleet.core.testkit.Fleets;
import gpufleet.core.testkit.Harness;
import org.junit.jupiter.api.Test;

import static gpufleet.core.testkit.Harness.started;
import static gpufleet.core.testkit.Jobs.job;
import static gpufleet.core.testkit.Placements.whole;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The reservation of the first blocked job counts the jobs started ahead of it in the same cycle: they
 * hold GPUs and free them at their expected ends, though they join the running set only after the
 * cycle. One rack of 4 hosts of 8 GPUs under fifo-backfill; jobs are whole hosts (TP 8).
 */
class EasyBackfillSameCycleTest {
    private final Harness h = new Harness(Fleets.lab(1, 1, 1, 4, 8), Policy.FIFO_BACKFILL);

    private static Job gang(int id, int gpus, double seconds) {
        return job(id).gpus(gpus).tp(8).duration(seconds).submit(id).build();
    }

    @Test
    void aJobStartedAheadInTheCycleSetsTheShadowAndWhatIsLeftOver() {
        // at t = 100, job 1 takes two hosts until 110; job 2 needs three: shadow 110, one host left over
        Job first = gang(1, 16, 10), head = gang(2, 24, 10);
        Job shortOne = gang(3, 8, 5), longOne = gang(4, 8, 1000), longPair = gang(5, 16, 1000);
        var r = h.cycle(100, first, head, shortOne, longOne, longPair);
        assertThat(started(r)).as("the short one ends by 110; the long one takes the host left over")
                .containsExactly(first, shortOne, longOne);
        assertThat(head.reason()).isEqualTo(Scheduler.REASON_RESERVED);
        assertThat(longPair.reason()).as("nothing is left for it").isEqualTo(Scheduler.REASON_RESOURCES);
    }

    @Test
    void theStartedJobsCountInOrderOfTheirEndsNotOfTheirStarts() {
        // jobs 1 (50 s) and 2 (10 s) start; job 3 needs three hosts: the one ending at 10 frees the third
        Job slow = gang(1, 8, 50), quick = gang(2, 8, 10), head = gang(3, 24, 10);
        Job between = gang(4, 16, 30);
        var r = h.cycle(0, slow, quick, head, between);
        assertThat(started(r)).as("job 4 would hold two hosts past 10").containsExactly(slow, quick);
        assertThat(between.reason()).isEqualTo(Scheduler.REASON_BACKFILL);
    }

    @Test
    void freeGpusShortOfATensorParallelGroupStillCountTowardTheShadow() {
        // one 8-GPU host: job 1 holds 6 GPUs until 7,200; job 2 needs the whole host (TP 8). Its shadow is
        // 7,200, when 2 free + 6 freed make 8, with nothing over: job 3 (2 GPUs for 7,300 s) would end at
        // 7,320 and hold 2 of them, so it waits, and job 2 starts at 7,200 as reserved
        Harness one = new Harness(Fleets.lab(1, 1, 1, 1, 8), Policy.FIFO_BACKFILL);
        one.runOn(job(1).gpus(6).tp(2).duration(7200).submit(0).build(), gpufleet.core.testkit.Placements.first(0, 6), 0, 7200);
        Job head = job(2).gpus(8).tp(8).duration(100).submit(10).build();
        Job pair = job(3).gpus(2).tp(2).duration(7300).submit(20).build();
        var r = one.cycle(20, head, pair);
        assertThat(started(r)).isEmpty();
        assertThat(head.reason()).isEqualTo(Scheduler.REASON_RESERVED);
        assertThat(pair.reason()).isEqualTo(Scheduler.REASON_BACKFILL);
        // a 2-GPU job that ends by 7,200 may use them
        Job brief = job(4).gpus(2).tp(2).duration(7000).submit(30).build();
        assertThat(started(one.cycle(30, head, pair, brief))).containsExactly(brief);
    }

    @Test
    void theShadowIsTheFirstEndThatCoversTheNeedNotALaterOne() {
        // host 0 runs job 9 until 500; job 1 starts on two hosts until 10; job 2 needs three hosts:
        // 8 free + 16 at t = 10 make exactly 24, so the shadow is 10 with nothing over
        h.runOn(gang(9, 8, 500), whole(h.topo, 0), 0, 500);
        Job first = gang(1, 16, 10), head = gang(2, 24, 10), hundred = gang(3, 8, 100);
        var r = h.cycle(0, first, head, hundred);
        assertThat(started(r)).containsExactly(first);
        assertThat(hundred.reason()).isEqualTo(Scheduler.REASON_BACKFILL);
    }
}
