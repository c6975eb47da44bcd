package gpufleet.core.testkit;

import gpufleet.core.job.Job;
import gpufleet.core.state.FleetState;
import gpufleet.core.state.HostStatus;
import gpufleet.core.state.Placement;
import gpufleet.core.topology.Topology;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.function.IntUnaryOperator;

import static org.assertj.core.api.Assertions.assertThat;

/** Checks shared by the state, placer and scheduler tests, each a brute-force recomputation. */
public final class Invariants {
    private Invariants() {}

    /** Usable GPUs of host h computed from the masks and status, not from the state's counters. */
    public static long usableMask(FleetState st, int h) {
        if (st.status(h) != HostStatus.UP) return 0;
        return Placements.full(st.topology().gpusOnHost(h)) & ~st.allocatedMask(h) & ~st.unhealthyMask(h);
    }

    /** Every aggregate the state keeps equals the same figure recomputed host by host. */
    public static void assertAggregatesMatchBruteForce(FleetState st) {
        Topology t = st.topology();
        int n = t.hostCount(), w = st.histogramWidth();
        assertThat(w).isEqualTo(t.maxGpusPerHost() + 1);
        int[] hostUsable = new int[n], rackUsable = new int[t.rackCount()], zoneUsable = new int[t.zoneCount()],
                clusterUsable = new int[t.clusterCount()];
        int[][] rackHist = new int[t.rackCount()][w + 1], clusterHist = new int[t.clusterCount()][w + 1];
        int allocated = 0;
        for (int h = 0; h < n; h++) {
            long mask = usableMask(st, h);
            assertThat(st.usableMask(h)).as("usableMask(%d)", h).isEqualTo(mask);
            int u = Long.bitCount(mask);
            hostUsable[h] = u;
            int r = t.rackOfHost(h), z = t.zoneOfHost(h), c = t.clusterOfHost(h);
            rackUsable[r] += u;
            zoneUsable[z] += u;
            clusterUsable[c] += u;
            rackHist[r][u]++;
            clusterHist[c][u]++;
            allocated += Long.bitCount(st.allocatedMask(h));
            long owned = 0;
            for (int g = 0; g < t.gpusOnHost(h); g++) if (st.ownerOf(h, g) != FleetState.NONE) owned |= 1L << g;
            assertThat(owned).as("GPUs with an owner vs allocated mask of host %d", h).isEqualTo(st.allocatedMask(h));
        }
        int[] actual = new int[n];
        for (int h = 0; h < n; h++) actual[h] = st.usable(h);
        assertThat(actual).as("usable(h)").isEqualTo(hostUsable);
        assertThat(st.allocatedGpus()).as("allocatedGpus").isEqualTo(allocated);
        assertThat(collect(t.rackCount(), st::rackUsable)).as("rackUsable").isEqualTo(rackUsable);
        assertThat(collect(t.zoneCount(), st::zoneUsable)).as("zoneUsable").isEqualTo(zoneUsable);
        assertThat(collect(t.clusterCount(), st::clusterUsable)).as("clusterUsable").isEqualTo(clusterUsable);
        for (int r = 0; r < t.rackCount(); r++) {
            int rack = r;
            assertThat(collect(w + 1, k -> st.rackHostsWithUsable(rack, k))).as("rack %d histogram", r)
                    .isEqualTo(rackHist[r]);
            int[] cap = new int[w + 1];
            for (int unit = 1; unit <= w; unit++) cap[unit] = capacity(st, t.firstHostOfRack(r), t.endHostOfRack(r), unit);
            assertThat(collect(w + 1, unit -> unit == 0 ? 0 : st.rackCapacity(rack, unit))).as("rack %d capacity by unit", r)
                    .isEqualTo(cap);
        }
        for (int c = 0; c < t.clusterCount(); c++) {
            int cl = c;
            assertThat(collect(w + 1, k -> st.clusterHostsWithUsable(cl, k))).as("cluster %d histogram", c)
                    .isEqualTo(clusterHist[c]);
            int[] cap = new int[w + 1];
            for (int unit = 1; unit <= w; unit++)
                cap[unit] = capacity(st, t.firstHostOfCluster(c), t.endHostOfCluster(c), unit);
            assertThat(collect(w + 1, unit -> unit == 0 ? 0 : st.clusterCapacity(cl, unit)))
                    .as("cluster %d capacity by unit", c).isEqualTo(cap);
        }
        for (int k = 0; k <= w; k++) {
            int[] expect = new int[n + 1];
            int next = -1;
            for (int from = n; from >= 0; from--) {
                if (from < n && hostUsable[from] == k) next = from;
                expect[from] = next;
            }
            int kk = k;
            assertThat(collect(n + 1, from -> st.nextHostWithUsable(kk, from))).as("nextHostWithUsable(%d, *)", k)
                    .isEqualTo(expect);
        }
    }

    private static int[] collect(int n, IntUnaryOperator f) {
        int[] out = new int[n];
        for (int i = 0; i < n; i++) out[i] = f.applyAsInt(i);
        return out;
    }

    /** GPUs on hosts [from, to) a job with TP group {@code unit} could take: whole groups per host. */
    public static int capacity(FleetState st, int from, int to, int unit) {
        int n = 0;
        for (int h = from; h < to; h++) {
            int u = Long.bitCount(usableMask(st, h));
            n += u - u % unit;
        }
        return n;
    }

    /** No tensor-parallel group straddles hosts: each host's share is a whole number of groups. */
    public static void assertTpGroupsWithinHosts(Placement p, int tp) {
        for (int i = 0; i < p.hosts().length; i++)
            assertThat(Long.bitCount(p.masks()[i]) % tp).as("GPUs on host %d (tp %d)", p.hosts()[i], tp).isZero();
    }

    /**
     * The running jobs own exactly the GPUs of their placements, nothing else is held, placements are
     * disjoint, and no TP group straddles hosts.
     */
    public static void assertRunningMatchesState(FleetState st, Collection<Job> running) {
        Topology t = st.topology();
        var owner = new HashMap<Long, Integer>();
        int sum = 0;
        for (Job j : running) {
            Placement p = j.placement();
            assertThat(p).as("placement of running %s", j).isNotNull();
            assertThat(p.gpus()).as("GPUs of %s", j).isEqualTo(j.gpus());
            assertTpGroupsWithinHosts(p, j.spec().unit());
            for (int i = 0; i < p.hosts().length; i++)
                for (long b = p.masks()[i]; b != 0; b &= b - 1) {
                    int h = p.hosts()[i], g = Long.numberOfTrailingZeros(b);
                    Integer was = owner.put(((long) h << 8) | g, j.id());
                    assertThat(was).as("GPU %d of host %d held by %s and job %s", g, h, j, was).isNull();
                    assertThat(st.ownerOf(h, g)).as("owner of GPU %d of host %d", g, h).isEqualTo(j.id());
                }
            sum += j.gpus();
        }
        assertThat(st.allocatedGpus()).as("allocated GPUs vs running jobs").isEqualTo(sum);
        for (int h = 0; h < t.hostCount(); h++)
            for (int g = 0; g < t.gpusOnHost(h); g++)
                if (st.ownerOf(h, g) != FleetState.NONE)
                    assertThat(owner).as("GPU %d of host %d is held by job %d, which is not running", g, h,
                            st.ownerOf(h, g)).containsKey(((long) h << 8) | g);
    }

    /** Everything a caller can read off the state, as one comparable string. */
    public static String fingerprint(FleetState st) {
        Topology t = st.topology();
        List<Object> out = new ArrayList<>();
        for (int h = 0; h < t.hostCount(); h++) {
            out.add(st.status(h));
            out.add(st.allocatedMask(h));
            out.add(st.unhealthyMask(h));
            out.add(st.usable(h));
            for (int g = 0; g < t.gpusOnHost(h); g++) out.add(st.ownerOf(h, g));
        }
        for (int r = 0; r < t.rackCount(); r++)
            for (int k = 0; k < st.histogramWidth(); k++) out.add(st.rackHostsWithUsable(r, k));
        for (int r = 0; r < t.rackCount(); r++) out.add(st.rackUsable(r));
        for (int z = 0; z < t.zoneCount(); z++) out.add(st.zoneUsable(z));
        for (int c = 0; c < t.clusterCount(); c++) out.add(st.clusterUsable(c));
        out.add(st.allocatedGpus());
        out.add(Arrays.toString(st.gpuCounts()));
        return out.toString();
    }
}
