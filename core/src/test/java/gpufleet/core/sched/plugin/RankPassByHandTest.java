package gpufleet.core.sched.plugin;

import gpufleet.core.job.Job;
import gpufleet.core.sched.Decision;
import gpufleet.core.sched.QueueOrder;
import gpufleet.core.sched.Quotas;
import gpufleet.core.sched.framework.CycleState;
import gpufleet.core.testkit.Fleets;
import org.junit.jupiter.api.Test;

import static gpufleet.core.testkit.Jobs.job;
import static gpufleet.core.testkit.Placements.first;
import static org.assertj.core.api.Assertions.assertThat;

/** The rank pass in arrival order (earlier submission ranks first), on hosts of 8 GPUs, worked out by hand. */
class RankPassByHandTest {

    private static CycleState pass(Fixture f, RankPreemption plugin, double now, Job... waiting) {
        var s = f.state(now, new OrderSort(QueueOrder.FIFO), plugin);
        for (Job w : waiting) s.candidates().add(w);
        plugin.postCycle(s);
        return s;
    }

    /** R ran exactly the minimum run (100 s of 100): it may be preempted for W, which ranks first. */
    @Test
    void aJobThatRanExactlyTheMinimumMayBePreempted() {
        var f = Fixture.hosts(1);
        Job r = job(1).submit(50).gpus(8).build();
        f.run(r, 0);
        Job w = job(2).submit(0).gpus(8).build();
        var s = pass(f, new RankPreemption(0, 100), 100, w);
        assertThat(s.decisions()).last().isEqualTo(new Decision.Preempt(r, w));
        var early = Fixture.hosts(1);
        early.run(job(1).submit(50).gpus(8).build(), 0);
        assertThat(pass(early, new RankPreemption(0, 100), 99.5, w).decisions()).isEmpty();
    }

    /**
     * R1 (4 GPUs, running since 0) may be preempted at 120; R2 (4 GPUs, since 50: 70 s) may not. W (8 GPUs)
     * ranks above both but can claim only R1's 4: nothing is preempted.
     */
    @Test
    void aYoungJobsGpusAreNotClaimed() {
        var f = Fixture.hosts(1);
        f.h.runOn(job(1).submit(60).gpus(4).build(), first(0, 4), 0, 1000);
        f.h.runOn(job(2).submit(70).gpus(4).build(), gpufleet.core.testkit.Placements.of().on(0, 0xF0).build(), 50, 1000);
        var s = pass(f, new RankPreemption(0, 100), 120, job(3).submit(0).gpus(8).build());
        assertThat(s.decisions()).isEmpty();
    }

    /**
     * Two waiting jobs, the better-ranked last in the list: W1 (submitted at 0) ranks above R (at 50), W2
     * (at 90) below. The pass looks for the best waiting job, finds R below it, and preempts R for W1.
     */
    @Test
    void theBestRankedWaitingJobDecidesWhetherThePassRuns() {
        var f = Fixture.hosts(1);
        Job r = job(1).submit(50).gpus(8).build();
        f.run(r, 0);
        Job w2 = job(3).submit(90).gpus(8).build(), w1 = job(2).submit(0).gpus(8).build();
        var s = pass(f, new RankPreemption(0, 0), 100, w2, w1);
        assertThat(s.decisions()).last().isEqualTo(new Decision.Preempt(r, w1));
    }

    /** Team q may hold 8 GPUs: W (8) exactly fits its quota and preempts R; V (16, two hosts) never does. */
    @Test
    void theTeamQuotaBoundsWhatThePassStarts() {
        var f = Fixture.hosts(2);
        f.quotas = Quotas.NONE.with("q", 8);
        Job r = job(1).submit(50).gpus(16).build();
        f.run(r, 0);
        Job w = job(2).submit(0).team("q").gpus(8).build();
        assertThat(pass(f, new RankPreemption(0, 0), 100, w).decisions()).last().isEqualTo(new Decision.Preempt(r, w));

        var g = Fixture.hosts(2);
        g.quotas = Quotas.NONE.with("q", 8);
        g.run(job(1).submit(50).gpus(16).build(), 0);
        assertThat(pass(g, new RankPreemption(0, 0), 100, job(3).submit(0).team("q").gpus(16).build()).decisions())
                .isEmpty();
    }

    /** Two clusters: the claim goes to the one with the most budget left that holds the job; ties to the first. */
    @Test
    void theRoomiestClusterIsTheOneWithTheMostBudget() {
        var s = new Fixture(Fleets.lab(2, 1, 1, 1, 8)).state(0);
        Job j = job(1).gpus(4).build();
        assertThat(RankPreemption.roomiest(s, j, new long[] {4, 8})).isEqualTo(1);
        assertThat(RankPreemption.roomiest(s, j, new long[] {8, 4})).isZero();
        assertThat(RankPreemption.roomiest(s, j, new long[] {8, 8})).isZero();
        assertThat(RankPreemption.roomiest(s, j, new long[] {3, 4})).isEqualTo(1);
        assertThat(RankPreemption.roomiest(s, j, new long[] {3, 3})).isEqualTo(-1);
        assertThat(RankPreemption.roomiest(s, job(2).gpus(16).build(), new long[] {16, 16})).as("no cluster of 16")
                .isEqualTo(-1);
    }
}
