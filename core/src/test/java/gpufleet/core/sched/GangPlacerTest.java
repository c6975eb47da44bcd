package gpufleet.core.sched;

import gpufleet.core.job.JobSpec;
import gpufleet.core.state.FleetState;
import gpufleet.core.state.HostStatus;
import gpufleet.core.state.Placement;
import gpufleet.core.testkit.Fleets;
import gpufleet.core.testkit.Invariants;
import gpufleet.core.testkit.Jobs;
import gpufleet.core.topology.Topology;
import org.junit.jupiter.api.Test;

import static gpufleet.core.testkit.Fleets.cluster;
import static gpufleet.core.testkit.Invariants.assertTpGroupsWithinHosts;
import static gpufleet.core.testkit.Placements.first;
import static org.assertj.core.api.Assertions.assertThat;

class GangPlacerTest {

    private static JobSpec gang(int gpus, int tp) {
        return Jobs.job(1).gpus(gpus).tp(tp).spec();
    }

    /** Fills hosts with a filler job (id 1000 + host) so the fixtures can carve out free space. */
    private static void hold(FleetState st, int h, int gpus) {
        st.allocate(1000 + h, first(h, gpus));
    }

    @Test
    void aTensorParallelGroupNeverStraddlesHosts() {
        Topology t = Fleets.topology(Fleets.fleet(cluster("a").hosts(2).gpusPerHost(8)));
        FleetState st = new FleetState(t);
        hold(st, 0, 2);
        hold(st, 1, 2); // 6 + 6 usable, but only 4 + 4 in groups of 4
        Placement p = new GangPlacer(t).place(gang(8, 4), st);
        assertThat(p.gpus()).isEqualTo(8);
        assertThat(p.hosts()).containsExactly(0, 1);
        assertTpGroupsWithinHosts(p, 4);
        assertThat(new GangPlacer(t).place(gang(12, 4), st)).as("12 GPUs are free, 3 groups of 4 are not").isNull();
        assertThat(new GangPlacer(t).place(gang(12, 2), st)).isNotNull();
    }

    @Test
    void aGangIsAllOrNothing() {
        Topology t = Fleets.labTopology(1, 1, 2, 2, 8);
        FleetState st = new FleetState(t);
        hold(st, 0, 8);
        var placer = new GangPlacer(t);
        assertThat(placer.place(gang(32, 1), st)).isNull();
        Placement p = placer.place(gang(24, 1), st);
        assertThat(p.gpus()).isEqualTo(24);
        assertThat(p.hosts()).containsExactly(1, 2, 3);
    }

    @Test
    void placingDoesNotChangeTheState() {
        Topology t = Fleets.labTopology(1, 2, 2, 2, 8);
        FleetState st = new FleetState(t);
        hold(st, 3, 5);
        var before = Invariants.fingerprint(st);
        assertThat(new GangPlacer(t).place(gang(40, 4), st)).isNotNull();
        assertThat(Invariants.fingerprint(st)).isEqualTo(before);
    }

    @Test
    void aSmallJobGoesToTheTightestHostNotAnEmptyOne() {
        Topology t = Fleets.topology(Fleets.fleet(cluster("a").hosts(3).gpusPerHost(8)));
        FleetState st = new FleetState(t);
        hold(st, 1, 2); // 6 free
        hold(st, 2, 4); // 4 free
        Placement p = new GangPlacer(t).place(gang(4, 4), st);
        assertThat(p.hosts()).containsExactly(2);
        assertThat(p.masks()).containsExactly(0xf0L);
        assertThat(new GangPlacer(t).place(gang(5, 1), st).hosts()).containsExactly(1);
        assertThat(new GangPlacer(t).place(gang(7, 1), st).hosts()).containsExactly(0);
    }

    @Test
    void aGangThatFitsInOneRackLandsInOneRackTheFullestThatFits() {
        // 1 zone of 3 racks of 2 hosts x 8 GPUs; rack 0 empty (16), rack 1 has 12 free, rack 2 has 8 free
        Topology t = Fleets.labTopology(1, 1, 3, 2, 8);
        FleetState st = new FleetState(t);
        hold(st, 2, 4);
        hold(st, 4, 8);
        Placement p = new GangPlacer(t).place(gang(12, 4), st);
        assertThat(p.rackCount(t)).isEqualTo(1);
        assertThat(t.rackOfHost(p.hosts()[0])).isEqualTo(1);
        Placement q = new GangPlacer(t).place(gang(16, 8), st);
        assertThat(q.rackCount(t)).isEqualTo(1);
        assertThat(t.rackOfHost(q.hosts()[0])).isEqualTo(0);
    }

    @Test
    void aGangThatFitsInAZoneButNoRackUsesTheFewestRacks() {
        // 2 zones x 4 racks x 2 hosts x 8 GPUs (racks of 16). Zone 0: every rack half full (8 free each, 32 in
        // all); zone 1: three empty racks and a full one (48 free). 24 GPUs fit in no rack; zone 0 is the
        // tighter zone but needs 3 racks, zone 1 needs 2.
        Topology t = Fleets.labTopology(1, 2, 4, 2, 8);
        FleetState st = new FleetState(t);
        for (int h = 0; h < 8; h += 2) hold(st, h, 8);
        hold(st, 14, 8);
        hold(st, 15, 8);
        Placement p = new GangPlacer(t).place(gang(24, 8), st);
        assertThat(p.zoneCount(t)).isEqualTo(1);
        assertThat(p.rackCount(t)).isEqualTo(2);
        assertThat(t.zoneOfHost(p.hosts()[0])).isEqualTo(1);
    }

    @Test
    void aGangTooBigForAZoneSpreadsOverTheFewestZones() {
        // 3 zones x 1 rack x 2 hosts x 8; zone 0 has 8 free, zones 1 and 2 have 16
        Topology t = Fleets.labTopology(1, 3, 1, 2, 8);
        FleetState st = new FleetState(t);
        hold(st, 0, 8);
        Placement p = new GangPlacer(t).place(gang(32, 8), st);
        assertThat(p.zoneCount(t)).isEqualTo(2);
        assertThat(p.hosts()).containsExactly(2, 3, 4, 5);
    }

    @Test
    void neverPlacesOnHostsThatAreNotUpOrOnUnhealthyGpus() {
        Topology t = Fleets.topology(Fleets.fleet(cluster("a").hosts(5).gpusPerHost(8)));
        FleetState st = new FleetState(t);
        st.setStatus(0, HostStatus.DOWN);
        st.setStatus(1, HostStatus.DRAINING);
        st.setStatus(2, HostStatus.SPARE);
        st.setGpuHealthy(3, 0, false);
        var placer = new GangPlacer(t);
        assertThat(placer.place(gang(16, 1), st)).as("only 15 usable GPUs").isNull();
        assertThat(placer.place(gang(16, 8), st)).isNull();
        Placement p = placer.place(gang(15, 1), st);
        assertThat(p.hosts()).containsExactly(3, 4);
        assertThat(p.masks()).containsExactly(0xfeL, 0xffL);
        assertThat(placer.place(gang(8, 8), st).hosts()).containsExactly(4);
    }

    @Test
    void aGangNeverSpansClusters() {
        Topology t = Fleets.topology(Fleets.fleet(cluster("a").hosts(2), cluster("b").hosts(2)));
        FleetState st = new FleetState(t);
        hold(st, 0, 8);
        hold(st, 2, 8);
        var placer = new GangPlacer(t);
        assertThat(placer.place(gang(16, 1), st)).as("16 GPUs are free, but 8 in each cluster").isNull();
        assertThat(placer.place(gang(8, 1), st).hosts()).containsExactly(1);
        assertThat(placer.place(gang(8, 1), st, 1).hosts()).containsExactly(3);
    }

    @Test
    void theClusterWhereTheGangLandsNarrowestWins() {
        // cluster a: 4 racks of 1 host (a 16-GPU gang needs 2 racks); cluster b: 1 rack of 2 hosts
        Topology t = Fleets.topology(Fleets.fleet(cluster("a").hosts(4).hostsPerRack(1).racksPerZone(4),
                cluster("b").hosts(2)));
        FleetState st = new FleetState(t);
        Placement p = new GangPlacer(t).place(gang(16, 8), st);
        assertThat(p.cluster(t)).isEqualTo(1);
        assertThat(p.hosts()).containsExactly(4, 5);
    }

    @Test
    void gpuTypeIsRespected() {
        Topology t = Fleets.topology(Fleets.fleet(cluster("h").hosts(2), cluster("a").type(Fleets.A100).hosts(4)));
        FleetState st = new FleetState(t);
        var placer = new GangPlacer(t);
        JobSpec onA100 = Jobs.job(1).gpus(8).tp(8).gpuType("a100-sxm-80gb").spec();
        assertThat(placer.place(onA100, st).cluster(t)).isEqualTo(1);
        assertThat(placer.eligible(onA100, 0)).isFalse();
        JobSpec bigH100 = Jobs.job(2).gpus(24).gpuType(Fleets.H100).spec();
        assertThat(placer.eligible(bigH100, 0)).as("the H100 cluster has 16 GPUs").isFalse();
        assertThat(placer.place(bigH100, st)).isNull();
        JobSpec b200 = Jobs.job(3).gpus(1).gpuType("B200").spec();
        assertThat(placer.place(b200, st)).isNull();
    }

    @Test
    void eligibilityCountsWholeTpGroupsPerHostAndLeavesSparesOut() {
        Topology t = Fleets.topology(Fleets.fleet(cluster("a").hosts(4).gpusPerHost(8).spares(1)));
        var placer = new GangPlacer(t);
        assertThat(placer.eligible(gang(24, 8), 0)).isTrue();
        assertThat(placer.eligible(gang(32, 8), 0)).as("one of four hosts is a spare").isFalse();
        assertThat(placer.eligible(gang(18, 3), 0)).as("6 GPUs a host in groups of 3").isTrue();
        assertThat(placer.eligible(gang(21, 3), 0)).isFalse();
        assertThat(placer.eligible(gang(16, 16), 0)).as("TP wider than a host").isFalse();
    }

    @Test
    void coverUsesTheFewestItemsAndClosesWithTheTightest() {
        int[] ids = {0, 1, 2, 3};
        assertThat(GangPlacer.cover(ids, new int[] {5, 3, 9, 4}, 4, 12)).containsExactly(0, 3, 9, 0);
        assertThat(GangPlacer.cover(ids, new int[] {5, 3, 9, 4}, 4, 4)).containsExactly(0, 0, 0, 4);
        assertThat(GangPlacer.cover(ids, new int[] {5, 3, 9, 4}, 4, 21)).containsExactly(5, 3, 9, 4);
        assertThat(GangPlacer.cover(ids, new int[] {8, 8, 0, 8}, 4, 8)).as("ties go to the lower index")
                .containsExactly(8, 0, 0, 0);
    }

    @Test
    void placementsListHostsAscending() {
        Topology t = Fleets.labTopology(1, 2, 2, 2, 8);
        FleetState st = new FleetState(t);
        for (int h = 0; h < 8; h++) hold(st, h, h % 2 == 0 ? 8 : 4);
        Placement p = new GangPlacer(t).place(gang(16, 4), st);
        assertThat(p.hosts()).isSorted();
        assertThat(p).isEqualTo(new GangPlacer(t).place(gang(16, 4), st));
    }
}
