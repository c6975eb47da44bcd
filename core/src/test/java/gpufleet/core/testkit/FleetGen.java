package gpufleet.core.testkit;

import gpufleet.testkit.Gen;

import gpufleet.core.topology.ClusterSpec;
import gpufleet.core.topology.FleetSpec;

import java.util.ArrayList;

/** Random small fleets for property tests: one to three clusters of odd shapes, partial racks and zones included. */
public final class FleetGen {
    private FleetGen() {}

    /** One cluster of the given type: 1-12 hosts of 1, 2, 3, 4 or 8 GPUs, 1-4 hosts a rack, 1-3 racks a zone. */
    public static ClusterSpec cluster(Gen g, String type) {
        int hosts = g.intBetween(1, 12);
        int gpus = g.oneOf(1, 2, 3, 4, 8);
        int perRack = g.intBetween(1, 4);
        int perZone = g.intBetween(1, 3);
        return Fleets.cluster("x").type(type).hosts(hosts).gpusPerHost(gpus)
                .hostsPerRack(perRack).racksPerZone(perZone).build();
    }

    /** One to {@code maxClusters} clusters, H100 or A100, named c0, c1, ... */
    public static FleetSpec fleet(Gen g, int maxClusters) {
        var cs = g.listOf(1, maxClusters, () -> cluster(g, g.oneOf(Fleets.H100, Fleets.A100)));
        var named = new ArrayList<ClusterSpec>();
        for (int i = 0; i < cs.size(); i++) {
            ClusterSpec c = cs.get(i);
            named.add(new ClusterSpec("c" + i, null, c.gpuType(), c.hosts(), c.gpusPerHost(), c.hostsPerRack(),
                    c.racksPerZone(), c.nicGbpsPerGpu(), c.spineOversubscription(), 0, c.gpuHourUsd(),
                    c.wattsPerGpu()));
        }
        return Fleets.fleet(named);
    }
}
