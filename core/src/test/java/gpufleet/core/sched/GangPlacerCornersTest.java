package gpufleet.core.sched;

import gpufleet.core.state.FleetState;
import gpufleet.core.state.Placement;
import gpufleet.core.testkit.Fleets;
import gpufleet.core.testkit.Jobs;
import gpufleet.core.topology.Topology;
import org.junit.jupiter.api.Test;

import static gpufleet.core.testkit.Placements.first;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The placer at its edges: ties (the lower index wins), capacities exactly equal to the gang, and the
 * fewest-items cover. Hosts have 8 GPUs; fillers (job 1000 + host) carve out the free space.
 */
class GangPlacerCornersTest {

    private static Placement place(Topology t, FleetState st, int gpus) {
        return new GangPlacer(t).place(Jobs.job(1).gpus(gpus).spec(), st);
    }

    private static void hold(FleetState st, int h, int gpus) {
        st.allocate(1000 + h, first(h, gpus));
    }

    /** Two empty racks of two hosts: 16 GPUs fit either; the first is taken. */
    @Test
    void ofTwoEqualRacksTheFirstIsTaken() {
        Topology t = Fleets.labTopology(1, 1, 2, 2, 8);
        assertThat(place(t, new FleetState(t), 16).hosts()).containsExactly(0, 1);
    }

    /** Two empty zones of two racks of one host: 16 GPUs need two racks in either; the first zone is taken. */
    @Test
    void ofTwoEqualZonesTheFirstIsTaken() {
        Topology t = Fleets.labTopology(1, 2, 2, 1, 8);
        assertThat(place(t, new FleetState(t), 16).hosts()).containsExactly(0, 1);
    }

    /**
     * Two zones of two racks of two hosts. Zone 0 has exactly 16 free (racks of 8 and 8: hosts 1 and 3);
     * zone 1 has 20 (racks of 12 and 8). No rack holds 16; both zones need two racks, and zone 0 is the
     * tighter: the gang takes hosts 1 and 3.
     */
    @Test
    void aZoneWhoseCapacityEqualsTheGangHoldsIt() {
        Topology t = Fleets.labTopology(1, 2, 2, 2, 8);
        FleetState st = new FleetState(t);
        hold(st, 0, 8);
        hold(st, 2, 8);
        hold(st, 4, 4);
        hold(st, 6, 8);
        assertThat(place(t, st, 16).hosts()).containsExactly(1, 3);
    }

    /** Two zones of one host: 16 GPUs span both; the cluster's capacity is exactly the gang. */
    @Test
    void aClusterWhoseCapacityEqualsTheGangHoldsItAcrossZones() {
        Topology t = Fleets.labTopology(1, 2, 1, 1, 8);
        Placement p = place(t, new FleetState(t), 16);
        assertThat(p).isNotNull();
        assertThat(p.hosts()).containsExactly(0, 1);
        assertThat(p.zoneCount(t)).isEqualTo(2);
    }

    /**
     * A gang of exactly one host's GPUs is placed as a one-host gang: on the first host with 8 free
     * (host 0), not by way of the tightest rack (rack 1, where host 3 is full, has only host 2).
     */
    @Test
    void aWholeHostGangTakesTheFirstFullyFreeHost() {
        Topology t = Fleets.labTopology(1, 1, 2, 2, 8);
        FleetState st = new FleetState(t);
        hold(st, 3, 8);
        assertThat(place(t, st, 8).hosts()).containsExactly(0);
    }

    /**
     * Zone 0 has three racks with 8 free each (any two hold 16, exactly); zone 1 has racks with 12, 12
     * and 0 free (two hold 24). Both need two racks and have 24 free: the first zone is taken.
     * Racks: 2 hosts each, so 8 free is one host held and 12 is a host with 4 held.
     */
    @Test
    void racksNeededCountsARackThatCompletesTheGangExactly() {
        Topology t = Fleets.labTopology(1, 2, 3, 2, 8);
        FleetState st = new FleetState(t);
        for (int h : new int[] {0, 2, 4}) hold(st, h, 8); // zone 0: racks of 8, 8, 8
        hold(st, 6, 4);
        hold(st, 8, 4);
        hold(st, 10, 8);
        hold(st, 11, 8); // zone 1: racks of 12, 12, 0
        Placement p = place(t, st, 16);
        assertThat(p.zoneCount(t)).isEqualTo(1);
        assertThat(t.zoneOfHost(p.hosts()[0])).isZero();
        assertThat(p.rackCount(t)).isEqualTo(2);
    }

    /** The fewest items: the largest while none covers the rest (ties to the lower index), then the tightest. */
    @Test
    void coverTakesTheLargestFirstAndTiesGoToTheLowerIndex() {
        int[] ids = {10, 11, 12};
        assertThat(GangPlacer.cover(ids, new int[] {8, 8}, 2, 12)).containsExactly(8, 4);
        assertThat(GangPlacer.cover(ids, new int[] {8, 4}, 2, 10)).containsExactly(8, 2);
        assertThat(GangPlacer.cover(ids, new int[] {4, 8, 6}, 3, 12)).containsExactly(4, 8, 0);
        assertThat(GangPlacer.cover(ids, new int[] {4, 0, 6}, 3, 5)).containsExactly(0, 0, 5);
    }

    /**
     * Two clusters of three one-host zones. c0 has 24 free; in c1 host 3 is full, so 16 GPUs fit only
     * across its two other zones, exactly. Both place the gang at cluster scope; the tighter, c1, wins
     * although it comes second.
     */
    @Test
    void ofTwoClustersTheOneTheGangFillsExactlyIsTighter() {
        Topology t = Fleets.labTopology(2, 3, 1, 1, 8);
        FleetState st = new FleetState(t);
        hold(st, 3, 8);
        assertThat(place(t, st, 16).hosts()).containsExactly(4, 5);
    }

    /**
     * Zone 0 has racks with 12, 12 and 0 free (two racks hold 16); zone 1 racks with 6, 6 and 6 (it needs
     * all three, though it is the tighter zone). The zone needing fewer racks, zone 0, is taken: hosts
     * 0 and 1 (12 in rack 0) and host 2 (4 more in rack 1).
     */
    @Test
    void theZoneNeedingFewerRacksWinsOverATighterOne() {
        Topology t = Fleets.labTopology(1, 2, 3, 2, 8);
        FleetState st = new FleetState(t);
        hold(st, 0, 4);
        hold(st, 2, 4);
        hold(st, 4, 8);
        hold(st, 5, 8);
        for (int h = 6; h < 12; h += 2) {
            hold(st, h, 8);
            st.allocate(2000 + h, gpufleet.core.testkit.Placements.of().on(h + 1, 0b11).build());
        }
        Placement p = place(t, st, 16);
        assertThat(p.hosts()).containsExactly(0, 1, 2);
        assertThat(p.rackCount(t)).isEqualTo(2);
    }
}
