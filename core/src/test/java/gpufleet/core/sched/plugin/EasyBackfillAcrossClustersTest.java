package gpufleet.core.sched.plugin;

import gpufleet.core.job.Job;
import gpufleet.core.sched.framework.Status;
import gpufleet.core.testkit.Fleets;
import org.junit.jupiter.api.Test;

import static gpufleet.core.testkit.Jobs.job;
import static gpufleet.core.testkit.Placements.first;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * EASY backfill on two clusters of one 8-GPU host each. Job A holds 4 GPUs of c0 until 100, job B 4 of
 * c1 until 200. The head H (8 GPUs) reserves c0: there 4 free + A's 4 cover it at 100 (extra 0), in c1
 * only at 200.
 */
class EasyBackfillAcrossClustersTest {
    private final Fixture f = new Fixture(Fleets.lab(2, 1, 1, 1, 8));
    private final EasyBackfill plugin = new EasyBackfill();

    EasyBackfillAcrossClustersTest() {
        f.h.runOn(job(100).gpus(4).build(), first(0, 4), 0, 100);
        f.h.runOn(job(101).gpus(4).build(), first(1, 4), 0, 200);
    }

    /**
     * C (4 GPUs, 500 s) would end long after 100 and needs more than the extra 0, so it may not take c0's
     * free GPUs; it fits by count in c1, so it is not held back, and a placement the placer finds in c0
     * (both hosts have 4 free: the lower cluster wins the tie) is moved to c1.
     */
    @Test
    void aJobThatWouldDelayTheReservationIsPlacedInTheOtherCluster() {
        var s = f.state(10, new GpuCount(), new GangPlacement(), plugin);
        assertThat(plugin.unschedulable(s, job(1).gpus(8).build())).isEqualTo(Status.HOLDS_RESERVATION);
        Job c = job(2).gpus(4).duration(500).build();
        assertThat(plugin.beforePlace(s, c)).isEqualTo(Status.OK);
        var inC0 = s.placer().place(c.spec(), s.fleet());
        assertThat(inC0.cluster(s.topology())).isZero();
        var p = plugin.permit(s, c, inC0);
        assertThat(p).isNotNull();
        assertThat(p.cluster(s.topology())).isEqualTo(1);
        assertThat(p.gpus()).isEqualTo(4);
        // a placement already outside the reserved cluster is let through as it is
        assertThat(plugin.permit(s, c, p)).isSameAs(p);
    }

    /** D (5 GPUs, 500 s) fits by count nowhere but c0, where it would delay H: it waits. */
    @Test
    void aJobThatFitsOnlyInTheReservedClusterWaits() {
        var s = f.state(10, new GpuCount(), new GangPlacement(), plugin);
        plugin.unschedulable(s, job(1).gpus(8).build());
        Job d = job(3).gpus(5).duration(500).build();
        assertThat(plugin.beforePlace(s, d)).isEqualTo(Status.WOULD_DELAY_RESERVATION);
        // E (4 GPUs) ends by 100: it may use c0
        Job e = job(4).gpus(4).duration(90).build();
        assertThat(plugin.beforePlace(s, e)).isEqualTo(Status.OK);
        var p = s.placer().place(e.spec(), s.fleet());
        assertThat(plugin.permit(s, e, p)).isSameAs(p);
    }

    /** Both clusters are full until 200, so either could hold an 8-GPU job then: a tie goes to the first. */
    @Test
    void ofTwoClustersWithTheSameShadowTheFirstIsReserved() {
        var g = new Fixture(Fleets.lab(2, 1, 1, 1, 8));
        g.h.runOn(job(100).gpus(8).build(), first(0, 8), 0, 200);
        g.h.runOn(job(101).gpus(8).build(), first(1, 8), 0, 200);
        var r = EasyBackfill.reserve(g.state(10, new GpuCount(), new GangPlacement(), plugin), job(1).gpus(8).build());
        assertThat(r.cluster).isZero();
        assertThat(r.shadow).isEqualTo(200);
        assertThat(r.extra).isZero();
    }

    /**
     * One host: R (2 GPUs) runs until 100, S (4 GPUs, 90 s) starts at 10 in this cycle and so also ends at
     * 100, 2 GPUs are free. H needs 6: at 100 both end, so 2 + 2 + 4 = 8 are free then, 2 more than H needs.
     */
    @Test
    void aJobStartedThisCycleAndARunningOneEndingTogetherBothCount() {
        var g = Fixture.hosts(1);
        g.h.runOn(job(100).gpus(2).build(), first(0, 2), 0, 100);
        var s = g.state(10, new GpuCount(), new GangPlacement(), plugin);
        Job started = job(5).gpus(4).duration(90).build();
        s.start(started, s.placer().place(started.spec(), s.fleet()));
        var r = EasyBackfill.reserve(s, job(1).gpus(6).build());
        assertThat(r.cluster).isZero();
        assertThat(r.shadow).isEqualTo(100);
        assertThat(r.extra).isEqualTo(2);
    }
}
