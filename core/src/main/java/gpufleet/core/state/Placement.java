package gpufleet.core.state;

import gpufleet.core.topology.Topology;

import java.util.Arrays;

/**
 * Where a gang runs: for each host it uses, the mask of that host's GPUs it holds.
 * Hosts are listed in ascending id order; ranks are laid out host by host in that order.
 */
public record Placement(int[] hosts, long[] masks) {
    public Placement {
        if (hosts.length != masks.length) throw new IllegalArgumentException("hosts and masks differ in length");
        for (int i = 1; i < hosts.length; i++)
            if (hosts[i] <= hosts[i - 1]) throw new IllegalArgumentException("placement hosts must be ascending and distinct");
    }

    public int gpus() {
        int n = 0;
        for (long m : masks) n += Long.bitCount(m);
        return n;
    }

    public int hostCount() {
        return hosts.length;
    }

    public int rackCount(Topology t) {
        return distinct(t, 0);
    }

    public int zoneCount(Topology t) {
        return distinct(t, 1);
    }

    public int cluster(Topology t) {
        return t.clusterOfHost(hosts[0]);
    }

    public boolean usesHost(int h) {
        return Arrays.binarySearch(hosts, h) >= 0;
    }

    private int distinct(Topology t, int level) {
        // hosts ascend, and ids are contiguous per rack and zone, so distinct parents are runs
        int n = 0, last = -1;
        for (int h : hosts) {
            int p = level == 0 ? t.rackOfHost(h) : t.zoneOfHost(h);
            if (p != last) { n++; last = p; }
        }
        return n;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Placement p && Arrays.equals(hosts, p.hosts) && Arrays.equals(masks, p.masks);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(hosts) + Arrays.hashCode(masks);
    }

    @Override
    public String toString() {
        return "Placement[" + hosts.length + " hosts, " + gpus() + " GPUs]";
    }
}
