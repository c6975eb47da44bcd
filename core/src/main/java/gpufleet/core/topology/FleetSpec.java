package gpufleet.core.topology;

import java.util.HashSet;
import java.util.List;

/** A fleet: one or more clusters, possibly in several datacenters. */
public record FleetSpec(String name, String description, List<ClusterSpec> clusters) {
    public FleetSpec {
        if (name == null || name.isBlank()) throw new IllegalArgumentException("a fleet needs a name");
        if (description == null) description = "";
        if (clusters == null || clusters.isEmpty())
            throw new IllegalArgumentException("fleet '" + name + "' has no clusters");
        clusters = List.copyOf(clusters);
        var names = new HashSet<String>();
        long hosts = 0;
        for (ClusterSpec c : clusters) {
            if (!names.add(c.name()))
                throw new IllegalArgumentException("fleet '" + name + "': cluster name '" + c.name() + "' is used twice");
            hosts += c.hosts();
        }
        if (hosts > 2_000_000)
            throw new IllegalArgumentException("fleet '" + name + "': " + hosts + " hosts is more than the 2,000,000 gpufleet models");
    }

    public long gpus() {
        return clusters.stream().mapToLong(ClusterSpec::gpus).sum();
    }

    public int hosts() {
        return clusters.stream().mapToInt(ClusterSpec::hosts).sum();
    }

    public double h100Equivalents() {
        return clusters.stream().mapToDouble(c -> c.gpus() * c.type().h100Equivalents()).sum();
    }
}
