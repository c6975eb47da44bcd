package gpufleet.core.lifecycle;

import gpufleet.core.state.FleetState;
import gpufleet.core.state.HostStatus;
import gpufleet.core.state.Placement;
import gpufleet.core.topology.Topology;

import java.util.Arrays;

/**
 * Restarting only what failed: a gang that lost some hosts keeps the healthy ones and takes, for
 * each failed host, a hot spare or a free host of the same cluster, the nearest rack first. Spares
 * come before free hosts because they are already booted and checked.
 *
 * @param placement the gang's new placement
 * @param replaced  hosts that joined it
 * @param spares    of which hot spares
 * @param taken     the spare hosts taken (to be brought up before the placement is allocated)
 */
public record GangRepair(Placement placement, int replaced, int spares, int[] taken) {

    /**
     * The repair of {@code old} on the fleet as it is now, or null when the cluster lacks hosts for
     * the failed ones (the job is then placed afresh). Changes nothing.
     */
    public static GangRepair plan(FleetState st, Placement old) {
        Topology t = st.topology();
        int n = old.hostCount();
        int[] hosts = old.hosts().clone();
        long[] masks = old.masks().clone();
        boolean[] failed = new boolean[n];
        int nFailed = 0;
        for (int i = 0; i < n; i++) {
            int h = hosts[i];
            long m = masks[i];
            if (st.status(h) != HostStatus.UP || (m & st.unhealthyMask(h)) != 0 || (m & st.allocatedMask(h)) != 0) {
                failed[i] = true;
                nFailed++;
            }
        }
        if (nFailed == 0) return new GangRepair(old, 0, 0, new int[0]);
        int c = old.cluster(t);
        int first = t.firstHostOfCluster(c), end = t.endHostOfCluster(c);
        boolean[] chosen = new boolean[end - first];
        for (int h : hosts) if (h >= first && h < end) chosen[h - first] = true;
        int[] taken = new int[nFailed];
        int spares = 0;
        for (int i = 0; i < n; i++) {
            if (!failed[i]) continue;
            int need = Long.bitCount(masks[i]);
            int rack = t.rackOfHost(hosts[i]);
            int best = -1;
            long bestMask = 0;
            boolean bestSpare = false;
            int bestDist = Integer.MAX_VALUE;
            for (int h = first; h < end; h++) {
                if (chosen[h - first]) continue;
                boolean spare = st.status(h) == HostStatus.SPARE;
                long free = spare ? full(t, h) & ~st.unhealthyMask(h) & ~st.allocatedMask(h) : st.usableMask(h);
                if (Long.bitCount(free) < need) continue;
                int dist = Math.abs(t.rackOfHost(h) - rack);
                // a spare anywhere beats a free host; then the nearest rack
                if (best < 0 || (spare && !bestSpare) || (spare == bestSpare && dist < bestDist)) {
                    best = h;
                    bestMask = lowest(free, need);
                    bestSpare = spare;
                    bestDist = dist;
                }
            }
            if (best < 0) return null;
            chosen[best - first] = true;
            if (bestSpare) taken[spares++] = best;
            hosts[i] = best;
            masks[i] = bestMask;
        }
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> Integer.compare(hosts[a], hosts[b]));
        int[] h2 = new int[n];
        long[] m2 = new long[n];
        for (int i = 0; i < n; i++) {
            h2[i] = hosts[order[i]];
            m2[i] = masks[order[i]];
        }
        return new GangRepair(new Placement(h2, m2), nFailed, spares, Arrays.copyOf(taken, spares));
    }

    private static long full(Topology t, int h) {
        int g = t.gpusOnHost(h);
        return g == 64 ? -1L : (1L << g) - 1;
    }

    private static long lowest(long m, int k) {
        long out = 0;
        for (int i = 0; i < k; i++) {
            long b = m & -m;
            out |= b;
            m &= m - 1;
        }
        return out;
    }
}
