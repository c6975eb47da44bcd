package gpufleet.sim.preset;

import gpufleet.core.topology.ClusterSpec;
import gpufleet.core.topology.FleetSpec;

/**
 * One line of {@code gpufleet fleets list}: a fleet preset and its totals.
 *
 * @param name             preset name
 * @param description      one line
 * @param gpus             GPUs in all clusters
 * @param hosts            hosts in all clusters (spares included)
 * @param racks            racks in all clusters
 * @param zones            non-blocking network zones in all clusters
 * @param clusters         clusters
 * @param h100Equivalents  throughput in H100 SXM units ({@link FleetSpec#h100Equivalents()})
 */
public record PresetInfo(String name, String description, long gpus, int hosts, int racks, int zones, int clusters,
                         double h100Equivalents) {

    public static PresetInfo of(String name, FleetSpec fleet) {
        int racks = 0, zones = 0;
        for (ClusterSpec c : fleet.clusters()) {
            racks += c.racks();
            zones += c.zones();
        }
        return new PresetInfo(name, fleet.description(), fleet.gpus(), fleet.hosts(), racks, zones,
                fleet.clusters().size(), fleet.h100Equivalents());
    }
}
