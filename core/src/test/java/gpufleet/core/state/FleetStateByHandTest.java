package gpufleet.core.state;

import gpufleet.core.testkit.Fleets;
import gpufleet.core.testkit.Placements;
import gpufleet.core.topology.Topology;
import org.junit.jupiter.api.Test;

import static gpufleet.core.testkit.Placements.first;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The counts and capacities the placer and the dashboards read, worked out by hand on small fleets,
 * and {@link Placement}'s own arithmetic.
 */
class FleetStateByHandTest {
    // 1 cluster, 2 zones x 2 racks x 2 hosts x 8 GPUs: hosts 0-3 in zone 0 (racks 0, 1), 4-7 in zone 1
    private final Topology topo = Fleets.labTopology(1, 2, 2, 2, 8);
    private final FleetState st = new FleetState(topo);

    /**
     * Broken: every GPU of a down host, the bad ones elsewhere. Spare: the good GPUs of a spare host.
     * Host 0 down with GPU 1 bad: 8 broken. Host 1 up with GPUs 2 and 3 bad: 2 broken. Host 2 spare with
     * GPU 0 bad: 1 broken, 7 spare.
     */
    @Test
    void brokenAndSpareGpusAreCountedPerHostState() {
        st.setGpuHealthy(0, 1, false);
        st.setStatus(0, HostStatus.DOWN);
        st.setGpuHealthy(1, 2, false);
        st.setGpuHealthy(1, 3, false);
        st.setStatus(2, HostStatus.SPARE);
        st.setGpuHealthy(2, 0, false);
        assertThat(st.brokenGpus()).isEqualTo(8 + 2 + 1);
        assertThat(st.spareGpus()).isEqualTo(7);
        // back up: only the bad GPUs stay broken, nothing is spare
        st.setStatus(0, HostStatus.UP);
        st.setStatus(2, HostStatus.UP);
        assertThat(st.brokenGpus()).isEqualTo(1 + 2 + 1);
        assertThat(st.spareGpus()).isZero();
        st.setGpuHealthy(0, 1, true);
        assertThat(st.brokenGpus()).isEqualTo(3);
    }

    /**
     * Capacity in groups of u: per host floor(usable / u) * u, summed. Host usable counts after the
     * allocations below: 5, 8, 2, 8 in zone 0 (racks {5, 8} and {2, 8}) and 8, 8, 8, 3 in zone 1.
     */
    @Test
    void capacitiesCountWholeGroupsPerHostInEveryScope() {
        st.allocate(1, first(0, 3));
        st.allocate(2, first(2, 6));
        st.allocate(3, first(7, 5));
        int[] usable = {5, 8, 2, 8, 8, 8, 8, 3};
        for (int u = 1; u <= 8; u++) {
            int[] host = new int[8];
            for (int h = 0; h < 8; h++) host[h] = usable[h] - usable[h] % u;
            int zone0 = host[0] + host[1] + host[2] + host[3], zone1 = host[4] + host[5] + host[6] + host[7];
            assertThat(st.rackCapacity(0, u)).as("rack 0, unit %d", u).isEqualTo(host[0] + host[1]);
            assertThat(st.rackCapacity(3, u)).as("rack 3, unit %d", u).isEqualTo(host[6] + host[7]);
            assertThat(st.zoneCapacity(0, u)).as("zone 0, unit %d", u).isEqualTo(zone0);
            assertThat(st.zoneCapacity(1, u)).as("zone 1, unit %d", u).isEqualTo(zone1);
            assertThat(st.clusterCapacity(0, u)).as("cluster, unit %d", u).isEqualTo(zone0 + zone1);
        }
        // spelled out for two units: groups of 4 fit 4 + 8 + 0 + 8 and 8 + 8 + 8 + 0; groups of 3 fit 3 + 6 + 0 + 6
        assertThat(st.zoneCapacity(0, 4)).isEqualTo(20);
        assertThat(st.zoneCapacity(1, 4)).isEqualTo(24);
        assertThat(st.zoneCapacity(0, 3)).isEqualTo(15);
        assertThat(st.zoneCapacity(1, 1)).isEqualTo(27);
    }

    /** Host 70 of 80 is found by the bit-set scan in its second word; a start past the last word finds nothing. */
    @Test
    void theNextHostWithAGivenCountIsFoundPastTheFirst64() {
        Topology big = Fleets.labTopology(1, 1, 2, 40, 8); // 80 hosts
        FleetState s = new FleetState(big);
        s.allocate(1, first(70, 3));
        s.allocate(2, first(10, 3));
        assertThat(s.nextHostWithUsable(5, 0)).isEqualTo(10);
        assertThat(s.nextHostWithUsable(5, 11)).isEqualTo(70);
        assertThat(s.nextHostWithUsable(5, 71)).isEqualTo(-1);
        assertThat(s.nextHostWithUsable(8, 64)).isEqualTo(64);
        assertThat(s.nextHostWithUsable(8, 128)).isEqualTo(-1);
        assertThat(s.nextHostWithUsable(9, 0)).isEqualTo(-1);
        assertThat(s.nextHostWithUsable(8, -1)).isEqualTo(-1);
        assertThat(st.nextHostWithUsable(8, 64)).as("8 hosts: one word").isEqualTo(-1);
    }

    /** Each job once, in the order of its first GPU; job 0 is a job like any other; the next host's GPUs are not read. */
    @Test
    void jobsOnAHostAreListedOnceInGpuOrder() {
        st.allocate(7, Placements.of().on(0, 0b0011).build());
        st.allocate(0, Placements.of().on(0, 0b0100).build());
        st.allocate(8, Placements.of().on(0, 0b1000).build());
        st.allocate(7, Placements.of().on(0, 0b1_0000).build());
        st.allocate(5, Placements.of().on(1, 0b1).build());
        assertThat(st.jobsOn(0)).containsExactly(7, 0, 8);
        assertThat(st.jobsOn(2)).isEmpty();
        st.allocate(9, Placements.of().on(3, 0b1).build());
        assertThat(st.jobsOn(2)).as("host 3's first GPU is not host 2's").isEmpty();
    }

    @Test
    void canReclaimSaysWhetherAnotherJobHoldsAGpu() {
        st.allocate(1, first(0, 4));
        st.release(1, first(0, 4));
        assertThat(st.canReclaim(1, first(0, 4))).isTrue();
        st.allocate(2, Placements.of().on(0, 0b1000).build());
        assertThat(st.canReclaim(1, first(0, 4))).isFalse();
        assertThat(st.canReclaim(2, first(0, 4))).as("its own GPU, and free ones").isTrue();
        assertThat(st.canReclaim(1, first(0, 3))).isTrue();
        // a GPU the host does not have is left to reclaim to refuse
        assertThat(st.canReclaim(1, Placements.of().on(1, 1L << 9).build())).isTrue();
        assertThatThrownBy(() -> st.reclaim(1, Placements.of().on(1, (1L << 9) | 1).build()))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("job 1: host c0-z0-r0-h1 has no GPUs 1000000000");
    }

    /** The refusal names the GPUs that are not usable, and only those: GPU 3 of the two asked for (3 and 4). */
    @Test
    void aRefusedAllocationNamesTheGpusInTheWay() {
        st.allocate(1, Placements.of().on(0, 0b1000).build());
        assertThatThrownBy(() -> st.allocate(2, Placements.of().on(0, 0b1_1000).build()))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("job 2: GPUs 1000 of host c0-z0-r0-h0 are not usable (held, unhealthy or host not up)");
    }

    /** Hosts 0, 2 (rack 0, 1 of zone 0) and 5 (rack 2, zone 1). */
    @Test
    void aPlacementCountsItsGpusHostsRacksAndZones() {
        Placement p = Placements.of().on(0, 0b111).on(2, 0xff).on(5, 0b1).build();
        assertThat(p.gpus()).isEqualTo(3 + 8 + 1);
        assertThat(p.hostCount()).isEqualTo(3);
        assertThat(p.rackCount(topo)).isEqualTo(3);
        assertThat(p.zoneCount(topo)).isEqualTo(2);
        assertThat(p.cluster(topo)).isZero();
        assertThat(p.usesHost(0)).isTrue();
        assertThat(p.usesHost(2)).isTrue();
        assertThat(p.usesHost(1)).isFalse();
        assertThat(p.usesHost(6)).isFalse();
        assertThat(p).hasToString("Placement[3 hosts, 12 GPUs]");
        assertThat(first(1, 8).rackCount(topo)).isEqualTo(1);
        assertThat(Placements.of().on(0, 1).on(1, 1).build().rackCount(topo)).isEqualTo(1);
        assertThat(Placements.of().on(4, 1).on(6, 1).build().zoneCount(topo)).isEqualTo(1);

        Topology two = Fleets.labTopology(2, 1, 1, 1, 8);
        assertThat(first(1, 1).cluster(two)).isEqualTo(1);
    }

    @Test
    void placementsAreEqualByContent() {
        Placement a = Placements.of().on(0, 0b11).on(3, 0b1).build();
        Placement same = new Placement(new int[] {0, 3}, new long[] {0b11, 0b1});
        assertThat(a).isEqualTo(same).hasSameHashCodeAs(same);
        assertThat(a).isNotEqualTo(new Placement(new int[] {0, 3}, new long[] {0b11, 0b10}));
        assertThat(a).isNotEqualTo(new Placement(new int[] {0, 4}, new long[] {0b11, 0b1}));
        assertThat(a).isNotEqualTo("a placement");
        // not required by equals, but a constant hash would turn every map keyed by placements into a list
        assertThat(a.hashCode()).isNotEqualTo(new Placement(new int[] {0, 3}, new long[] {0b11, 0b10}).hashCode())
                .isNotEqualTo(new Placement(new int[] {0, 4}, new long[] {0b11, 0b1}).hashCode());
        assertThatThrownBy(() -> new Placement(new int[] {2, 2}, new long[] {1, 2}))
                .hasMessage("placement hosts must be ascending and distinct");
        assertThatThrownBy(() -> new Placement(new int[] {2}, new long[] {1, 2}))
                .hasMessage("hosts and masks differ in length");
    }
}
