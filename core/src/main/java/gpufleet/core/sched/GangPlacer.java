package gpufleet.core.sched;

import gpufleet.core.job.Job;
import gpufleet.core.job.JobSpec;
import gpufleet.core.state.FleetState;
import gpufleet.core.state.Placement;
import gpufleet.core.topology.ClusterSpec;
import gpufleet.core.topology.Topology;

import java.util.Arrays;

/**
 * Topology-aware gang placement, all or nothing.
 *
 * <p>A job of {@code G} GPUs whose tensor-parallel group is {@code u} GPUs may take from a host only
 * whole groups ({@code floor(usable / u) * u} GPUs), so no TP group straddles hosts. Within a
 * cluster the placer tries, in order, the narrowest scope that can hold the whole gang: one host,
 * one rack, one zone, then several zones. At each scope it takes the tightest item that fits (the
 * smallest sufficient capacity), keeping large empty blocks for large gangs; among zones it first
 * takes the one where the gang needs the fewest racks, then the tightest. When the gang must
 * spread over several items it takes the largest items first and closes with the tightest item
 * that covers the rest; that uses the fewest racks (and zones) possible for the gang.
 *
 * <p>Across clusters (a gang never spans clusters) it picks the cluster where the gang lands in the
 * narrowest scope, then the tightest fit, then the lowest cluster id. Deterministic; does not change
 * the state it reads. Cost is O(racks in eligible clusters), independent of the number of GPUs.
 */
public final class GangPlacer {

    /** Scope a placement lands in; lower is better. */
    public static final int HOST = 0, RACK = 1, ZONE = 2, CLUSTER = 3, NONE = 4;

    /** {@link #scope} packs the scope above this bit and the tightness below it. */
    private static final int SCOPE_SHIFT = 56;

    private final Topology topo;
    private int[] scratchCap = new int[0];
    private int[] scratchIdx = new int[0];

    public GangPlacer(Topology topo) {
        this.topo = topo;
    }

    /** Whether cluster {@code c} could ever run the job (type, size, TP group), ignoring what is in use. */
    public boolean eligible(JobSpec spec, int c) {
        ClusterSpec cs = topo.cluster(c);
        if (spec.gpuType() != null && !cs.gpuType().equalsIgnoreCase(spec.gpuType())) return false;
        if (spec.cluster() != null && !cs.name().equals(spec.cluster())) return false;
        return holds(cs, spec.unit(), spec.gpus());
    }

    /**
     * As {@link #eligible(JobSpec, int)}, from the job's own copies of its size and group when it names no
     * type or cluster: asked of every queued job every cycle, it then reads nothing but the job.
     */
    public boolean eligible(Job job, int c) {
        return job.anyCluster() ? holds(topo.cluster(c), job.unit(), job.gpus()) : eligible(job.spec(), c);
    }

    private static boolean holds(ClusterSpec cs, int unit, int gpus) {
        if (unit > cs.gpusPerHost()) return false;
        int perHost = cs.gpusPerHost() - cs.gpusPerHost() % unit;
        return (long) perHost * (cs.hosts() - cs.spareHosts()) >= gpus;
    }

    /**
     * Whether {@link #place(JobSpec, FleetState, int)} finds a placement in cluster {@code c}: exactly when
     * the cluster may run the job and has its GPUs free in whole groups, as a placement may span racks
     * and zones. Costs no walk over the racks.
     */
    public boolean fits(JobSpec spec, FleetState st, int c) {
        return eligible(spec, c) && st.clusterCapacity(c, spec.unit()) >= spec.gpus();
    }

    /** The best placement for the job now, or null if it fits nowhere. */
    public Placement place(JobSpec spec, FleetState st) {
        return place(spec, st, -1);
    }

    /** As {@link #place(JobSpec, FleetState)}, restricted to cluster {@code only} when it is >= 0. */
    public Placement place(JobSpec spec, FleetState st, int only) {
        int bestC = -1, bestScope = NONE;
        long bestTight = Long.MAX_VALUE;
        for (int c = 0; c < topo.clusterCount(); c++) {
            if (only >= 0 && c != only) continue;
            if (!eligible(spec, c) || st.clusterCapacity(c, spec.unit()) < spec.gpus()) continue;
            long scoreTight = scope(spec, st, c);
            int sc = (int) (scoreTight >>> SCOPE_SHIFT);
            long tight = scoreTight & ((1L << SCOPE_SHIFT) - 1);
            if (sc < bestScope || (sc == bestScope && tight < bestTight)) {
                bestC = c;
                bestScope = sc;
                bestTight = tight;
            }
        }
        return bestC < 0 ? null : placeIn(spec, st, bestC);
    }

    /** (scope << SCOPE_SHIFT) | tightness of the best fit in cluster c; scope NONE when the gang does not fit. */
    long scope(JobSpec spec, FleetState st, int c) {
        int g = spec.gpus(), u = spec.unit();
        if (g <= topo.cluster(c).gpusPerHost()) {
            for (int k = g; k < st.histogramWidth(); k++)
                if (st.clusterHostsWithUsable(c, k) > 0) return ((long) HOST << SCOPE_SHIFT) | k;
        }
        int bestRack = Integer.MAX_VALUE;
        for (int r = topo.firstRackOfCluster(c); r < topo.endRackOfCluster(c); r++) {
            int cap = st.rackCapacity(r, u);
            if (cap >= g && cap < bestRack) bestRack = cap;
        }
        if (bestRack != Integer.MAX_VALUE) return ((long) RACK << SCOPE_SHIFT) | bestRack;
        long bestZone = Long.MAX_VALUE;
        for (int z = topo.firstZoneOfCluster(c); z < topo.endZoneOfCluster(c); z++) {
            int cap = st.zoneCapacity(z, u);
            if (cap >= g) bestZone = Math.min(bestZone, zoneKey(st, z, g, u, cap));
        }
        if (bestZone != Long.MAX_VALUE) return ((long) ZONE << SCOPE_SHIFT) | bestZone;
        int cap = st.clusterCapacity(c, u);
        return cap >= g ? ((long) CLUSTER << SCOPE_SHIFT) | cap : ((long) NONE << SCOPE_SHIFT);
    }

    /**
     * How well zone z (capacity {@code cap} >= g) suits the gang, lower is better: the fewest racks it
     * needs there, then the tightest capacity. Capacities are below 2^27 (2M hosts x 64 GPUs).
     */
    private long zoneKey(FleetState st, int z, int g, int u, int cap) {
        return ((long) racksNeeded(st, z, g, u) << 28) | cap;
    }

    /** The fewest racks of zone z that hold g GPUs in groups of u: the largest racks first. */
    private int racksNeeded(FleetState st, int z, int g, int u) {
        int rFirst = topo.firstRackOfZone(z), n = topo.endRackOfZone(z) - rFirst;
        int[] caps = new int[n];
        for (int i = 0; i < n; i++) caps[i] = st.rackCapacity(rFirst + i, u);
        Arrays.sort(caps);
        int sum = 0, k = 0;
        for (int i = n - 1; i >= 0 && sum < g; i--, k++) sum += caps[i];
        return k;
    }

    private Placement placeIn(JobSpec spec, FleetState st, int c) {
        int g = spec.gpus(), u = spec.unit();
        Builder b = new Builder(g);
        if (g <= topo.cluster(c).gpusPerHost()) {
            for (int k = g; k < st.histogramWidth(); k++) {
                if (st.clusterHostsWithUsable(c, k) == 0) continue;
                int h = st.nextHostWithUsable(k, topo.firstHostOfCluster(c));
                b.take(h, st.usableMask(h), g);
                return b.build();
            }
        }
        // one rack?
        int bestRack = -1, bestCap = Integer.MAX_VALUE;
        for (int r = topo.firstRackOfCluster(c); r < topo.endRackOfCluster(c); r++) {
            int cap = st.rackCapacity(r, u);
            if (cap >= g && cap < bestCap) { bestCap = cap; bestRack = r; }
        }
        if (bestRack >= 0) {
            fillRack(st, bestRack, g, u, b);
            return b.build();
        }
        int zFirst = topo.firstZoneOfCluster(c), zEnd = topo.endZoneOfCluster(c);
        int bestZone = -1;
        long bestKey = Long.MAX_VALUE;
        for (int z = zFirst; z < zEnd; z++) {
            int cap = st.zoneCapacity(z, u);
            if (cap < g) continue;
            long key = zoneKey(st, z, g, u, cap);
            if (key < bestKey) { bestKey = key; bestZone = z; }
        }
        if (bestZone >= 0) {
            fillZone(st, bestZone, g, u, b);
        } else {
            int n = zEnd - zFirst;
            int[] caps = new int[n], ids = new int[n];
            for (int i = 0; i < n; i++) { ids[i] = zFirst + i; caps[i] = st.zoneCapacity(zFirst + i, u); }
            int[] takes = cover(ids, caps, n, g);
            for (int i = 0; i < n; i++) if (takes[i] > 0) fillZone(st, ids[i], takes[i], u, b);
        }
        return b.build();
    }

    private void fillZone(FleetState st, int z, int amount, int u, Builder b) {
        int rFirst = topo.firstRackOfZone(z), n = topo.endRackOfZone(z) - rFirst;
        int[] caps = new int[n], ids = new int[n];
        for (int i = 0; i < n; i++) { ids[i] = rFirst + i; caps[i] = st.rackCapacity(rFirst + i, u); }
        int[] takes = cover(ids, caps, n, amount);
        for (int i = 0; i < n; i++) if (takes[i] > 0) fillRack(st, ids[i], takes[i], u, b);
    }

    private void fillRack(FleetState st, int r, int amount, int u, Builder b) {
        int hFirst = topo.firstHostOfRack(r), n = topo.endHostOfRack(r) - hFirst;
        ensureScratch(n);
        int[] caps = scratchCap, ids = scratchIdx;
        for (int i = 0; i < n; i++) {
            int us = st.usable(hFirst + i);
            ids[i] = hFirst + i;
            caps[i] = us - us % u;
        }
        int[] takes = cover(ids, caps, n, amount);
        for (int i = 0; i < n; i++) if (takes[i] > 0) b.take(ids[i], st.usableMask(ids[i]), takes[i]);
    }

    private void ensureScratch(int n) {
        if (scratchCap.length < n) {
            scratchCap = new int[n];
            scratchIdx = new int[n];
        }
    }

    /**
     * Splits {@code amount} over items with the given capacities using the fewest items: while no
     * single item covers the rest, take the largest; then take the tightest item that covers it.
     * Ties go to the lower index. Returns how much to take from each item (same order as input).
     */
    static int[] cover(int[] ids, int[] caps, int n, int amount) {
        int[] takes = new int[n];
        boolean[] used = new boolean[n];
        int rem = amount;
        while (rem > 0) {
            int fit = -1, largest = -1;
            for (int i = 0; i < n; i++) {
                if (used[i] || caps[i] <= 0) continue;
                if (caps[i] >= rem && (fit < 0 || caps[i] < caps[fit])) fit = i;
                if (largest < 0 || caps[i] > caps[largest]) largest = i;
            }
            if (fit >= 0) {
                takes[fit] = rem;
                return takes;
            }
            if (largest < 0) throw new IllegalStateException("capacity vanished while covering " + amount);
            used[largest] = true;
            takes[largest] = caps[largest];
            rem -= caps[largest];
        }
        return takes;
    }

    /**
     * Collects (host, mask) pairs. Hosts arrive in ascending order: one host, or racks (and zones) walked
     * by index, whose host ids are contiguous and ascending; {@link Placement} refuses any other order.
     */
    private static final class Builder {
        private int[] hosts = new int[8];
        private long[] masks = new long[8];
        private int n;
        private int remaining;

        Builder(int gpus) {
            remaining = gpus;
        }

        void take(int h, long usable, int count) {
            long m = 0;
            long b = usable;
            for (int i = 0; i < count; i++) {
                if (b == 0) throw new IllegalStateException("host " + h + " has fewer usable GPUs than expected");
                long low = b & -b;
                m |= low;
                b &= b - 1;
            }
            if (n == hosts.length) {
                hosts = Arrays.copyOf(hosts, n * 2);
                masks = Arrays.copyOf(masks, n * 2);
            }
            hosts[n] = h;
            masks[n] = m;
            n++;
            remaining -= count;
        }

        Placement build() {
            if (remaining != 0) throw new IllegalStateException("gang placement left " + remaining + " GPUs unplaced");
            return new Placement(Arrays.copyOf(hosts, n), Arrays.copyOf(masks, n));
        }
    }
}
