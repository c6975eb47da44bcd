package gpufleet.core.state;

import gpufleet.core.testkit.Fleets;
import gpufleet.core.testkit.Invariants;
import gpufleet.core.testkit.Placements;
import gpufleet.core.topology.Topology;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static gpufleet.core.testkit.Invariants.assertAggregatesMatchBruteForce;
import static gpufleet.core.testkit.Placements.first;
import static gpufleet.core.testkit.Placements.whole;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class FleetStateTest {
    // 1 cluster, 2 zones x 2 racks x 2 hosts x 8 GPUs = 8 hosts, 64 GPUs
    private final Topology topo = Fleets.labTopology(1, 2, 2, 2, 8);
    private final FleetState st = new FleetState(topo);

    @Test
    void aFreshFleetIsAllUsable() {
        for (int h = 0; h < topo.hostCount(); h++) {
            assertThat(st.status(h)).isEqualTo(HostStatus.UP);
            assertThat(st.usable(h)).isEqualTo(8);
            assertThat(st.usableMask(h)).isEqualTo(0xffL);
        }
        assertThat(st.clusterUsable(0)).isEqualTo(64);
        assertThat(st.allocatedGpus()).isZero();
        assertThat(st.gpuCounts()).containsExactly(0, 64, 0, 0, 0);
        assertAggregatesMatchBruteForce(st);
    }

    @Test
    void allocateGivesGpusToTheJob() {
        st.allocate(7, Placements.of().on(0, 0b1111).on(3, 0xf0).build());
        assertThat(st.ownerOf(0, 0)).isEqualTo(7);
        assertThat(st.ownerOf(0, 4)).isEqualTo(FleetState.NONE);
        assertThat(st.ownerOf(3, 7)).isEqualTo(7);
        assertThat(st.allocatedMask(3)).isEqualTo(0xf0L);
        assertThat(st.usable(0)).isEqualTo(4);
        assertThat(st.allocatedGpus()).isEqualTo(8);
        assertThat(st.jobsOn(0)).containsExactly(7);
        assertAggregatesMatchBruteForce(st);
    }

    @Test
    void allocateRefusesAGpuHeldByAnotherJobAndChangesNothing() {
        st.allocate(1, first(0, 4));
        String before = Invariants.fingerprint(st);
        assertThatThrownBy(() -> st.allocate(2, Placements.of().on(0, 0b1_1000).build()))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("job 2").hasMessageContaining("not usable");
        assertThat(Invariants.fingerprint(st)).isEqualTo(before);
        assertThat(st.ownerOf(0, 3)).isEqualTo(1);
        assertThat(st.ownerOf(0, 4)).isEqualTo(FleetState.NONE);
    }

    @Test
    void allocateRefusesAnUnhealthyGpu() {
        st.setGpuHealthy(2, 5, false);
        assertRefusedWithoutChange(Placements.of().on(2, 0b10_0000).build());
    }

    @Test
    void allocateRefusesHostsThatAreNotUp() {
        for (HostStatus s : new HostStatus[] {HostStatus.DOWN, HostStatus.DRAINING, HostStatus.SPARE}) {
            st.setStatus(1, s);
            assertRefusedWithoutChange(first(1, 1));
            st.setStatus(1, HostStatus.UP);
        }
    }

    @Test
    void allocateRefusesGpusTheHostDoesNotHaveAndEmptyMasks() {
        assertRefusedWithoutChange(Placements.of().on(0, 1L << 8).build());
        assertRefusedWithoutChange(new Placement(new int[] {0}, new long[] {0}));
    }

    @Test
    void aRefusedMultiHostPlacementTakesNothingFromItsGoodHosts() {
        st.setGpuHealthy(5, 0, false);
        assertRefusedWithoutChange(whole(topo, 0, 1, 4, 5));
        assertThat(st.usable(0)).isEqualTo(8);
    }

    @Test
    void negativeJobIdIsRefused() {
        assertThatThrownBy(() -> st.allocate(-1, first(0, 1))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void releaseFreesOnlyTheJobsOwnGpus() {
        st.allocate(1, Placements.of().on(0, 0x0f).build());
        st.allocate(2, Placements.of().on(0, 0xf0).on(1, 0xff).build());
        st.release(1, whole(topo, 0, 1));
        assertThat(st.allocatedMask(0)).isEqualTo(0xf0L);
        assertThat(st.allocatedMask(1)).isEqualTo(0xffL);
        assertThat(st.ownerOf(0, 4)).isEqualTo(2);
        assertThat(st.allocatedGpus()).isEqualTo(12);
        st.release(3, whole(topo, 0, 1));
        assertThat(st.allocatedGpus()).as("a job holding nothing frees nothing").isEqualTo(12);
        assertAggregatesMatchBruteForce(st);
    }

    @Test
    void reclaimUndoesAReleaseEvenWhereTheGpusAreNoLongerUsable() {
        st.allocate(1, whole(topo, 0, 1));
        st.setStatus(0, HostStatus.DRAINING);
        st.setGpuHealthy(1, 3, false);
        String held = Invariants.fingerprint(st);
        st.release(1, whole(topo, 0, 1));
        assertThat(st.allocatedGpus()).isZero();
        st.reclaim(1, whole(topo, 0, 1));
        assertThat(Invariants.fingerprint(st)).isEqualTo(held);
        assertAggregatesMatchBruteForce(st);
    }

    @Test
    void reclaimRefusesGpusHeldByAnotherJobAndChangesNothing() {
        st.allocate(1, first(0, 4));
        st.release(1, first(0, 4));
        st.allocate(2, first(0, 1));
        String before = Invariants.fingerprint(st);
        assertThatThrownBy(() -> st.reclaim(1, first(0, 4))).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("held by job 2");
        assertThatThrownBy(() -> st.reclaim(1, Placements.of().on(0, 1L << 8).build()))
                .isInstanceOf(IllegalStateException.class);
        assertThat(Invariants.fingerprint(st)).isEqualTo(before);
    }

    @Test
    void aHostThatGoesDownKeepsItsAllocationsUntilReleased() {
        st.allocate(1, whole(topo, 2));
        st.setStatus(2, HostStatus.DOWN);
        assertThat(st.usable(2)).isZero();
        assertThat(st.allocatedMask(2)).isEqualTo(0xffL);
        assertThat(st.jobsOn(2)).containsExactly(1);
        st.release(1, whole(topo, 2));
        assertThat(st.allocatedGpus()).isZero();
        assertThat(st.usable(2)).isZero();
        st.setStatus(2, HostStatus.UP);
        assertThat(st.usable(2)).isEqualTo(8);
        assertAggregatesMatchBruteForce(st);
    }

    @Test
    void gpuCountsSplitTheFleetByState() {
        st.allocate(1, first(0, 3));
        st.setGpuHealthy(0, 7, false);
        st.setStatus(1, HostStatus.DOWN);
        st.setStatus(2, HostStatus.SPARE);
        st.allocate(2, first(3, 2));
        st.setStatus(3, HostStatus.DRAINING);
        st.setGpuHealthy(3, 7, false);
        // allocated 3 + 2; usable 4 on host 0 + 4 hosts x 8; broken 1 + 8 + 1; spare 8; draining free 5
        assertThat(st.gpuCounts()).containsExactly(5, 36, 10, 8, 5);
        assertThat(Arrays.stream(st.gpuCounts()).sum()).isEqualTo(topo.totalGpus());
        assertThat(st.healthyGpus(0)).isEqualTo(64 - 8 - 8 - 2);
        assertAggregatesMatchBruteForce(st);
    }

    @Test
    void capacityCountsOnlyWholeTensorParallelGroupsPerHost() {
        // rack 0 = hosts 0 and 1; leave 6 and 3 usable
        st.allocate(1, first(0, 2));
        st.allocate(2, first(1, 5));
        assertThat(st.rackCapacity(0, 1)).isEqualTo(9);
        assertThat(st.rackCapacity(0, 2)).isEqualTo(6 + 2);
        assertThat(st.rackCapacity(0, 4)).isEqualTo(4);
        assertThat(st.rackCapacity(0, 8)).isZero();
        assertThat(st.rackHostsWithUsable(0, 6)).isEqualTo(1);
        assertThat(st.rackHostsWithUsable(0, 3)).isEqualTo(1);
        assertThat(st.nextHostWithUsable(3, 0)).isEqualTo(1);
        assertThat(st.nextHostWithUsable(8, 0)).isEqualTo(2);
        assertThat(st.nextHostWithUsable(9, 0)).as("more than a host has").isEqualTo(-1);
        assertAggregatesMatchBruteForce(st);
    }

    @Test
    void sixtyFourGpuHostsUseTheWholeMask() {
        Topology big = Fleets.topology(Fleets.fleet(Fleets.cluster("big").hosts(2).gpusPerHost(64)));
        FleetState s = new FleetState(big);
        assertThat(s.usableMask(0)).isEqualTo(-1L);
        s.allocate(1, whole(big, 0));
        s.setGpuHealthy(1, 63, false);
        assertThat(s.usable(0)).isZero();
        assertThat(s.usable(1)).isEqualTo(63);
        assertThat(s.allocatedGpus()).isEqualTo(64);
        assertAggregatesMatchBruteForce(s);
    }

    private void assertRefusedWithoutChange(Placement p) {
        String before = Invariants.fingerprint(st);
        assertThatThrownBy(() -> st.allocate(9, p)).isInstanceOf(IllegalStateException.class);
        assertThat(Invariants.fingerprint(st)).isEqualTo(before);
        assertAggregatesMatchBruteForce(st);
    }
}
