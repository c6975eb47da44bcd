package gpufleet.sim.preset;

import gpufleet.core.failure.CheckpointCost;
import gpufleet.core.job.CheckpointPolicy;
import gpufleet.core.job.JobSpec;
import gpufleet.core.job.Parallelism;
import gpufleet.core.job.Priority;
import gpufleet.core.job.Recovery;
import gpufleet.core.job.Work;
import gpufleet.core.topology.ClusterSpec;
import gpufleet.sim.workload.StreamSpec;
import gpufleet.sim.workload.WorkloadSpec;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Workload files: the built-in presets and the user's own YAML or JSON files, read into a
 * {@link WorkloadSpec}. The format is documented in docs/workload-format.md; in short:
 *
 * <pre>
 * name: my-workload
 * days: 30
 * quotas: {vision: 2048}
 * jobs:
 *   - {name: big, team: llm, gpus: 16384, tp: 8, pp: 16, model: {params: 405B, tokens: 15.6T, mfu: 0.41}}
 * streams:
 *   - name: research
 *     load: 0.85
 *     teams: {llm: 3, vision: 2}
 *     sizes:
 *       - {gpus: 8, tp: 8, weight: 1970, median: 6.58h, sigma: 1.84}
 * </pre>
 *
 * Like {@link FleetFiles}, every problem is a {@link PresetFileException} naming the file, the field
 * path and what is wrong.
 */
public final class WorkloadFiles {
    /** The built-in presets. */
    public static final List<String> PRESETS = List.of("llama3-405b", "llama3-405b-goodput", "research-mix", "default");

    static final String DIR = "gpufleet/presets/workloads/";

    private static final List<String> TOP = List.of("name", "description", "days", "quotas", "jobs", "streams");
    private static final List<String> JOB = List.of("name", "team", "gpus", "tp", "pp", "cp", "dp", "duration", "model",
            "checkpoint", "restartOverhead", "recovery", "priority", "submit", "gpuType", "maxRestarts");
    private static final List<String> RECOVERY = List.of("detection", "reschedule", "init", "initPerHost", "swap",
            "partial", "spares");
    private static final List<String> MODEL = List.of("params", "tokens", "mfu");
    private static final List<String> CHECKPOINT = List.of("interval", "write", "restore", "persist", "state", "async",
            "storage");
    private static final List<String> STORAGE = List.of("write", "read", "staging");
    private static final List<String> STREAM = List.of("name", "load", "teams", "sizes", "checkpoint", "restartOverhead",
            "maxRestarts", "userFailures", "source");
    private static final List<String> SIZE = List.of("gpus", "tp", "weight", "median", "sigma", "priority");

    /** Interruptions a job tolerates when its entry does not say. */
    public static final int DEFAULT_MAX_RESTARTS = 10;

    private static final double DAY = 86_400;

    private WorkloadFiles() {}

    /** A preset by name, or a workload file by path (.yaml, .yml or .json). */
    public static WorkloadSpec load(String nameOrPath) {
        Sources.Text t = Sources.resolve(nameOrPath, "workload", DIR, PRESETS);
        return parse(t.text(), t.source());
    }

    /** Every built-in preset with a summary. */
    public static List<WorkloadPresetInfo> presets() {
        return PRESETS.stream().map(n -> WorkloadPresetInfo.of(n, load(n))).toList();
    }

    /** The preset file exactly as shipped, comments included. */
    public static String presetText(String name) {
        return Sources.preset(name, "workload", DIR, PRESETS).text();
    }

    /** Parses workload text; {@code source} names it in messages and picks JSON (.json) or YAML. */
    public static WorkloadSpec parse(String text, String source) {
        Node root = Sources.parse(text, source).object(TOP);
        String name = root.has("name") ? root.get("name").text() : Sources.defaultName(source);
        String description = root.has("description") ? root.get("description").text() : "";
        double days = days(root.require("days"));
        Map<String, Integer> quotas = new LinkedHashMap<>();
        if (root.has("quotas"))
            for (var e : root.get("quotas").entries()) quotas.put(e.getKey(), e.getValue().intValue(0, 100_000_000));
        var jobs = new ArrayList<JobSpec>();
        if (root.has("jobs")) {
            List<Node> items = root.get("jobs").list();
            for (int i = 0; i < items.size(); i++) jobs.add(job(items.get(i), i));
        }
        var streams = new ArrayList<StreamSpec>();
        if (root.has("streams")) for (Node s : root.get("streams").list()) streams.add(stream(s));
        if (jobs.isEmpty() && streams.isEmpty()) throw root.error("a workload needs at least one job or stream");
        try {
            return new WorkloadSpec(name, description, days, jobs, streams, quotas);
        } catch (IllegalArgumentException e) {
            throw root.error(e.getMessage());
        }
    }

    /** A number of days, or a duration with a unit ({@code 54d}, {@code 8w}). */
    private static double days(Node n) {
        boolean withUnit = n.isString() && !n.text().matches("[0-9_.eE+-]+");
        return withUnit ? n.seconds(0, true, 3650 * DAY) / DAY : n.number(0, true, 3650);
    }

    private static JobSpec job(Node j, int index) {
        j.object(JOB);
        String name = j.has("name") ? j.get("name").text() : "job-" + index;
        String team = j.has("team") ? j.get("team").text() : "default";
        Node gpusNode = j.require("gpus");
        int gpus = gpusNode.intValue(1, 10_000_000);
        int tp = optInt(j, "tp", 1, 1, ClusterSpec.MAX_GPUS_PER_HOST);
        int pp = optInt(j, "pp", 1, 1, 1_000_000);
        int cp = optInt(j, "cp", 1, 1, 1_000_000);
        long group = (long) tp * pp * cp;
        if (gpus % group != 0)
            throw gpusNode.error("gpus (" + gpus + ") must be a multiple of tp x pp x cp (" + tp + " x " + pp + " x " + cp
                    + " = " + group + ")");
        Parallelism par = Parallelism.of(gpus, tp, pp, cp);
        if (j.has("dp")) {
            Node dp = j.get("dp");
            if (dp.intValue(1, 10_000_000) != par.dp())
                throw dp.error("dp is derived as gpus / (tp x pp x cp) = " + par.dp() + ", but the file says " + dp.text());
        }
        Work work = work(j);
        CheckpointPolicy ckpt = j.has("checkpoint") ? checkpoint(j.get("checkpoint"), work, gpus) : CheckpointPolicy.NONE;
        double restart = j.has("restartOverhead") ? j.get("restartOverhead").seconds(0, false, DAY) : 0;
        int priority = j.has("priority") ? priority(j.get("priority")) : Priority.NORMAL;
        double submit = j.has("submit") ? j.get("submit").seconds(0, false, 3650 * DAY) : 0;
        String gpuType = j.has("gpuType") ? FleetFiles.gpuType(j.get("gpuType")) : null;
        int maxRestarts = optInt(j, "maxRestarts", DEFAULT_MAX_RESTARTS, 0, Integer.MAX_VALUE);
        Recovery recovery = null;
        if (j.has("recovery")) {
            if (j.has("restartOverhead"))
                throw j.get("restartOverhead").error("give either 'restartOverhead' or 'recovery' (its parts), not both");
            recovery = recovery(j.get("recovery"));
            restart = recovery.fresh(0); // the part that does not grow with the hosts
        }
        try {
            return new JobSpec(name, team, par, work, ckpt, Math.min(restart, DAY), priority, submit, gpuType, maxRestarts,
                    null, recovery);
        } catch (IllegalArgumentException e) {
            throw j.error(e.getMessage());
        }
    }

    /** A job's restart in parts; see {@link Recovery}. */
    private static Recovery recovery(Node r) {
        r.object(RECOVERY);
        double detection = r.has("detection") ? r.get("detection").seconds(0, false, DAY) : 0;
        double reschedule = r.has("reschedule") ? r.get("reschedule").seconds(0, false, DAY) : 0;
        double init = r.has("init") ? r.get("init").seconds(0, false, DAY) : 0;
        double perHost = r.has("initPerHost") ? r.get("initPerHost").seconds(0, false, DAY) : 0;
        double swap = r.has("swap") ? r.get("swap").seconds(0, false, DAY) : 0;
        boolean partial = r.has("partial") && bool(r.get("partial"));
        int spares = Recovery.FLEET_SPARES;
        if (r.has("spares")) {
            Node n = r.get("spares");
            spares = n.isString() && n.text().equalsIgnoreCase("auto") ? Recovery.AUTO_SPARES : n.intValue(0, 1_000_000);
        }
        return new Recovery(detection, reschedule, init, perHost, swap, partial, spares);
    }

    private static Work work(Node j) {
        boolean hasDuration = j.has("duration"), hasModel = j.has("model");
        if (hasDuration && hasModel) throw j.error("give either 'duration' or 'model', not both");
        if (hasDuration) return new Work.Fixed(j.get("duration").seconds(0, true, 20 * 365 * DAY));
        if (!hasModel) throw j.error("missing required field 'duration' or 'model' (how long the job trains)");
        Node m = j.get("model").object(MODEL);
        double params = m.require("params").count(1e6, 1e15);
        double tokens = m.require("tokens").count(1e6, 1e17);
        double mfu = m.require("mfu").number(0, true, 1);
        return new Work.Training(params, tokens, mfu);
    }

    /**
     * {@code {interval, write, restore, persist}} in seconds, or {@code {interval, state, async,
     * storage}} priced by {@link CheckpointCost#of} from the job's parameters; interval {@code auto}
     * or 0 asks for the Young/Daly optimum; {@code none}: never. {@code work} and {@code gpus} are
     * the job's, or null and 0 for a stream, whose checkpoints must be given in seconds.
     */
    private static CheckpointPolicy checkpoint(Node c, Work work, int gpus) {
        if (c.isString() && c.text().equalsIgnoreCase("none")) return CheckpointPolicy.NONE;
        c.object(CHECKPOINT);
        if (c.has("state")) return modelCheckpoint(c, work, gpus);
        for (String k : List.of("async", "storage"))
            if (c.has(k)) throw c.get(k).error("'" + k + "' prices a checkpoint from its 'state'; give 'state' (model, "
                    + "or a parameter count such as 405B) or leave '" + k + "' out and give write, restore and persist");
        double interval = 0;
        Node i = c.get("interval");
        if (!i.isMissing() && !(i.isString() && i.text().equalsIgnoreCase("auto"))) {
            interval = i.seconds(0, false, 365 * DAY);
            if (interval > 0 && interval < 1) throw i.error("must be 0 or auto (automatic) or at least 1 s, got " + i.text());
        }
        double write = c.has("write") ? c.get("write").seconds(0, false, DAY) : 0;
        double restore = c.has("restore") ? c.get("restore").seconds(0, false, DAY) : 0;
        double persist = c.has("persist") ? c.get("persist").seconds(0, false, DAY) : 0;
        return new CheckpointPolicy(interval, write, restore, persist);
    }

    private static double interval(Node c) {
        Node i = c.get("interval");
        if (i.isMissing() || (i.isString() && i.text().equalsIgnoreCase("auto"))) return 0;
        double interval = i.seconds(0, false, 365 * DAY);
        if (interval > 0 && interval < 1) throw i.error("must be 0 or auto (automatic) or at least 1 s, got " + i.text());
        return interval;
    }

    /** A checkpoint priced by {@link CheckpointCost#of}: the model's state through the given storage. */
    private static CheckpointPolicy modelCheckpoint(Node c, Work work, int gpus) {
        for (String k : List.of("write", "restore", "persist"))
            if (c.has(k)) throw c.get(k).error("give either 'state' (the times follow from the model and the storage) or '"
                    + k + "' in seconds, not both");
        if (gpus == 0) throw c.get("state").error("a stream's checkpoints are given in seconds (write, restore, persist): "
                + "its jobs name no model");
        Node st = c.get("state");
        double params;
        if (st.isString() && st.text().equalsIgnoreCase("model")) {
            if (!(work instanceof Work.Training t))
                throw st.error("'state: model' needs the job's 'model' (its params); this job gives a duration, so "
                        + "give the parameter count instead, e.g. state: 70B");
            params = t.params();
        } else {
            params = st.count(1e6, 1e15);
        }
        var d = CheckpointCost.Storage.DEFAULT;
        double write = d.writeGBps(), read = d.readGBps(), staging = d.stagingGBps();
        if (c.has("storage")) {
            Node s = c.get("storage").object(STORAGE);
            if (s.has("write")) write = s.get("write").number(0, true, 1e7);
            if (s.has("read")) read = s.get("read").number(0, true, 1e7);
            if (s.has("staging")) staging = s.get("staging").number(0, true, 1e7);
        }
        boolean async = c.has("async") && bool(c.get("async"));
        var cost = CheckpointCost.of(params, gpus, new CheckpointCost.Storage(write, read, staging, async));
        try {
            return new CheckpointPolicy(interval(c), cost.stallSec(), cost.restoreSec(), cost.persistSec());
        } catch (IllegalArgumentException e) {
            throw c.error(e.getMessage());
        }
    }

    private static boolean bool(Node n) {
        String s = n.text();
        if (s.equalsIgnoreCase("true")) return true;
        if (s.equalsIgnoreCase("false")) return false;
        throw n.error("expected true or false, got '" + s + "'");
    }

    private static int priority(Node n) {
        try {
            return Priority.parse(n.text());
        } catch (IllegalArgumentException e) {
            throw n.error(e.getMessage());
        }
    }

    private static StreamSpec stream(Node s) {
        s.object(STREAM);
        String name = s.has("name") ? s.get("name").text() : "stream";
        double load = s.require("load").number(0, true, 5);
        var teams = new ArrayList<StreamSpec.Weighted>();
        Node teamsNode = s.require("teams");
        for (var e : teamsNode.entries())
            teams.add(new StreamSpec.Weighted(e.getKey(), e.getValue().number(0, true, 1e12)));
        if (teams.isEmpty()) throw teamsNode.error("a stream needs at least one team");
        var sizes = new ArrayList<StreamSpec.SizeClass>();
        Node sizesNode = s.require("sizes");
        for (Node z : sizesNode.list()) sizes.add(size(z));
        if (sizes.isEmpty()) throw sizesNode.error("a stream needs at least one size class");
        CheckpointPolicy ckpt = s.has("checkpoint") ? checkpoint(s.get("checkpoint"), null, 0) : new CheckpointPolicy(0, 0, 0);
        if (ckpt.persistSec() > 0)
            throw s.get("checkpoint").get("persist").error("a stream's checkpoints are synchronous; 'persist' is for jobs");
        double userFailures = s.has("userFailures") ? s.get("userFailures").number(0, false, 1) : 0;
        double restart = s.has("restartOverhead") ? s.get("restartOverhead").seconds(0, false, DAY) : 0;
        int maxRestarts = optInt(s, "maxRestarts", DEFAULT_MAX_RESTARTS, 0, Integer.MAX_VALUE);
        String src = s.has("source") ? s.get("source").text() : "";
        try {
            return new StreamSpec(name, load, teams, sizes, ckpt.intervalSec(), ckpt.writeSec(), ckpt.restoreSec(),
                    restart, maxRestarts, src, userFailures);
        } catch (IllegalArgumentException e) {
            throw s.error(e.getMessage());
        }
    }

    private static StreamSpec.SizeClass size(Node z) {
        z.object(SIZE);
        Node gpusNode = z.require("gpus");
        int gpus = gpusNode.intValue(1, 1_000_000);
        Node tpNode = z.get("tp");
        int tp = tpNode.isMissing() ? 1 : tpNode.intValue(1, ClusterSpec.MAX_GPUS_PER_HOST);
        if (gpus % tp != 0) throw tpNode.error("tp (" + tp + ") must divide gpus (" + gpus + ")");
        double weight = z.require("weight").number(0, true, 1e12);
        double medianHours = z.require("median").seconds(0, true, 365 * DAY) / 3600;
        double sigma = z.require("sigma").number(0, false, 5);
        String priority = z.has("priority") ? Priority.name(priority(z.get("priority"))) : Priority.name(Priority.NORMAL);
        try {
            return new StreamSpec.SizeClass(gpus, tp, weight, medianHours, sigma, priority);
        } catch (IllegalArgumentException e) {
            throw z.error(e.getMessage());
        }
    }

    private static int optInt(Node parent, String key, int dflt, int lo, int hi) {
        Node n = parent.get(key);
        return n.isMissing() ? dflt : n.intValue(lo, hi);
    }
}
