package gpufleet.sim.preset;

import gpufleet.core.failure.FailureCause;
import gpufleet.core.failure.FailureModel;
import gpufleet.core.topology.GpuCatalog;
import gpufleet.core.topology.GpuType;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Failure model files: the built-in presets and the user's own YAML or JSON files, read into a
 * {@link FailureModel}. The format is documented in docs/failure-format.md; in short:
 *
 * <pre>
 * name: my-failures
 * exposure: {days: 54, gpus: 16384, hosts: 2048}   # denominators for causes given as counts
 * total: {perHostDay: 0.0065, gpusPerHost: 8}      # a rate that causes given as shares divide
 * causes:
 *   - {name: gpu, scope: gpu, count: 190, repair: 72h, source: ...}
 *   - {name: ib-link, scope: host, share: 0.3, repair: 4h, source: ...}
 * lemons: {share: 0.012, factor: 10}
 * jobStart: {perHost: 0.0001, within: 10m}
 * </pre>
 *
 * Like {@link FleetFiles}, every problem is a {@link PresetFileException} naming the file, the field
 * path and what is wrong.
 */
public final class FailureFiles {
    /** The built-in presets; the first is the default. */
    public static final List<String> PRESETS = List.of("llama3", "rsc-1", "rsc-2");

    static final String DIR = "gpufleet/presets/failures/";

    private static final List<String> TOP = List.of("name", "description", "exposure", "total", "causes", "lemons",
            "jobStart", "source");
    private static final List<String> EXPOSURE = List.of("days", "gpus", "hosts");
    private static final List<String> TOTAL = List.of("perHostDay", "gpusPerHost", "source");
    private static final List<String> CAUSE = List.of("name", "scope", "rate", "count", "share", "repair", "planned",
            "gpuTypes", "source");
    private static final List<String> LEMONS = List.of("share", "factor", "source");
    private static final List<String> JOB_START = List.of("perHost", "within", "source");

    private static final double DAY = 86_400;

    private FailureFiles() {}

    /** A preset by name, or a failure model file by path (.yaml, .yml or .json). */
    public static FailureModel load(String nameOrPath) {
        Sources.Text t = Sources.resolve(nameOrPath, "failure model", DIR, PRESETS);
        return parse(t.text(), t.source());
    }

    /** Every built-in preset with its headline rates. */
    public static List<FailurePresetInfo> presets() {
        return PRESETS.stream().map(n -> FailurePresetInfo.of(n, load(n))).toList();
    }

    /** The preset file exactly as shipped, comments included. */
    public static String presetText(String name) {
        return Sources.preset(name, "failure model", DIR, PRESETS).text();
    }

    /** Parses failure model text; {@code source} names it in messages and picks JSON (.json) or YAML. */
    public static FailureModel parse(String text, String source) {
        Node root = Sources.parse(text, source).object(TOP);
        String name = root.has("name") ? root.get("name").text() : Sources.defaultName(source);
        String description = root.has("description") ? root.get("description").text() : "";
        Node exposure = root.get("exposure");
        if (!exposure.isMissing()) exposure.object(EXPOSURE);
        Node total = root.get("total");
        if (!total.isMissing()) total.object(TOTAL);
        Node causesNode = root.require("causes");
        List<Node> items = causesNode.list();
        var causes = new ArrayList<FailureCause>(items.size());
        Map<String, String> seen = new HashMap<>();
        double shares = 0;
        Node lastShare = null;
        for (Node c : items) {
            c.object(CAUSE);
            FailureCause cause = cause(c, exposure, total);
            String earlier = seen.putIfAbsent(cause.name(), c.path());
            if (earlier != null)
                throw c.get("name").error("cause name '" + cause.name() + "' is already used by " + earlier);
            if (c.has("share")) {
                shares += c.get("share").number(0, false, 1);
                lastShare = c.get("share");
            }
            causes.add(cause);
        }
        if (lastShare != null && Math.abs(shares - 1) > 1e-6)
            throw lastShare.error(String.format(Locale.ROOT,
                    "the causes' shares of total.perHostDay add up to %.4f; they must add up to 1", shares));
        var h = heterogeneity(root.get("lemons"), root.get("jobStart"));
        try {
            return new FailureModel(name, description, causes, h);
        } catch (IllegalArgumentException e) {
            throw root.error(e.getMessage());
        }
    }

    private static FailureCause cause(Node c, Node exposure, Node total) {
        String name = c.require("name").text();
        Node scopeNode = c.require("scope");
        FailureCause.Scope scope = switch (scopeNode.text().toLowerCase(Locale.ROOT)) {
            case "gpu" -> FailureCause.Scope.GPU;
            case "host" -> FailureCause.Scope.HOST;
            case "job" -> FailureCause.Scope.JOB;
            default -> throw scopeNode.error("unknown scope '" + scopeNode.text() + "'; use gpu (one GPU fails), host "
                    + "(the whole host goes down) or job (the job fails, the hardware stays healthy)");
        };
        int given = (c.has("rate") ? 1 : 0) + (c.has("count") ? 1 : 0) + (c.has("share") ? 1 : 0);
        if (given == 0) throw c.error("missing the cause's rate: give one of 'rate' (per " + unit(scope)
                + "-day), 'count' (events over the file's exposure) or 'share' (of total.perHostDay)");
        if (given > 1) throw c.error("give only one of 'rate', 'count' and 'share'");
        double rate;
        if (c.has("rate")) {
            rate = c.get("rate").number(0, false, 1);
        } else if (c.has("count")) {
            if (exposure.isMissing())
                throw c.get("count").error("a count needs 'exposure' at the top of the file (days and "
                        + (scope == FailureCause.Scope.HOST ? "hosts" : "gpus") + " it was counted over)");
            double count = c.get("count").number(0, false, 1e12);
            double days = exposure.require("days").number(0, true, 36_500);
            String unitKey = scope == FailureCause.Scope.HOST ? "hosts" : "gpus";
            long units = exposure.require(unitKey).integer(1, 100_000_000);
            rate = count / (days * units);
        } else {
            if (total.isMissing())
                throw c.get("share").error("a share needs 'total' at the top of the file (perHostDay, and gpusPerHost "
                        + "for gpu- and job-scope causes)");
            double share = c.get("share").number(0, false, 1);
            double perHostDay = total.require("perHostDay").number(0, false, 100);
            rate = scope == FailureCause.Scope.HOST ? perHostDay * share
                    : perHostDay * share / total.require("gpusPerHost").intValue(1, 64);
        }
        if (rate > 1) throw c.error("the rate comes to " + new java.math.BigDecimal(rate, new java.math.MathContext(4))
                .stripTrailingZeros().toPlainString() + " per " + unit(scope) + "-day; it must be at most 1");
        double repairHours = 0;
        if (c.has("repair")) {
            repairHours = c.get("repair").seconds(0, false, 365 * DAY) / 3600;
            if (scope == FailureCause.Scope.JOB && repairHours > 0)
                throw c.get("repair").error("a job-scope cause breaks no hardware, so it has no repair time");
        } else if (scope != FailureCause.Scope.JOB) {
            throw c.error("missing required field 'repair' (how long the failed " + unit(scope) + " is out, e.g. 72h)");
        }
        boolean planned = c.has("planned") && bool(c.get("planned"));
        var factors = new LinkedHashMap<String, Double>();
        if (c.has("gpuTypes"))
            for (var e : c.get("gpuTypes").entries()) {
                String type = GpuCatalog.find(e.getKey()).map(GpuType::name).orElseThrow(() -> e.getValue().error(
                        "unknown GPU type '" + e.getKey() + "'; known: "
                                + GpuCatalog.all().stream().map(GpuType::name).collect(Collectors.joining(", "))));
                factors.put(type, e.getValue().number(0, false, 1000));
            }
        String src = c.has("source") ? c.get("source").text() : "";
        try {
            return new FailureCause(name, scope, rate, repairHours, planned, src, factors);
        } catch (IllegalArgumentException e) {
            throw c.error(e.getMessage());
        }
    }

    private static FailureModel.Heterogeneity heterogeneity(Node lemons, Node start) {
        double share = 0, factor = 1, perHost = 0, within = 0;
        var src = new StringBuilder();
        if (!lemons.isMissing()) {
            lemons.object(LEMONS);
            share = lemons.require("share").number(0, false, 0.5);
            factor = lemons.require("factor").number(1, false, 10_000);
            if (lemons.has("source")) src.append("lemons: ").append(lemons.get("source").text());
        }
        if (!start.isMissing()) {
            start.object(JOB_START);
            perHost = start.require("perHost").number(0, false, 0.5);
            within = start.require("within").seconds(0, perHost > 0, DAY);
            if (start.has("source")) src.append(src.isEmpty() ? "" : "; ").append("job start: ").append(start.get("source").text());
        }
        return new FailureModel.Heterogeneity(share, factor, perHost, within, src.toString());
    }

    private static String unit(FailureCause.Scope s) {
        return s == FailureCause.Scope.HOST ? "host" : "GPU";
    }

    private static boolean bool(Node n) {
        String s = n.text();
        if (s.equalsIgnoreCase("true")) return true;
        if (s.equalsIgnoreCase("false")) return false;
        throw n.error("expected true or false, got '" + s + "'");
    }
}
