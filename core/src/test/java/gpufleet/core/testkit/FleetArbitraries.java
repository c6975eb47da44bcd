package gpufleet.core.testkit;

import gpufleet.core.topology.ClusterSpec;
import gpufleet.core.topology.FleetSpec;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;

import java.util.ArrayList;

/** Random small fleets for property tests: one to three clusters of odd shapes, partial racks and zones included. */
public final class FleetArbitraries {
    private FleetArbitraries() {}

    /** One cluster of the given type: 1-12 hosts of 1, 2, 3, 4 or 8 GPUs, 1-4 hosts a rack, 1-3 racks a zone. */
    public static Arbitrary<ClusterSpec> clusters(String type) {
        return Combinators.combine(
                Arbitraries.integers().between(1, 12),
                Arbitraries.of(1, 2, 3, 4, 8),
                Arbitraries.integers().between(1, 4),
                Arbitraries.integers().between(1, 3)
        ).as((hosts, gpus, perRack, perZone) -> Fleets.cluster("x").type(type).hosts(hosts).gpusPerHost(gpus)
                .hostsPerRack(perRack).racksPerZone(perZone).build());
    }

    /** One to {@code maxClusters} clusters, H100 or A100, named c0, c1, ... */
    public static Arbitrary<FleetSpec> fleets(int maxClusters) {
        Arbitrary<ClusterSpec> any = Arbitraries.of(Fleets.H100, Fleets.A100).flatMap(FleetArbitraries::clusters);
        return any.list().ofMinSize(1).ofMaxSize(maxClusters).map(cs -> {
            var named = new ArrayList<ClusterSpec>();
            for (int i = 0; i < cs.size(); i++) {
                ClusterSpec c = cs.get(i);
                named.add(new ClusterSpec("c" + i, null, c.gpuType(), c.hosts(), c.gpusPerHost(), c.hostsPerRack(),
                        c.racksPerZone(), c.nicGbpsPerGpu(), c.spineOversubscription(), 0, c.gpuHourUsd(),
                        c.wattsPerGpu()));
            }
            return Fleets.fleet(named);
        });
    }
}
