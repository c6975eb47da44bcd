package gpufleet.sim.preset;

import gpufleet.core.topology.ClusterSpec;
import gpufleet.core.topology.FleetSpec;
import gpufleet.core.topology.GpuCatalog;
import gpufleet.core.topology.GpuType;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Fleet files: the built-in presets and the user's own YAML or JSON files, read into a
 * {@link FleetSpec}. The format is documented in docs/fleet-format.md; in short:
 *
 * <pre>
 * name: my-fleet
 * description: one line
 * defaults:              # any cluster field except name; clusters inherit what they do not set
 *   gpuType: H100-SXM
 *   gpusPerHost: 8
 * clusters:
 *   - name: a
 *     hosts: 3072
 *     ...
 * </pre>
 *
 * Files are parsed once, at the edge, into validated records. Every problem is a
 * {@link PresetFileException} naming the file, the field path and what is wrong; unknown fields are
 * errors, so a misspelt key never silently falls back to a default.
 */
public final class FleetFiles {
    /** The built-in presets, smallest first. */
    public static final List<String> PRESETS =
            List.of("lab-64", "h100-24k-roce", "h100-24k-ib", "h100-100k", "fleet-350k", "fleet-600k", "philly-vcs");

    static final String DIR = "gpufleet/presets/fleets/";

    private static final List<String> TOP = List.of("name", "description", "defaults", "clusters");
    private static final List<String> CLUSTER = List.of("name", "datacenter", "gpuType", "hosts", "gpusPerHost",
            "hostsPerRack", "racksPerZone", "nicGbpsPerGpu", "spineOversubscription", "spareHosts", "gpuHourUsd",
            "wattsPerGpu");
    private static final List<String> DEFAULTS = CLUSTER.subList(1, CLUSTER.size());

    private FleetFiles() {}

    /** A preset by name, or a fleet file by path (.yaml, .yml or .json). */
    public static FleetSpec load(String nameOrPath) {
        Sources.Text t = Sources.resolve(nameOrPath, "fleet", DIR, PRESETS);
        return parse(t.text(), t.source());
    }

    /** Every built-in preset with its totals. */
    public static List<PresetInfo> presets() {
        return PRESETS.stream().map(n -> PresetInfo.of(n, load(n))).toList();
    }

    /** The preset file exactly as shipped, comments included: a starting point for a user's own file. */
    public static String presetText(String name) {
        return Sources.preset(name, "fleet", DIR, PRESETS).text();
    }

    /**
     * Parses fleet text. {@code source} names the text in messages and picks the syntax: JSON when it
     * ends in {@code .json}, YAML otherwise; a file without {@code name:} is named after it.
     */
    public static FleetSpec parse(String text, String source) {
        Node root = Sources.parse(text, source).object(TOP);
        String name = root.has("name") ? root.get("name").text() : Sources.defaultName(source);
        String description = root.has("description") ? root.get("description").text() : "";
        Node defaults = root.get("defaults");
        if (!defaults.isMissing()) defaults.object(DEFAULTS);
        List<Node> items = root.require("clusters").list();
        if (items.isEmpty()) throw root.get("clusters").error("a fleet needs at least one cluster");
        var clusters = new ArrayList<ClusterSpec>(items.size());
        Map<String, String> seen = new HashMap<>();
        for (Node c : items) {
            c.object(CLUSTER);
            ClusterSpec spec = cluster(c, defaults);
            String earlier = seen.putIfAbsent(spec.name(), c.path());
            if (earlier != null)
                throw c.get("name").error("cluster name '" + spec.name() + "' is already used by " + earlier);
            clusters.add(spec);
        }
        try {
            return new FleetSpec(name, description, clusters);
        } catch (IllegalArgumentException e) {
            throw root.error(e.getMessage());
        }
    }

    private static ClusterSpec cluster(Node c, Node defaults) {
        String name = c.require("name").text();
        Node dc = field(c, defaults, "datacenter");
        String datacenter = dc.isMissing() ? name : dc.text();
        String gpuType = gpuType(required(c, defaults, "gpuType"));
        int hosts = required(c, defaults, "hosts").intValue(1, 1_000_000);
        int gpusPerHost = required(c, defaults, "gpusPerHost").intValue(1, ClusterSpec.MAX_GPUS_PER_HOST);
        int hostsPerRack = required(c, defaults, "hostsPerRack").intValue(1, 4096);
        int racksPerZone = required(c, defaults, "racksPerZone").intValue(1, 100_000);
        double nic = required(c, defaults, "nicGbpsPerGpu").number(0, true, 1e5);
        double oversub = required(c, defaults, "spineOversubscription").number(1, false, 1000);
        Node spare = field(c, defaults, "spareHosts");
        int spareHosts = spare.isMissing() ? 0 : spare.intValue(0, Integer.MAX_VALUE);
        if (spareHosts >= hosts)
            throw spare.error("must be less than hosts (" + hosts + "): at least one host must run jobs, got " + spareHosts);
        double price = required(c, defaults, "gpuHourUsd").number(0, false, 1000);
        double watts = required(c, defaults, "wattsPerGpu").number(0, true, 1e5);
        try {
            return new ClusterSpec(name, datacenter, gpuType, hosts, gpusPerHost, hostsPerRack, racksPerZone, nic,
                    oversub, spareHosts, price, watts);
        } catch (IllegalArgumentException e) {
            throw c.error(e.getMessage());
        }
    }

    /** The cluster's own value, else the fleet default, else missing. */
    private static Node field(Node c, Node defaults, String key) {
        Node own = c.get(key);
        return own.isMissing() ? defaults.get(key) : own;
    }

    private static Node required(Node c, Node defaults, String key) {
        Node n = field(c, defaults, key);
        if (n.isMissing())
            throw c.error("missing required field '" + key + "' (set it on the cluster or under defaults)");
        return n;
    }

    static String gpuType(Node n) {
        String s = n.text();
        return GpuCatalog.find(s).map(GpuType::name).orElseThrow(() -> n.error("unknown GPU type '" + s + "'; known: "
                + GpuCatalog.all().stream().map(GpuType::name).collect(Collectors.joining(", "))));
    }
}
