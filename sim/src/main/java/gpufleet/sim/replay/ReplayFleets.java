package gpufleet.sim.replay;

import gpufleet.core.topology.ClusterSpec;
import gpufleet.core.topology.FleetSpec;
import gpufleet.sim.preset.FleetFiles;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Fleets for replays: the inline forms {@code hosts:NxG} (N hosts of G GPUs; {@code hosts:NxG:R}
 * puts R hosts in a rack, default 4) and {@code gpus:N} (a flat pool with no host boundaries, for
 * comparing with simulators that only count GPUs), or any preset or fleet file.
 */
public final class ReplayFleets {
    private static final Pattern HOSTS = Pattern.compile("hosts:(\\d+)x(\\d+)(?::(\\d+))?");
    private static final Pattern GPUS = Pattern.compile("gpus:(\\d+)");

    /** A parsed fleet and whether it is a flat pool (no topology, so no placement slowdown). */
    public record Parsed(FleetSpec fleet, boolean flat) {}

    private ReplayFleets() {}

    public static Parsed parse(String s) {
        Matcher h = HOSTS.matcher(s);
        if (h.matches()) {
            int hosts = positive(h.group(1), "hosts", s), gpus = positive(h.group(2), "GPUs per host", s);
            int perRack = h.group(3) == null ? Math.min(4, hosts) : positive(h.group(3), "hosts per rack", s);
            if (gpus > ClusterSpec.MAX_GPUS_PER_HOST)
                throw new IllegalArgumentException("fleet '" + s + "': at most " + ClusterSpec.MAX_GPUS_PER_HOST + " GPUs per host");
            return new Parsed(new FleetSpec(s, hosts + " hosts of " + gpus + " GPUs, " + perRack + " hosts per rack",
                    List.of(cluster("pool", hosts, gpus, perRack))), false);
        }
        Matcher g = GPUS.matcher(s);
        if (g.matches()) {
            int n = positive(g.group(1), "GPUs", s);
            // counting only: whole hosts of the largest size <= 64 that divides n, all in one rack
            int per = 1;
            for (int d = Math.min(n, ClusterSpec.MAX_GPUS_PER_HOST); d >= 1; d--) if (n % d == 0) { per = d; break; }
            int hosts = n / per;
            return new Parsed(new FleetSpec(s, "a flat pool of " + n + " GPUs", List.of(cluster("pool", hosts, per, hosts))), true);
        }
        if (s.startsWith("hosts:") || s.startsWith("gpus:"))
            throw new IllegalArgumentException("fleet '" + s + "': expected hosts:NxG, hosts:NxG:R or gpus:N");
        return new Parsed(FleetFiles.load(s), false);
    }

    private static ClusterSpec cluster(String name, int hosts, int gpus, int perRack) {
        // figures for an inline pool are placeholders: a replay measures time, not cost
        return new ClusterSpec(name, name, "H100-SXM", hosts, gpus, perRack, 100_000, 400, 1, 0, 0, 1000);
    }

    private static int positive(String v, String what, String s) {
        try {
            int n = Integer.parseInt(v);
            if (n < 1 || n > 1_000_000) throw new NumberFormatException();
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("fleet '" + s + "': " + what + " must be in [1, 1000000], got " + v);
        }
    }
}
