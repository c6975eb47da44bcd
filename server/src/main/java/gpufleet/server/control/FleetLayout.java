package gpufleet.server.control;

import gpufleet.core.state.FleetState;
import gpufleet.core.state.HostStatus;
import gpufleet.core.state.Placement;
import gpufleet.core.topology.ClusterSpec;
import gpufleet.core.topology.FleetSpec;
import gpufleet.core.topology.Topology;
import gpufleet.server.store.HostGpus;
import gpufleet.server.store.HostRecord;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The core's {@link Topology} built from the hosts that registered, and the map between host names
 * and the core's dense host ids.
 *
 * <p>The core describes a cluster as a regular grid (every zone has the same number of racks, every
 * rack the same number of hosts, every host the same GPUs); registered hosts are not regular. So
 * hosts are grouped into one cluster per GPU count, and each cluster's grid is sized to its largest
 * zone and rack. Grid slots no registered host fills are phantom hosts, kept {@link HostStatus#DOWN}
 * so they never hold work. Host ids therefore preserve the zone → rack → host nesting the placer
 * relies on (hosts of one rack are contiguous, racks of one zone are contiguous).
 *
 * <p>Placements are stored by host name and GPU index, never by core id, because ids change when
 * the host set does.
 */
public final class FleetLayout {
    /** The most grid slots (real and phantom hosts) a layout may have. */
    public static final long MAX_SLOTS = 200_000;
    static final String GPU_TYPE = "H100-SXM";

    private final Topology topo;
    private final Map<String, Integer> index = new HashMap<>();
    private final HostRecord[] hostAt;
    private final int maxHostGpus;
    private final int largestPool; // GPUs in the largest cluster

    private FleetLayout(Topology topo, HostRecord[] hostAt, int maxHostGpus, int largestPool) {
        this.topo = topo;
        this.hostAt = hostAt;
        this.maxHostGpus = maxHostGpus;
        this.largestPool = largestPool;
        for (int h = 0; h < hostAt.length; h++) if (hostAt[h] != null) index.put(hostAt[h].name(), h);
    }

    /** The layout of these hosts, or null when there are none. */
    public static FleetLayout of(List<HostRecord> hosts) {
        if (hosts.isEmpty()) return null;
        Map<Integer, List<HostRecord>> byGpus = new TreeMap<>();
        for (HostRecord h : hosts) byGpus.computeIfAbsent(h.gpus(), k -> new ArrayList<>()).add(h);
        List<ClusterSpec> clusters = new ArrayList<>();
        List<HostRecord> slots = new ArrayList<>();
        int maxHost = 0, largest = 0;
        for (var e : byGpus.entrySet()) {
            int gpus = e.getKey();
            Grid g = grid(e.getValue());
            maxHost = Math.max(maxHost, gpus);
            largest = Math.max(largest, gpus * e.getValue().size());
            clusters.add(new ClusterSpec("gpus" + gpus, "local", GPU_TYPE, g.zones.size() * g.racksPerZone * g.hostsPerRack,
                    gpus, g.hostsPerRack, g.racksPerZone, 400, 1, 0, 0, 700));
            for (var zone : g.zones.values()) {
                int r = 0;
                for (var rack : zone.values()) {
                    for (int i = 0; i < g.hostsPerRack; i++) slots.add(i < rack.size() ? rack.get(i) : null);
                    r++;
                }
                for (; r < g.racksPerZone; r++) for (int i = 0; i < g.hostsPerRack; i++) slots.add(null);
            }
        }
        Topology topo = new Topology(new FleetSpec("registered", "hosts registered with the controller", clusters));
        if (topo.hostCount() != slots.size()) throw new IllegalStateException("layout grid mismatch");
        return new FleetLayout(topo, slots.toArray(HostRecord[]::new), maxHost, largest);
    }

    /**
     * Grid slots the layout would have once {@code host} joins these hosts (taking the place of a
     * host of the same name), to refuse a registration that would make it absurd. Counts only, no
     * sorting: it runs on every registration.
     */
    public static long slotCountWith(java.util.Collection<HostRecord> hosts, HostRecord host) {
        // GPUs per host → zone → rack → hosts in it
        Map<Integer, Map<String, Map<String, Integer>>> classes = new HashMap<>();
        java.util.function.Consumer<HostRecord> count = h -> classes.computeIfAbsent(h.gpus(), k -> new HashMap<>())
                .computeIfAbsent(h.zone(), k -> new HashMap<>()).merge(h.rack(), 1, Integer::sum);
        for (HostRecord h : hosts) if (!h.name().equals(host.name())) count.accept(h);
        count.accept(host);
        long n = 0;
        for (var zones : classes.values()) {
            int racks = 1, perRack = 1;
            for (var rackCounts : zones.values()) {
                racks = Math.max(racks, rackCounts.size());
                for (int c : rackCounts.values()) perRack = Math.max(perRack, c);
            }
            n += (long) zones.size() * racks * perRack;
        }
        return n;
    }

    private record Grid(TreeMap<String, TreeMap<String, List<HostRecord>>> zones, int racksPerZone, int hostsPerRack) {}

    private static Grid grid(List<HostRecord> hosts) {
        var zones = new TreeMap<String, TreeMap<String, List<HostRecord>>>();
        for (HostRecord h : hosts)
            zones.computeIfAbsent(h.zone(), k -> new TreeMap<>()).computeIfAbsent(h.rack(), k -> new ArrayList<>()).add(h);
        int racks = 1, perRack = 1;
        for (var z : zones.values()) {
            racks = Math.max(racks, z.size());
            for (var r : z.values()) {
                r.sort(Comparator.comparing(HostRecord::name));
                perRack = Math.max(perRack, r.size());
            }
        }
        return new Grid(zones, racks, perRack);
    }

    public Topology topology() { return topo; }
    public int maxHostGpus() { return maxHostGpus; }
    /** GPUs in the largest group of hosts a single job can span (hosts with the same GPU count). */
    public int largestPool() { return largestPool; }

    /** The largest number of GPUs a job with tensor-parallel groups of {@code tp} could ever get. */
    public int largestPoolFor(int tp) {
        int best = 0;
        for (int c = 0; c < topo.clusterCount(); c++) {
            var spec = topo.cluster(c);
            if (spec.gpusPerHost() < tp) continue;
            int real = 0;
            for (int h = topo.firstHostOfCluster(c); h < topo.endHostOfCluster(c); h++) if (hostAt[h] != null) real++;
            best = Math.max(best, real * (spec.gpusPerHost() / tp) * tp);
        }
        return best;
    }

    /**
     * A fresh fleet state: phantom slots down, registered hosts up, everything free. Give running jobs
     * their GPUs first, then {@link #applyStatuses}: a drained host may still hold jobs.
     */
    public FleetState newState() {
        FleetState st = new FleetState(topo);
        for (int h = 0; h < hostAt.length; h++) if (hostAt[h] == null) st.setStatus(h, HostStatus.DOWN);
        return st;
    }

    /** Sets each registered host's stored status (draining, say) on {@code st}. */
    public void applyStatuses(FleetState st) {
        for (int h = 0; h < hostAt.length; h++)
            if (hostAt[h] != null && hostAt[h].status() != HostStatus.UP) st.setStatus(h, hostAt[h].status());
    }

    /** The core id of a host, or -1. */
    public int indexOf(String name) {
        return index.getOrDefault(name, -1);
    }

    public HostRecord hostAt(int h) {
        return hostAt[h];
    }

    /** The core's placement as stored: host names and GPU indices. */
    public List<HostGpus> describe(Placement p) {
        List<HostGpus> out = new ArrayList<>(p.hosts().length);
        for (int i = 0; i < p.hosts().length; i++) {
            List<Integer> gpus = new ArrayList<>();
            for (long b = p.masks()[i]; b != 0; b &= b - 1) gpus.add(Long.numberOfTrailingZeros(b));
            out.add(new HostGpus(hostAt[p.hosts()[i]].name(), gpus));
        }
        return out;
    }

    /** A stored placement as the core's, for this layout. Fails if a host is unknown. */
    public Placement resolve(List<HostGpus> stored) {
        int[] hosts = new int[stored.size()];
        long[] masks = new long[stored.size()];
        Integer[] order = new Integer[stored.size()];
        for (int i = 0; i < stored.size(); i++) {
            int h = indexOf(stored.get(i).host());
            if (h < 0) throw new IllegalStateException("placement names unknown host " + stored.get(i).host());
            hosts[i] = h;
            long m = 0;
            for (int g : stored.get(i).gpus()) m |= 1L << g;
            masks[i] = m;
            order[i] = i;
        }
        Arrays.sort(order, Comparator.comparingInt(i -> hosts[i]));
        int[] sh = new int[hosts.length];
        long[] sm = new long[hosts.length];
        for (int i = 0; i < order.length; i++) {
            sh[i] = hosts[order[i]];
            sm[i] = masks[order[i]];
        }
        return new Placement(sh, sm);
    }
}
