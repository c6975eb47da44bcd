package gpufleet.core.topology;

import gpufleet.core.testkit.FleetGen;
import gpufleet.core.testkit.Fleets;
import gpufleet.testkit.Property;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.stream.IntStream;

import static gpufleet.core.testkit.Fleets.cluster;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TopologyTest {

    @Test
    void labFleetHasTheShapeAsked() {
        Topology t = Fleets.labTopology(2, 3, 2, 4, 8);
        assertThat(t.clusterCount()).isEqualTo(2);
        assertThat(t.zoneCount()).isEqualTo(6);
        assertThat(t.rackCount()).isEqualTo(12);
        assertThat(t.hostCount()).isEqualTo(48);
        assertThat(t.totalGpus()).isEqualTo(384);
        assertThat(t.maxGpusPerHost()).isEqualTo(8);
        assertContiguous(t);
    }

    @Test
    void partialLastRackAndZone() {
        // 10 hosts, 4 a rack -> racks of 4, 4, 2; 2 racks a zone -> zones of 2 racks and 1 rack
        Topology t = Fleets.topology(Fleets.fleet(cluster("a").hosts(10).gpusPerHost(8).hostsPerRack(4).racksPerZone(2)));
        assertThat(t.rackCount()).isEqualTo(3);
        assertThat(t.zoneCount()).isEqualTo(2);
        assertThat(IntStream.range(0, 3).map(r -> t.endHostOfRack(r) - t.firstHostOfRack(r))).containsExactly(4, 4, 2);
        assertThat(IntStream.range(0, 2).map(z -> t.endRackOfZone(z) - t.firstRackOfZone(z))).containsExactly(2, 1);
        assertThat(t.rackOfHost(8)).isEqualTo(2);
        assertThat(t.zoneOfHost(9)).isEqualTo(1);
        assertThat(t.hostName(9)).isEqualTo("a-z1-r0-h1");
        assertContiguous(t);
    }

    @Test
    void hostNameIsClusterZoneRackHostWithIndicesLocalToTheParent() {
        Topology t = Fleets.topology(Fleets.fleet(cluster("east").hosts(12).hostsPerRack(3).racksPerZone(2)));
        assertThat(t.hostName(0)).isEqualTo("east-z0-r0-h0");
        assertThat(t.hostName(2)).isEqualTo("east-z0-r0-h2");
        assertThat(t.hostName(3)).isEqualTo("east-z0-r1-h0");
        assertThat(t.hostName(6)).isEqualTo("east-z1-r0-h0");
        assertThat(t.hostName(11)).isEqualTo("east-z1-r1-h2");
        assertThat(t.rackName(3)).isEqualTo("east-z1-r1");
    }

    @Test
    void multiClusterFleetContinuesIdsAcrossClusters() {
        Topology t = Fleets.topology(Fleets.fleet(
                cluster("a").hosts(5).gpusPerHost(8).hostsPerRack(2).racksPerZone(2),
                cluster("b").type(Fleets.A100).hosts(3).gpusPerHost(4).hostsPerRack(2).racksPerZone(2)));
        assertThat(t.hostCount()).isEqualTo(8);
        assertThat(t.rackCount()).isEqualTo(3 + 2);
        assertThat(t.zoneCount()).isEqualTo(2 + 1);
        assertThat(t.totalGpus()).isEqualTo(5 * 8 + 3 * 4);
        assertThat(t.firstHostOfCluster(1)).isEqualTo(5);
        assertThat(t.firstRackOfCluster(1)).isEqualTo(3);
        assertThat(t.firstZoneOfCluster(1)).isEqualTo(2);
        assertThat(t.clusterOfHost(5)).isEqualTo(1);
        assertThat(t.firstGpu(5)).isEqualTo(40);
        assertThat(t.firstGpu(7)).isEqualTo(48);
        assertThat(t.gpusOnHost(4)).isEqualTo(8);
        assertThat(t.gpusOnHost(5)).isEqualTo(4);
        assertThat(t.hostName(4)).isEqualTo("a-z1-r0-h0");
        assertThat(t.hostName(5)).isEqualTo("b-z0-r0-h0");
        assertThat(t.hostName(7)).isEqualTo("b-z0-r1-h0");
        assertThat(t.maxGpusPerHost()).isEqualTo(8);
        assertContiguous(t);
    }

    @Test
    void clusterNamesMustBeUnique() {
        assertThatThrownBy(() -> Fleets.fleet(cluster("a"), cluster("a")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'a' is used twice");
    }

    @Test
    void idsAreContiguousForAnyFleet() {
        Property.forAll("ids are contiguous for any fleet", 200, g -> FleetGen.fleet(g, 3),
                fleet -> assertContiguous(new Topology(fleet)));
    }

    /**
     * Children of one parent are one contiguous id range, the ranges tile their level in order,
     * GPU ids follow host ids, and each cluster has the racks and zones its spec implies, with only
     * the last rack and zone of a cluster partial.
     */
    static void assertContiguous(Topology t) {
        assertThat(t.firstHostOfRack(0)).isZero();
        assertThat(t.endHostOfRack(t.rackCount() - 1)).isEqualTo(t.hostCount());
        for (int r = 0; r < t.rackCount(); r++) {
            assertThat(t.endHostOfRack(r)).as("rack %d is not empty", r).isGreaterThan(t.firstHostOfRack(r));
            if (r > 0) assertThat(t.firstHostOfRack(r)).isEqualTo(t.endHostOfRack(r - 1));
            for (int h = t.firstHostOfRack(r); h < t.endHostOfRack(r); h++) assertThat(t.rackOfHost(h)).isEqualTo(r);
        }
        assertThat(t.firstRackOfZone(0)).isZero();
        assertThat(t.endRackOfZone(t.zoneCount() - 1)).isEqualTo(t.rackCount());
        for (int z = 0; z < t.zoneCount(); z++) {
            assertThat(t.endRackOfZone(z)).isGreaterThan(t.firstRackOfZone(z));
            if (z > 0) assertThat(t.firstRackOfZone(z)).isEqualTo(t.endRackOfZone(z - 1));
            for (int r = t.firstRackOfZone(z); r < t.endRackOfZone(z); r++) assertThat(t.zoneOfRack(r)).isEqualTo(z);
        }
        int gpu = 0;
        var names = new HashSet<String>();
        for (int c = 0; c < t.clusterCount(); c++) {
            ClusterSpec cs = t.cluster(c);
            assertThat(t.endZoneOfCluster(c) - t.firstZoneOfCluster(c)).isEqualTo(cs.zones());
            assertThat(t.endRackOfCluster(c) - t.firstRackOfCluster(c)).isEqualTo(cs.racks());
            assertThat(t.endHostOfCluster(c) - t.firstHostOfCluster(c)).isEqualTo(cs.hosts());
            if (c > 0) {
                assertThat(t.firstZoneOfCluster(c)).isEqualTo(t.endZoneOfCluster(c - 1));
                assertThat(t.firstRackOfCluster(c)).isEqualTo(t.endRackOfCluster(c - 1));
                assertThat(t.firstHostOfCluster(c)).isEqualTo(t.endHostOfCluster(c - 1));
            }
            assertThat(t.firstRackOfZone(t.firstZoneOfCluster(c))).isEqualTo(t.firstRackOfCluster(c));
            assertThat(t.firstHostOfRack(t.firstRackOfCluster(c))).isEqualTo(t.firstHostOfCluster(c));
            for (int z = t.firstZoneOfCluster(c); z < t.endZoneOfCluster(c); z++) {
                assertThat(t.clusterOfZone(z)).isEqualTo(c);
                int racks = t.endRackOfZone(z) - t.firstRackOfZone(z);
                if (z < t.endZoneOfCluster(c) - 1) assertThat(racks).isEqualTo(cs.racksPerZone());
                else assertThat(racks).isBetween(1, cs.racksPerZone());
            }
            for (int r = t.firstRackOfCluster(c); r < t.endRackOfCluster(c); r++) {
                assertThat(t.clusterOfRack(r)).isEqualTo(c);
                int hosts = t.endHostOfRack(r) - t.firstHostOfRack(r);
                if (r < t.endRackOfCluster(c) - 1) assertThat(hosts).isEqualTo(cs.hostsPerRack());
                else assertThat(hosts).isBetween(1, cs.hostsPerRack());
            }
            for (int h = t.firstHostOfCluster(c); h < t.endHostOfCluster(c); h++) {
                assertThat(t.clusterOfHost(h)).isEqualTo(c);
                assertThat(t.zoneOfHost(h)).isEqualTo(t.zoneOfRack(t.rackOfHost(h)));
                assertThat(t.gpusOnHost(h)).isEqualTo(cs.gpusPerHost());
                assertThat(t.firstGpu(h)).isEqualTo(gpu);
                gpu += cs.gpusPerHost();
                int r = t.rackOfHost(h), z = t.zoneOfRack(r);
                String name = cs.name() + "-z" + (z - t.firstZoneOfCluster(c)) + "-r" + (r - t.firstRackOfZone(z))
                        + "-h" + (h - t.firstHostOfRack(r));
                assertThat(t.hostName(h)).isEqualTo(name);
                assertThat(names.add(name)).as("host name %s is unique", name).isTrue();
            }
        }
        assertThat(gpu).isEqualTo(t.totalGpus());
    }
}
