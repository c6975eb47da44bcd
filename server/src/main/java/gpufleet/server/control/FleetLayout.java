package gpufleet.server.control;

import gpufleet.core.state.FleetState;
import gpufleet.core.state.HostStatus;
import gpufleet.core.state.Placement;
import gpufleet.core.topology.ClusterSpec;
import gpufleet.core.topology.FleetSpec;
import gpufleet.core.topology.GpuCatalog;
import gpufleet.core.topology.GpuType;
import gpufleet.core.topology.Topology;
import gpufleet.protocol.GpuDescriptor;
import gpufleet.server.store.HostGpus;
import gpufleet.server.store.HostRecord;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The core's {@link Topology} built from the hosts that registered, and the map between host names
 * and the core's dense host ids.
 *
 * <p>The core describes a cluster as a regular grid (every zone has the same number of racks, every
 * rack the same number of hosts, every host the same GPUs); registered hosts are not regular. So
 * hosts are grouped into one cluster per GPU type and count (a gang never mixes GPU models), and each
 * cluster's grid is sized to its largest zone and rack. A host's GPU type is what its agent reported
 * ({@code gpuInfo}), mapped to the core's catalog by {@link GpuCatalog#forModel}; hosts whose models the
 * catalog does not know, or that reported none, are scheduled as {@link #FALLBACK_GPU_TYPE} in clusters
 * of their own, and the controller's log says so once per model. Grid slots no registered host fills are phantom hosts, kept {@link HostStatus#DOWN}
 * so they never hold work. Host ids therefore preserve the zone → rack → host nesting the placer
 * relies on (hosts of one rack are contiguous, racks of one zone are contiguous).
 *
 * <p>Placements are stored by host name and GPU index, never by core id, because ids change when
 * the host set does.
 */
public final class FleetLayout {
    /** The most grid slots (real and phantom hosts) a layout may have. */
    public static final long MAX_SLOTS = 200_000;
    /** What a host is scheduled as when the catalog does not know its GPU model. */
    public static final String FALLBACK_GPU_TYPE = "H100-SXM";
    private static final System.Logger LOG = System.getLogger(FleetLayout.class.getName());
    /** Unknown models already noted in the log, so that rebuilding the layout does not repeat the note. */
    private static final Set<String> NOTED = ConcurrentHashMap.newKeySet();
    /**
     * Model names already mapped: a layout is counted at every registration, and matching every GPU of
     * every host against the catalog's patterns each time would cost more than the count. Bounded, since
     * registrations choose the names.
     */
    private static final Map<String, Optional<GpuType>> MODEL_TYPES = new ConcurrentHashMap<>();
    private static final int MAX_REMEMBERED = 1024;

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
        Map<Kind, List<HostRecord>> byKind = new TreeMap<>();
        for (HostRecord h : hosts) byKind.computeIfAbsent(Kind.of(h), k -> new ArrayList<>()).add(h);
        List<ClusterSpec> clusters = new ArrayList<>();
        List<HostRecord> slots = new ArrayList<>();
        int maxHost = 0, largest = 0;
        for (var e : byKind.entrySet()) {
            Kind kind = e.getKey();
            int gpus = kind.gpus();
            Grid g = grid(e.getValue());
            maxHost = Math.max(maxHost, gpus);
            largest = Math.max(largest, gpus * e.getValue().size());
            if (kind.type() == null) noteFallback(kind, e.getValue().getFirst());
            GpuType type = GpuCatalog.get(kind.type() != null ? kind.type() : FALLBACK_GPU_TYPE);
            clusters.add(new ClusterSpec(kind.clusterName(), "local", type.name(),
                    g.zones.size() * g.racksPerZone * g.hostsPerRack, gpus, g.hostsPerRack, g.racksPerZone, 400, 1, 0, 0,
                    type.tdpWatts()));
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
     * The hosts one cluster holds: the same GPU count and the same GPU type, or, where the catalog does
     * not know the type, the same reported models ({@code type} null, {@code models} what was reported).
     */
    private record Kind(int gpus, String type, String models) implements Comparable<Kind> {
        /** Counted for every host at every registration: one model lookup when a host's GPUs are all alike. */
        static Kind of(HostRecord h) {
            String first = null;
            boolean alike = true;
            for (GpuDescriptor g : h.gpuInfo()) {
                String m = g.model();
                if (m == null || m.isBlank()) continue;
                if (first == null) first = m;
                else if (!first.equals(m)) alike = false;
            }
            if (first == null) return new Kind(h.gpus(), null, "");
            if (alike) {
                Optional<GpuType> t = typeOfModel(first);
                return t.isPresent() ? new Kind(h.gpus(), t.get().name(), "") : new Kind(h.gpus(), null, first.strip());
            }
            Optional<GpuType> t = reportedType(h);
            return t.isPresent() ? new Kind(h.gpus(), t.get().name(), "") : new Kind(h.gpus(), null, reportedModels(h));
        }

        String clusterName() {
            return gpus + "x " + (type != null ? type : (models.isEmpty() ? "unreported" : models) + " (as " + FALLBACK_GPU_TYPE + ")");
        }

        @Override
        public int compareTo(Kind o) {
            int c = Integer.compare(gpus, o.gpus);
            if (c != 0) return c;
            c = Boolean.compare(type == null, o.type == null);
            if (c != 0) return c;
            return (type != null ? type : models).compareTo(o.type != null ? o.type : o.models);
        }
    }

    /** The distinct GPU models a host's agent reported, joined; empty when it reported none. */
    private static String reportedModels(HostRecord h) {
        Set<String> m = new TreeSet<>();
        for (GpuDescriptor g : h.gpuInfo()) if (g.model() != null && !g.model().isBlank()) m.add(g.model().strip());
        return String.join(" + ", m);
    }

    /**
     * The catalog's type for the GPUs a host's agent reported, or empty when it reported none, the
     * catalog knows none of them, or they are of more than one type.
     */
    public static Optional<GpuType> reportedType(HostRecord h) {
        GpuType found = null;
        boolean any = false;
        for (GpuDescriptor g : h.gpuInfo()) {
            if (g.model() == null || g.model().isBlank()) continue;
            any = true;
            Optional<GpuType> t = typeOfModel(g.model());
            if (t.isEmpty() || (found != null && !found.name().equals(t.get().name()))) return Optional.empty();
            found = t.get();
        }
        return any ? Optional.ofNullable(found) : Optional.empty();
    }

    private static Optional<GpuType> typeOfModel(String model) {
        Optional<GpuType> t = MODEL_TYPES.get(model);
        if (t != null) return t;
        t = GpuCatalog.forModel(model);
        if (MODEL_TYPES.size() < MAX_REMEMBERED) MODEL_TYPES.put(model, t);
        return t;
    }

    /** Whether two records of a host put it in the same cluster (GPU count and type), wherever its rack. */
    public static boolean sameKind(HostRecord a, HostRecord b) {
        return Kind.of(a).equals(Kind.of(b));
    }

    /** The GPU type the layout schedules a host as: its reported type, else {@link #FALLBACK_GPU_TYPE}. */
    public static String gpuTypeOf(HostRecord h) {
        return reportedType(h).map(GpuType::name).orElse(FALLBACK_GPU_TYPE);
    }

    private static void noteFallback(Kind kind, HostRecord example) {
        if (NOTED.size() >= MAX_REMEMBERED || !NOTED.add(kind.models())) return;
        LOG.log(System.Logger.Level.WARNING, kind.models().isEmpty()
                ? "host " + example.name() + " (and any like it) reported no GPU models; scheduled as " + FALLBACK_GPU_TYPE
                : "host " + example.name() + " (and any like it) reports " + (kind.models().contains(" + ")
                        ? "GPUs of more than one model (" + kind.models() + ")"
                        : "GPU model " + kind.models() + ", which gpufleet's GPU catalog does not know")
                        + "; scheduled as " + FALLBACK_GPU_TYPE
                        + " in a pool of its own (known: " + String.join(", ",
                        GpuCatalog.all().stream().map(GpuType::name).toList()) + ")");
    }

    /**
     * Grid slots the layout would have once {@code host} joins these hosts (taking the place of a
     * host of the same name), to refuse a registration that would make it absurd. Counts only, no
     * sorting: it runs on every registration.
     */
    public static long slotCountWith(java.util.Collection<HostRecord> hosts, HostRecord host) {
        // cluster → zone → rack → hosts in it
        Map<Kind, Map<String, Map<String, Integer>>> classes = new HashMap<>();
        java.util.function.Consumer<HostRecord> count = h -> classes.computeIfAbsent(Kind.of(h), k -> new HashMap<>())
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
