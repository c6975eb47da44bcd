package gpufleet.core.testkit;

import gpufleet.core.topology.ClusterSpec;
import gpufleet.core.topology.FleetSpec;
import gpufleet.core.topology.Topology;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Fleet fixtures. {@link #lab} builds regular fleets in one line; {@link #cluster} is a fluent
 * builder for the odd shapes (partial racks, spares, mixed GPU types).
 *
 * <pre>
 *   Topology t = Fleets.topology(Fleets.lab(1, 2, 2, 4, 8));          // 1 cluster, 2 zones x 2 racks x 4 hosts x 8 GPUs
 *   FleetSpec f = Fleets.fleet(Fleets.cluster("a").hosts(10).hostsPerRack(4).racksPerZone(2),
 *                              Fleets.cluster("b").type(Fleets.A100).hosts(3).gpusPerHost(4));
 * </pre>
 */
public final class Fleets {
    public static final String H100 = "H100-SXM";
    public static final String A100 = "A100-SXM-80GB";

    private Fleets() {}

    /**
     * {@code clusters} identical full clusters named c0, c1, ...: each {@code zones} zones of
     * {@code racksPerZone} racks of {@code hostsPerRack} hosts of {@code gpusPerHost} GPUs.
     */
    public static FleetSpec lab(int clusters, int zones, int racksPerZone, int hostsPerRack, int gpusPerHost) {
        var cs = new ArrayList<ClusterBuilder>();
        for (int c = 0; c < clusters; c++)
            cs.add(cluster("c" + c).hosts(zones * racksPerZone * hostsPerRack).gpusPerHost(gpusPerHost)
                    .hostsPerRack(hostsPerRack).racksPerZone(racksPerZone));
        return fleet(cs.toArray(ClusterBuilder[]::new));
    }

    /** The topology of {@link #lab}. */
    public static Topology labTopology(int clusters, int zones, int racksPerZone, int hostsPerRack, int gpusPerHost) {
        return topology(lab(clusters, zones, racksPerZone, hostsPerRack, gpusPerHost));
    }

    public static Topology topology(FleetSpec spec) {
        return new Topology(spec);
    }

    public static FleetSpec fleet(ClusterBuilder... clusters) {
        return new FleetSpec("lab", "test fleet", Arrays.stream(clusters).map(ClusterBuilder::build).toList());
    }

    public static FleetSpec fleet(List<ClusterSpec> clusters) {
        return new FleetSpec("lab", "test fleet", clusters);
    }

    /** A one-rack, one-zone cluster of one 8-GPU H100 host until told otherwise. */
    public static ClusterBuilder cluster(String name) {
        return new ClusterBuilder(name);
    }

    public static final class ClusterBuilder {
        private final String name;
        private String datacenter;
        private String type = H100;
        private int hosts = 1, gpusPerHost = 8, hostsPerRack = -1, racksPerZone = 1, spares;

        private ClusterBuilder(String name) {
            this.name = name;
        }

        public ClusterBuilder hosts(int n) { hosts = n; return this; }
        public ClusterBuilder gpusPerHost(int n) { gpusPerHost = n; return this; }
        public ClusterBuilder hostsPerRack(int n) { hostsPerRack = n; return this; }
        public ClusterBuilder racksPerZone(int n) { racksPerZone = n; return this; }
        public ClusterBuilder type(String gpuType) { type = gpuType; return this; }
        public ClusterBuilder spares(int n) { spares = n; return this; }
        public ClusterBuilder datacenter(String dc) { datacenter = dc; return this; }

        public ClusterSpec build() {
            int perRack = hostsPerRack > 0 ? hostsPerRack : hosts; // unset: one rack holds every host
            return new ClusterSpec(name, datacenter, type, hosts, gpusPerHost, perRack, racksPerZone, 400, 1, spares,
                    2.0, 1000);
        }
    }
}
