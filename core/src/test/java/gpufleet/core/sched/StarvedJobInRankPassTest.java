package gpufleet.core.sched;

import gpufleet.core.job.Job;
import gpufleet.core.testkit.Fleets;
import gpufleet.core.testkit.Harness;
import org.junit.jupiter.api.Test;

import static gpufleet.core.testkit.Harness.preempted;
import static gpufleet.core.testkit.Harness.started;
import static gpufleet.core.testkit.Jobs.job;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * gpufleet's starvation bound and its rank pass (docs/policies.md): the bound puts a starved job at the
 * head of the waiting queue, but the rank pass preempts only where the order itself ranks a running job
 * below a waiting one. A starved job therefore waits for the running jobs its order ranks above it
 * rather than killing their work; it is the first to take GPUs that free up, and the EASY reservation
 * keeps backfill from delaying it.
 */
class StarvedJobInRankPassTest {

    /**
     * One host of 8 GPUs. R (NORMAL, 8 GPUs) started 700 s ago, past the 600 s minimum run, with 5,600
     * GPU-seconds: Tiresias queue 1. W (NORMAL, 8 GPUs) has waited 13 h, past the 12 h bound, with 10,000
     * GPU-seconds from an earlier run: queue 2, so the order ranks R above it. Nothing is preempted and
     * W does not start.
     */
    @Test
    void aStarvedJobDoesNotDisplaceARunningJobThatTheOrderRanksAboveIt() {
        var result = oneHost(10_000);
        assertThat(preempted(result)).extracting(Job::id).isEmpty();
        assertThat(started(result)).isEmpty();
    }

    /**
     * The same two jobs with W's earlier run below queue 1's threshold (1,000 GPU-seconds): now the order
     * ranks W, with less attained service, above R, and the rank pass displaces R. The test above differs
     * from this one only in the order's rank, so it is the shortcut, not a missing pass, that spares R.
     */
    @Test
    void theSameJobDisplacesItOnceTheOrderRanksItAbove() {
        var result = oneHost(1_000);
        assertThat(started(result)).extracting(Job::id).containsExactly(2);
        assertThat(preempted(result)).extracting(Job::id).containsExactly(1);
    }

    /** R running on the one host since 700 s ago; W, waiting since time 0, with {@code wAttained} GPU-seconds. */
    private static gpufleet.core.sched.Scheduler.Result oneHost(double wAttained) {
        double now = 13 * 3600;
        var h = new Harness(Fleets.lab(1, 1, 1, 1, 8), Policy.GPUFLEET);
        Job r = job(1).gpus(8).submit(now - 800).duration(86_400).build();
        h.run(r, now - 700);
        Job w = job(2).gpus(8).submit(0).duration(3600).build();
        w.addAttained(wAttained);
        return h.cycle(now, w);
    }

    /**
     * Two hosts. R1 (queue 1, 700 s into its run) ranks above the starved W (queue 2); R2 (queue 3: 20,000
     * GPU-seconds from an earlier run) ranks below it but started {@code r2Ran} seconds ago. Under the
     * 10-minute minimum run R2 may not be preempted, so no running job that may go ranks below W: no
     * pass, and R1 keeps running.
     */
    @Test
    void aRunningJobUnderTheMinimumRunDoesNotOpenAPassForAStarvedJob() {
        var result = twoHosts(599);
        assertThat(preempted(result)).isEmpty();
        assertThat(started(result)).isEmpty();
    }

    /**
     * At exactly the 10-minute minimum R2 may go, and it is the one displaced: W takes its 8 GPUs' worth
     * of the pass's budget first (starved), R1 the other 8, and R2 is left out. R1, which the order ranks
     * above W, is untouched.
     */
    @Test
    void atTheMinimumRunThePassDisplacesTheJobRankedBelow() {
        var result = twoHosts(600);
        assertThat(started(result)).extracting(Job::id).containsExactly(3);
        assertThat(preempted(result)).extracting(Job::id).containsExactly(2);
    }

    private static gpufleet.core.sched.Scheduler.Result twoHosts(double r2Ran) {
        double now = 13 * 3600;
        var h = new Harness(Fleets.lab(1, 1, 1, 2, 8), Policy.GPUFLEET);
        Job r1 = job(1).gpus(8).submit(now - 800).duration(86_400).build();
        h.run(r1, now - 700);
        Job r2 = job(2).gpus(8).submit(now - 900).duration(86_400).build();
        r2.addAttained(20_000);
        h.run(r2, now - r2Ran);
        Job w = job(3).gpus(8).submit(0).duration(3600).build();
        w.addAttained(10_000);
        return h.cycle(now, w);
    }
}
