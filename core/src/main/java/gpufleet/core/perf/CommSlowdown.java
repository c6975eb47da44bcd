package gpufleet.core.perf;

import gpufleet.core.state.Placement;
import gpufleet.core.topology.ClusterSpec;
import gpufleet.core.topology.Topology;

import java.util.Locale;

/**
 * How much slower a job trains when its placement spans more of the network than it needs.
 *
 * <p>For each level (hosts, racks, zones) the placement is compared with the fewest it could have
 * used: {@code ceil(gpus / capacity of one item)}. Each level where it uses more adds its penalty,
 * and the job's run time is multiplied by {@code 1 + sum of penalties}. A job of 4 GPUs split over
 * two hosts pays {@code host}; a 64-GPU job on 8 hosts of 2 racks, when one rack of 16 hosts would
 * have held it, pays {@code rack}. Levels are all-or-nothing on purpose: the model is meant to make
 * topology-aware placement visible in completion times, not to predict step time (the planner
 * does that).
 *
 * <p>The defaults are assumptions, not measurements of a particular model: Tiresias (Gu et al.,
 * NSDI'19) and Gandiva (Xiao et al., OSDI'18) both report that models with a large all-reduce volume
 * train markedly slower when their GPUs span machines than inside one, while others barely notice;
 * a host's NVLink (900 GB/s per H100) is an order of magnitude faster than its NIC (400 Gb/s =
 * 50 GB/s per GPU), so crossing hosts is the dearest step. Override them per run.
 *
 * @param host penalty for more hosts than needed
 * @param rack penalty for more racks than needed
 * @param zone penalty for more zones than needed (multiplied by the cluster's spine oversubscription)
 */
public record CommSlowdown(double host, double rack, double zone) {
    public static final CommSlowdown NONE = new CommSlowdown(0, 0, 0);
    public static final CommSlowdown DEFAULT = new CommSlowdown(0.30, 0.10, 0.05);

    public CommSlowdown {
        for (double v : new double[] {host, rack, zone})
            if (!(v >= 0) || v > 10) throw new IllegalArgumentException("slowdown penalties must be in [0, 10], got " + v);
    }

    /** Parses {@code none}, {@code default}, or {@code host=0.3,rack=0.1,zone=0.05} (missing keys keep defaults). */
    public static CommSlowdown parse(String s) {
        String t = s.trim().toLowerCase(Locale.ROOT);
        if (t.equals("none") || t.equals("off")) return NONE;
        if (t.equals("default") || t.isEmpty()) return DEFAULT;
        double h = DEFAULT.host, r = DEFAULT.rack, z = DEFAULT.zone;
        for (String part : t.split(",")) {
            String[] kv = part.split("=", 2);
            if (kv.length != 2) throw new IllegalArgumentException("slowdown: expected key=value, got '" + part + "'");
            double v;
            try {
                v = Double.parseDouble(kv[1].trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("slowdown: '" + kv[1] + "' is not a number");
            }
            switch (kv[0].trim()) {
                case "host" -> h = v;
                case "rack" -> r = v;
                case "zone" -> z = v;
                default -> throw new IllegalArgumentException("slowdown: unknown level '" + kv[0] + "'; use host, rack, zone");
            }
        }
        return new CommSlowdown(h, r, z);
    }

    /** The factor (>= 1) by which this placement stretches the job's run time. */
    public double factor(Placement p, Topology topo) {
        if (this.equals(NONE)) return 1;
        int gpus = p.gpus();
        ClusterSpec c = topo.cluster(p.cluster(topo));
        long perHost = c.gpusPerHost(), perRack = perHost * c.hostsPerRack(), perZone = perRack * c.racksPerZone();
        double f = 1;
        if (p.hostCount() > ceil(gpus, perHost)) f += host;
        if (p.rackCount(topo) > ceil(gpus, perRack)) f += rack;
        if (p.zoneCount(topo) > ceil(gpus, perZone)) f += zone * c.spineOversubscription();
        return f;
    }

    private static long ceil(long a, long b) {
        return (a + b - 1) / b;
    }

    @Override
    public String toString() {
        return equals(NONE) ? "none" : String.format(Locale.ROOT, "host=%s,rack=%s,zone=%s", host, rack, zone);
    }
}
