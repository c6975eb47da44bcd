package gpufleet.core.topology;

import java.util.List;

/**
 * A fleet compiled into flat arrays: hosts, racks and zones are dense integer ids, children of one
 * parent are contiguous, so the scheduler walks ranges instead of object graphs. Immutable.
 *
 * <p>Ids: host {@code h} lives in rack {@code rackOfHost(h)}, zone {@code zoneOfRack(r)}, cluster
 * {@code clusterOfZone(z)}. GPU {@code g} of host {@code h} has the global id {@code firstGpu(h) + g}.
 */
public final class Topology {
    private final FleetSpec spec;
    private final List<ClusterSpec> clusters;
    private final int[] hostRack;
    private final int[] hostFirstGpu;
    private final int[] rackFirstHost; // length racks + 1
    private final int[] rackZone;
    private final int[] zoneFirstRack; // length zones + 1
    private final int[] zoneCluster;
    private final int[] clusterFirstZone; // length clusters + 1
    private final int[] clusterFirstHost; // length clusters + 1
    private final int[] clusterFirstRack; // length clusters + 1
    private final int totalGpus;
    private final int maxGpusPerHost;

    public Topology(FleetSpec spec) {
        this.spec = spec;
        this.clusters = spec.clusters();
        int nc = clusters.size();
        int hosts = 0, racks = 0, zones = 0, gpus = 0, maxG = 0;
        for (ClusterSpec c : clusters) {
            hosts += c.hosts();
            racks += c.racks();
            zones += c.zones();
            gpus += c.gpus();
            maxG = Math.max(maxG, c.gpusPerHost());
        }
        hostRack = new int[hosts];
        hostFirstGpu = new int[hosts];
        rackFirstHost = new int[racks + 1];
        rackZone = new int[racks];
        zoneFirstRack = new int[zones + 1];
        zoneCluster = new int[zones];
        clusterFirstZone = new int[nc + 1];
        clusterFirstHost = new int[nc + 1];
        clusterFirstRack = new int[nc + 1];
        int h = 0, r = 0, z = 0, g = 0;
        for (int ci = 0; ci < nc; ci++) {
            ClusterSpec c = clusters.get(ci);
            clusterFirstZone[ci] = z;
            clusterFirstHost[ci] = h;
            clusterFirstRack[ci] = r;
            int clusterHostEnd = h + c.hosts();
            for (int zi = 0; zi < c.zones(); zi++, z++) {
                zoneCluster[z] = ci;
                zoneFirstRack[z] = r;
                for (int ri = 0; ri < c.racksPerZone() && h < clusterHostEnd; ri++, r++) {
                    rackZone[r] = z;
                    rackFirstHost[r] = h;
                    for (int hi = 0; hi < c.hostsPerRack() && h < clusterHostEnd; hi++, h++) {
                        hostRack[h] = r;
                        hostFirstGpu[h] = g;
                        g += c.gpusPerHost();
                    }
                }
            }
        }
        rackFirstHost[racks] = hosts;
        zoneFirstRack[zones] = racks;
        clusterFirstZone[nc] = zones;
        clusterFirstHost[nc] = hosts;
        clusterFirstRack[nc] = racks;
        totalGpus = gpus;
        maxGpusPerHost = maxG;
    }

    public FleetSpec spec() { return spec; }
    public List<ClusterSpec> clusters() { return clusters; }
    public ClusterSpec cluster(int c) { return clusters.get(c); }
    public int clusterCount() { return clusters.size(); }
    public int hostCount() { return hostRack.length; }
    public int rackCount() { return rackZone.length; }
    public int zoneCount() { return zoneCluster.length; }
    public int totalGpus() { return totalGpus; }
    public int maxGpusPerHost() { return maxGpusPerHost; }

    public int rackOfHost(int h) { return hostRack[h]; }
    public int zoneOfRack(int r) { return rackZone[r]; }
    public int zoneOfHost(int h) { return rackZone[hostRack[h]]; }
    public int clusterOfZone(int z) { return zoneCluster[z]; }
    public int clusterOfRack(int r) { return zoneCluster[rackZone[r]]; }
    public int clusterOfHost(int h) { return zoneCluster[rackZone[hostRack[h]]]; }
    public int firstGpu(int h) { return hostFirstGpu[h]; }
    public int gpusOnHost(int h) { return clusters.get(clusterOfHost(h)).gpusPerHost(); }

    public int firstHostOfRack(int r) { return rackFirstHost[r]; }
    public int endHostOfRack(int r) { return rackFirstHost[r + 1]; }
    public int firstRackOfZone(int z) { return zoneFirstRack[z]; }
    public int endRackOfZone(int z) { return zoneFirstRack[z + 1]; }
    public int firstZoneOfCluster(int c) { return clusterFirstZone[c]; }
    public int endZoneOfCluster(int c) { return clusterFirstZone[c + 1]; }
    public int firstHostOfCluster(int c) { return clusterFirstHost[c]; }
    public int endHostOfCluster(int c) { return clusterFirstHost[c + 1]; }
    public int firstRackOfCluster(int c) { return clusterFirstRack[c]; }
    public int endRackOfCluster(int c) { return clusterFirstRack[c + 1]; }

    /** A stable, readable host name: {@code <cluster>-z<zone>-r<rack>-h<host>} with indices local to the parent. */
    public String hostName(int h) {
        int r = hostRack[h], z = rackZone[r], c = zoneCluster[z];
        return clusters.get(c).name() + "-z" + (z - clusterFirstZone[c]) + "-r" + (r - zoneFirstRack[z])
                + "-h" + (h - rackFirstHost[r]);
    }

    public String rackName(int r) {
        int z = rackZone[r], c = zoneCluster[z];
        return clusters.get(c).name() + "-z" + (z - clusterFirstZone[c]) + "-r" + (r - zoneFirstRack[z]);
    }
}
