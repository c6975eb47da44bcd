package gpufleet.core.state;

import gpufleet.core.topology.Topology;

import java.util.Arrays;

/**
 * Which GPUs are free, held or broken, kept with the aggregates the placer needs to stay fast at
 * hundreds of thousands of GPUs.
 *
 * <p>Per host it keeps two masks (allocated, unhealthy) and a status. A host's <em>usable</em> GPUs
 * are those neither allocated nor unhealthy on a host that is {@link HostStatus#UP}. From those it
 * maintains, incrementally on every change: per rack a histogram of hosts by usable count, usable
 * sums per rack, zone and cluster, and for each usable count a bit set of the hosts that have
 * exactly that many. With them a gang of any size is placed by walking racks, never all hosts, and
 * a one-host job finds its tightest host with a bit-set scan.
 *
 * <p>Invariant enforced here and not by callers: no GPU is ever held by two jobs. {@link #allocate}
 * refuses a placement that touches a held, unhealthy or unusable GPU. Mutable and single-threaded.
 */
public final class FleetState {
    public static final int NONE = -1;

    private final Topology topo;
    private final int width; // histogram width: max GPUs per host + 1
    private final long[] allocated;
    private final long[] unhealthy;
    private final HostStatus[] status;
    private final int[] usable;
    private final int[] owner; // per global GPU: job id or NONE
    private final int[] rackHist;
    private final int[] rackUsable;
    private final int[] zoneUsable;
    private final int[] clusterUsable;
    // capacity for power-of-two units 2, 4, 8, ... (level l is unit 1 << l, l >= 1): whole groups only
    private final int levels;
    private final int[][] rackCap, zoneCap, clusterCap;
    private final int[] clusterHist;
    private final long[][] hostsWithUsable; // [usable count] -> bit set over hosts
    private final short[] hostBroken; // per host: GPUs out of service (unhealthy, or all on a down host)
    private final short[] hostSpare;  // per host: healthy GPUs of a spare host
    private int allocatedGpus;
    private int brokenGpus;
    private int spareGpus;

    public FleetState(Topology topo) {
        this.topo = topo;
        this.width = topo.maxGpusPerHost() + 1;
        int n = topo.hostCount();
        allocated = new long[n];
        unhealthy = new long[n];
        status = new HostStatus[n];
        Arrays.fill(status, HostStatus.UP);
        usable = new int[n];
        owner = new int[topo.totalGpus()];
        Arrays.fill(owner, NONE);
        rackHist = new int[topo.rackCount() * width];
        rackUsable = new int[topo.rackCount()];
        zoneUsable = new int[topo.zoneCount()];
        clusterUsable = new int[topo.clusterCount()];
        clusterHist = new int[topo.clusterCount() * width];
        int lv = 1;
        while ((1 << lv) <= topo.maxGpusPerHost()) lv++;
        levels = lv;
        rackCap = new int[levels][topo.rackCount()];
        zoneCap = new int[levels][topo.zoneCount()];
        clusterCap = new int[levels][topo.clusterCount()];
        hostBroken = new short[n];
        hostSpare = new short[n];
        hostsWithUsable = new long[width][(n + 63) >>> 6];
        for (int h = 0; h < n; h++) {
            usable[h] = 0;
            hostsWithUsable[0][h >>> 6] |= 1L << h;
            rackHist[topo.rackOfHost(h) * width]++;
            clusterHist[topo.clusterOfHost(h) * width]++;
            refresh(h);
        }
    }

    public Topology topology() { return topo; }

    // ---- reading -------------------------------------------------------------------------------

    public HostStatus status(int h) { return status[h]; }
    public long allocatedMask(int h) { return allocated[h]; }
    public long unhealthyMask(int h) { return unhealthy[h]; }
    public int usable(int h) { return usable[h]; }
    public long usableMask(int h) { return status[h] == HostStatus.UP ? fullMask(h) & ~allocated[h] & ~unhealthy[h] : 0L; }
    public int ownerOf(int h, int gpu) { return owner[topo.firstGpu(h) + gpu]; }
    public int rackUsable(int r) { return rackUsable[r]; }
    public int zoneUsable(int z) { return zoneUsable[z]; }
    public int clusterUsable(int c) { return clusterUsable[c]; }
    public int allocatedGpus() { return allocatedGpus; }
    /** GPUs out of service: unhealthy ones, and every GPU of a host that is down. */
    public int brokenGpus() { return brokenGpus; }
    /** Healthy GPUs on hot-spare hosts. */
    public int spareGpus() { return spareGpus; }
    /** Number of hosts in rack {@code r} with exactly {@code k} usable GPUs. */
    public int rackHostsWithUsable(int r, int k) { return k < width ? rackHist[r * width + k] : 0; }
    /** Number of hosts in cluster {@code c} with exactly {@code k} usable GPUs. */
    public int clusterHostsWithUsable(int c, int k) { return k < width ? clusterHist[c * width + k] : 0; }
    public int histogramWidth() { return width; }

    /** The first host at or after {@code from} with exactly {@code k} usable GPUs, or -1. */
    public int nextHostWithUsable(int k, int from) {
        if (k >= width || from < 0) return -1;
        long[] bits = hostsWithUsable[k];
        int w = from >>> 6;
        if (w >= bits.length) return -1;
        long word = bits[w] & (-1L << from);
        while (true) {
            if (word != 0) return (w << 6) + Long.numberOfTrailingZeros(word);
            if (++w == bits.length) return -1;
            word = bits[w];
        }
    }

    /** GPUs that could be given to a job whose unit (tensor-parallel group) is {@code unit} GPUs, in rack {@code r}. */
    public int rackCapacity(int r, int unit) {
        if (unit <= 1) return rackUsable[r];
        int l = level(unit);
        if (l > 0) return rackCap[l][r];
        int cap = 0, base = r * width;
        for (int k = unit; k < width; k++) cap += rackHist[base + k] * (k - k % unit);
        return cap;
    }

    /** Same as {@link #rackCapacity} for a whole cluster. */
    public int clusterCapacity(int c, int unit) {
        if (unit <= 1) return clusterUsable[c];
        int l = level(unit);
        if (l > 0) return clusterCap[l][c];
        int cap = 0, base = c * width;
        for (int k = unit; k < width; k++) cap += clusterHist[base + k] * (k - k % unit);
        return cap;
    }

    /** Same as {@link #rackCapacity} for a zone. */
    public int zoneCapacity(int z, int unit) {
        if (unit <= 1) return zoneUsable[z];
        int l = level(unit);
        if (l > 0) return zoneCap[l][z];
        int cap = 0;
        for (int r = topo.firstRackOfZone(z); r < topo.endRackOfZone(z); r++) cap += rackCapacity(r, unit);
        return cap;
    }

    /** The maintained level of a power-of-two unit, or 0 when the unit has none. */
    private int level(int unit) {
        if ((unit & (unit - 1)) != 0) return 0;
        int l = Integer.numberOfTrailingZeros(unit);
        return l < levels ? l : 0;
    }

    /** GPUs in the pool that are healthy (held or not), per cluster: the capacity jobs can count on. */
    public int healthyGpus(int c) {
        int n = 0;
        for (int h = topo.firstHostOfCluster(c); h < topo.endHostOfCluster(c); h++)
            if (status[h] == HostStatus.UP || status[h] == HostStatus.DRAINING)
                n += topo.gpusOnHost(h) - Long.bitCount(unhealthy[h]);
        return n;
    }

    /** Counts of GPUs by state across the fleet: [allocated, usable, unhealthy-or-down, spare, draining-free]. */
    public int[] gpuCounts() {
        int alloc = 0, free = 0, broken = 0, spare = 0, draining = 0;
        for (int h = 0; h < status.length; h++) {
            int g = topo.gpusOnHost(h);
            int a = Long.bitCount(allocated[h]);
            int bad = Long.bitCount(unhealthy[h] & ~allocated[h]);
            alloc += a;
            switch (status[h]) {
                case UP -> { free += usable[h]; broken += bad; }
                case DRAINING -> { draining += g - a - bad; broken += bad; }
                case DOWN -> broken += g - a;
                case SPARE -> spare += g - a;
            }
        }
        return new int[] {alloc, free, broken, spare, draining};
    }

    // ---- changing ------------------------------------------------------------------------------

    /** Gives the placement's GPUs to {@code job}. Refuses, changing nothing, if any is not usable. */
    public void allocate(int job, Placement p) {
        if (job < 0) throw new IllegalArgumentException("job id must be >= 0");
        for (int i = 0; i < p.hosts().length; i++) {
            int h = p.hosts()[i];
            long m = p.masks()[i];
            if (m == 0 || (m & ~usableMask(h)) != 0)
                throw new IllegalStateException("job " + job + ": GPUs " + Long.toBinaryString(m & ~usableMask(h))
                        + " of host " + topo.hostName(h) + " are not usable (held, unhealthy or host not up)");
        }
        for (int i = 0; i < p.hosts().length; i++) {
            int h = p.hosts()[i];
            long m = p.masks()[i];
            allocated[h] |= m;
            int base = topo.firstGpu(h);
            for (long b = m; b != 0; b &= b - 1) owner[base + Long.numberOfTrailingZeros(b)] = job;
            allocatedGpus += Long.bitCount(m);
            refresh(h);
        }
    }

    /** Takes back the placement's GPUs from {@code job}. GPUs held by another job are left alone. */
    public void release(int job, Placement p) {
        for (int i = 0; i < p.hosts().length; i++) {
            int h = p.hosts()[i];
            int base = topo.firstGpu(h);
            long freed = 0;
            for (long b = p.masks()[i]; b != 0; b &= b - 1) {
                int g = Long.numberOfTrailingZeros(b);
                if (owner[base + g] == job) {
                    owner[base + g] = NONE;
                    freed |= 1L << g;
                }
            }
            allocated[h] &= ~freed;
            allocatedGpus -= Long.bitCount(freed);
            refresh(h);
        }
    }

    /**
     * Undoes {@link #release}: gives {@code job} back the GPUs of {@code p} it held before, even those
     * no longer usable (its host drained or went down, or a GPU failed, while it ran). For callers that
     * release GPUs tentatively, as preemption does. Refuses, changing nothing, if any GPU is now held
     * by another job.
     */
    /** Whether {@link #reclaim} would succeed: no GPU of {@code p} is held by another job. */
    public boolean canReclaim(int job, Placement p) {
        for (int i = 0; i < p.hosts().length; i++) {
            int h = p.hosts()[i], base = topo.firstGpu(h);
            for (long b = p.masks()[i] & fullMask(h); b != 0; b &= b - 1) {
                int o = owner[base + Long.numberOfTrailingZeros(b)];
                if (o != NONE && o != job) return false;
            }
        }
        return true;
    }

    public void reclaim(int job, Placement p) {
        if (job < 0) throw new IllegalArgumentException("job id must be >= 0");
        for (int i = 0; i < p.hosts().length; i++) {
            int h = p.hosts()[i], base = topo.firstGpu(h);
            long m = p.masks()[i];
            if ((m & ~fullMask(h)) != 0)
                throw new IllegalStateException("job " + job + ": host " + topo.hostName(h) + " has no GPUs "
                        + Long.toBinaryString(m & ~fullMask(h)));
            for (long b = m; b != 0; b &= b - 1) {
                int o = owner[base + Long.numberOfTrailingZeros(b)];
                if (o != NONE && o != job)
                    throw new IllegalStateException("job " + job + ": GPU " + Long.numberOfTrailingZeros(b) + " of host "
                            + topo.hostName(h) + " is held by job " + o);
            }
        }
        for (int i = 0; i < p.hosts().length; i++) {
            int h = p.hosts()[i], base = topo.firstGpu(h);
            long m = p.masks()[i] & ~allocated[h];
            allocated[h] |= m;
            for (long b = m; b != 0; b &= b - 1) owner[base + Long.numberOfTrailingZeros(b)] = job;
            allocatedGpus += Long.bitCount(m);
            refresh(h);
        }
    }

    public void setStatus(int h, HostStatus s) {
        status[h] = s;
        refresh(h);
    }

    public void setGpuHealthy(int h, int gpu, boolean healthy) {
        if (healthy) unhealthy[h] &= ~(1L << gpu);
        else unhealthy[h] |= 1L << gpu;
        refresh(h);
    }

    /** Job ids holding GPUs on host {@code h}, without repeats, in GPU order. */
    public int[] jobsOn(int h) {
        int base = topo.firstGpu(h), n = topo.gpusOnHost(h);
        int[] out = new int[n];
        int k = 0;
        for (int g = 0; g < n; g++) {
            int j = owner[base + g];
            if (j == NONE) continue;
            boolean seen = false;
            for (int i = 0; i < k; i++) if (out[i] == j) { seen = true; break; }
            if (!seen) out[k++] = j;
        }
        return Arrays.copyOf(out, k);
    }

    private long fullMask(int h) {
        int g = topo.gpusOnHost(h);
        return g == 64 ? -1L : (1L << g) - 1;
    }

    private void refresh(int h) {
        int bad = Long.bitCount(unhealthy[h]);
        int broken = status[h] == HostStatus.DOWN ? topo.gpusOnHost(h) : bad;
        int spare = status[h] == HostStatus.SPARE ? topo.gpusOnHost(h) - bad : 0;
        brokenGpus += broken - hostBroken[h];
        spareGpus += spare - hostSpare[h];
        hostBroken[h] = (short) broken;
        hostSpare[h] = (short) spare;
        int now = Long.bitCount(usableMask(h));
        int was = usable[h];
        if (now == was) return;
        int r = topo.rackOfHost(h), z = topo.zoneOfRack(r), c = topo.clusterOfZone(z);
        rackHist[r * width + was]--;
        rackHist[r * width + now]++;
        clusterHist[c * width + was]--;
        clusterHist[c * width + now]++;
        hostsWithUsable[was][h >>> 6] &= ~(1L << h);
        hostsWithUsable[now][h >>> 6] |= 1L << h;
        for (int l = 1; l < levels; l++) {
            int u = 1 << l;
            int dl = (now - now % u) - (was - was % u);
            if (dl != 0) {
                rackCap[l][r] += dl;
                zoneCap[l][z] += dl;
                clusterCap[l][c] += dl;
            }
        }
        int d = now - was;
        rackUsable[r] += d;
        zoneUsable[z] += d;
        clusterUsable[c] += d;
        usable[h] = now;
    }
}
