package gpufleet.core.lifecycle;

import gpufleet.core.state.FleetState;
import gpufleet.core.state.HostStatus;
import gpufleet.core.state.Placement;
import gpufleet.core.testkit.Fleets;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link GangRepair#plan} on hand-built fleets: which host replaces a failed one and which GPUs of it
 * the gang takes. The broken gang's placement is already released, as the lifecycle releases it
 * before repairing; other jobs' allocations stand for busy hosts. Unless told otherwise the fleet is
 * one cluster of 4 racks of 2 hosts of 8 GPUs, so host h sits in rack h / 2.
 */
class GangRepairPlanTest {
    private static final long ALL = 0xFF;

    private static FleetState fleet() {
        return new FleetState(Fleets.labTopology(1, 1, 4, 2, 8));
    }

    private static Placement on(int[] hosts, long... masks) {
        return new Placement(hosts, masks);
    }

    private static void busy(FleetState st, int job, int... hosts) {
        for (int h : hosts) st.allocate(job, on(new int[] {h}, ALL));
    }

    @Test
    void aHealthyGangNeedsNoRepair() {
        Placement p = on(new int[] {0, 1}, ALL, ALL);
        GangRepair r = GangRepair.plan(fleet(), p);
        assertThat(r.placement()).isEqualTo(p);
        assertThat(r.replaced()).isZero();
        assertThat(r.taken()).isEmpty();
    }

    @Test
    void hostZeroInTheFailedHostsRackReplacesIt() {
        FleetState st = fleet();
        st.setStatus(1, HostStatus.DOWN);
        GangRepair r = GangRepair.plan(st, on(new int[] {1, 2}, ALL, ALL));
        assertThat(r.placement().hosts()).containsExactly(0, 2);
        assertThat(r.replaced()).isEqualTo(1);
        assertThat(r.spares()).isZero();
    }

    @Test
    void theNearestRackWinsOverALowerHostNumber() {
        FleetState st = fleet();
        st.setStatus(6, HostStatus.DOWN);
        GangRepair r = GangRepair.plan(st, on(new int[] {5, 6}, ALL, ALL));
        assertThat(r.placement().hosts()).as("host 7 shares host 6's rack; host 0 is three racks away")
                .containsExactly(5, 7);
    }

    @Test
    void aReplacementGivesTheLowestFreeGpusAndTheFirstHostAmongEquallyNearOnes() {
        FleetState st = fleet();
        st.setStatus(3, HostStatus.DOWN);
        // a gang of two half hosts; host 2 keeps its half, host 3 (rack 1) fails
        GangRepair r = GangRepair.plan(st, on(new int[] {2, 3}, 0xF0, 0xF0));
        assertThat(r.placement().hosts()).as("hosts 0, 1, 4, 5 are all one rack away: the first")
                .containsExactly(0, 2);
        assertThat(r.placement().masks()).containsExactly(0x0F, 0xF0);
    }

    @Test
    void aGpuTakenByAnotherJobOrBrokenCountsAsFailed() {
        FleetState st = fleet();
        st.allocate(9, on(new int[] {1}, 0x01));
        GangRepair r = GangRepair.plan(st, on(new int[] {0, 1}, 0x0F, 0x0F));
        assertThat(r.replaced()).isEqualTo(1);
        assertThat(r.placement().hosts()).containsExactly(0, 2);

        FleetState broken = fleet();
        broken.setGpuHealthy(0, 3, false);
        assertThat(GangRepair.plan(broken, on(new int[] {0, 1}, 0x0F, 0x0F)).placement().hosts())
                .containsExactly(1, 2);
    }

    @Test
    void aHealthySpareBeatsANearerFreeHostAndIsTakenWhole() {
        FleetState st = fleet();
        busy(st, 9, 2, 3, 4, 5);
        st.setStatus(7, HostStatus.SPARE);
        st.setStatus(1, HostStatus.DOWN);
        GangRepair r = GangRepair.plan(st, on(new int[] {0, 1}, ALL, ALL));
        assertThat(r.placement().hosts()).containsExactly(0, 7);
        assertThat(r.placement().masks()).containsExactly(ALL, ALL);
        assertThat(r.spares()).isEqualTo(1);
        assertThat(r.taken()).containsExactly(7);
    }

    @Test
    void aSpareWithABrokenGpuCannotTakeAWholeHostsPlace() {
        FleetState st = fleet();
        busy(st, 9, 2, 3, 4, 5);
        st.setStatus(7, HostStatus.SPARE);
        st.setGpuHealthy(7, 3, false);
        st.setStatus(1, HostStatus.DOWN);
        GangRepair r = GangRepair.plan(st, on(new int[] {0, 1}, ALL, ALL));
        assertThat(r.placement().hosts()).as("the free host 6, not the spare").containsExactly(0, 6);
        assertThat(r.spares()).isZero();
        assertThat(r.taken()).isEmpty();
    }

    @Test
    void withNoHostToSpareTheGangCannotBeMended() {
        FleetState st = fleet();
        busy(st, 9, 0, 2, 3, 4, 5, 6, 7);
        st.setStatus(1, HostStatus.DOWN);
        assertThat(GangRepair.plan(st, on(new int[] {1}, ALL))).isNull();
    }

    @Test
    void inTheSecondClusterTheGangsOwnHostsAreNotReplacementsAndOnlyThatClustersHostsAre() {
        // two clusters of 2 racks of 2 hosts: cluster 1 holds hosts 4-7, racks 2 and 3
        FleetState st = new FleetState(Fleets.labTopology(2, 1, 2, 2, 8));
        st.setStatus(5, HostStatus.DOWN);
        GangRepair r = GangRepair.plan(st, on(new int[] {4, 5}, ALL, ALL));
        assertThat(r.placement().hosts()).as("host 4 is the gang's; host 6 is the nearest other").containsExactly(4, 6);

        busy(st, 9, 6, 7);
        assertThat(GangRepair.plan(st, on(new int[] {4, 5}, ALL, ALL)))
                .as("cluster 0's free hosts do not count").isNull();
    }
}
