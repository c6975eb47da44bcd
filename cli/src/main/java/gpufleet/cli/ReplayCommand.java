package gpufleet.cli;

import gpufleet.core.perf.CommSlowdown;
import gpufleet.core.sched.Policy;
import gpufleet.core.sched.PolicyRegistry;
import gpufleet.sim.preset.FailureFiles;
import gpufleet.sim.replay.Replay;
import gpufleet.sim.replay.ReplayFleets;
import gpufleet.sim.replay.ComparisonPage;
import gpufleet.sim.replay.ReplayTable;
import gpufleet.sim.report.HtmlReport;
import gpufleet.sim.report.ReportWriter;
import gpufleet.sim.trace.Trace;
import gpufleet.sim.trace.TraceFormats;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/** {@code gpufleet replay}: a real trace against several policies, side by side. */
@Command(name = "replay", description = {
        "Replay a real cluster trace against scheduling policies and compare them.",
        "Example: gpufleet replay --trace ../shared/traces/philly/philly_oct2017_first2000.csv --fleet hosts:32x8 --policy fifo,srtf,las,gpufleet"})
final class ReplayCommand implements Callable<Integer> {

    @Option(names = "--trace", required = true, description = "trace file")
    Path trace;

    @Option(names = "--format", defaultValue = "auto", description = "auto, philly, tiresias, alibaba-openb or gpufleet (default: ${DEFAULT-VALUE}, from the header)")
    String format;

    @Option(names = "--fleet", required = true, description = "hosts:NxG[:R] (N hosts of G GPUs, R hosts a rack), gpus:N (a flat pool), or a fleet preset or file (e.g. philly-vcs)")
    String fleet;

    @Option(names = "--policy", split = ",", defaultValue = "fifo,fifo-backfill,sjf,srtf,las,fair,gpufleet",
            description = "policies to compare (default: ${DEFAULT-VALUE}; see `gpufleet policies`)")
    List<String> policies;

    @Option(names = "--las-thresholds", split = ",", description = "LAS queue thresholds in GPU-seconds (default: Tiresias' 3250,7200,18000)")
    List<Double> lasThresholds;

    @Option(names = "--preemption-cost", defaultValue = "0", description = "seconds a preempted job pays to save and restore its state (default: ${DEFAULT-VALUE})")
    double preemptionCost;

    @Option(names = "--slowdown", defaultValue = "default", description = "placement slowdown: default (host=0.3,rack=0.1,zone=0.05), none, or host=..,rack=..,zone=.. (off for gpus:N)")
    String slowdown;

    @Option(names = "--failures", description = "failure model preset or YAML/JSON file (default: none; with it, --failure-scale defaults to 1; see `gpufleet failures`)")
    String failuresModel;

    @Option(names = "--failure-scale", description = "hardware failures at this multiple of the model's rates (default: 0, none, without --failures; 1 with it; the model is llama3 unless --failures names one)")
    Double failureScaleOption;

    double failureScale;

    @Option(names = "--seed", defaultValue = "1")
    long seed;

    @Option(names = {"-o", "--output"}, defaultValue = "table", description = "table or json")
    String output;

    @Option(names = "--out", description = "report folder, one sub-folder per policy (default: runs/replay-<trace>-<fleet>)")
    Path out;

    @Option(names = "--trace-events", description = "write every job's submit, start, preempt, resume and finish times to this CSV")
    Path traceEvents;

    @Override
    public Integer call() throws Exception {
        if (!output.equals("table") && !output.equals("json"))
            throw new IllegalArgumentException("-o must be table or json, got '" + output + "'");
        if (!(preemptionCost >= 0) || preemptionCost > 86_400)
            throw new IllegalArgumentException("--preemption-cost must be in [0, 86400] s, got " + preemptionCost);
        failureScale = failureScaleOption != null ? failureScaleOption : failuresModel != null ? 1 : 0;
        if (!(failureScale >= 0) || failureScale > 1000)
            throw new IllegalArgumentException("--failure-scale must be in [0, 1000], got " + failureScale);
        double[] thresholds = lasThresholds == null ? Policy.TIRESIAS_THRESHOLDS
                : lasThresholds.stream().mapToDouble(Double::doubleValue).toArray();
        List<Policy> pols = new ArrayList<>();
        for (String p : policies) pols.add(PolicyRegistry.get(p.trim(), thresholds));
        Trace t = TraceFormats.read(trace, format);
        var parsed = ReplayFleets.parse(fleet);
        var model = FailureFiles.load(failuresModel != null ? failuresModel : "llama3");
        var replay = new Replay(t, parsed, new Replay.Options(preemptionCost, CommSlowdown.parse(slowdown), failureScale,
                seed, traceEvents != null, model));
        long t0 = System.nanoTime();
        List<Replay.Result> results = runAll(replay, pols);
        double secs = (System.nanoTime() - t0) / 1e9;

        Path dir = out != null ? out : Path.of("runs", "replay-" + stem(trace) + "-" + fleet.replaceAll("[^A-Za-z0-9._-]", "_"));
        for (var r : results) ReportWriter.write(r.report(), dir.resolve(r.policy().name()), HtmlReport.Kind.REPLAY);
        String fleetLine = String.format(Locale.ROOT, "fleet %s: %,d GPUs in %,d hosts%s · preemption cost %.0f s · placement slowdown %s · failures %s",
                fleet, parsed.fleet().gpus(), parsed.fleet().hosts(), parsed.flat() ? " (flat pool)" : "", preemptionCost,
                replay.slowdown(), failureScale == 0 ? "off" : "x" + failureScale);
        Files.createDirectories(dir);
        Files.writeString(dir.resolve(ComparisonPage.FILE), ComparisonPage.render(trace.getFileName().toString(), fleetLine, results));
        if (traceEvents != null) writeEvents(results, traceEvents);
        if (output.equals("json")) {
            System.out.println(ReportWriter.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(json(results, t, replay)));
            return 0;
        }
        var o = System.out;
        o.printf(Locale.ROOT, "trace %s: %s%n", trace, t.summary());
        for (int i = 0; i < Math.min(5, t.problems().size()); i++) o.println("  " + t.problems().get(i));
        if (t.problems().size() > 5) o.printf(Locale.ROOT, "  (%d more noted; -o json lists them)%n", t.problems().size() - 5);
        o.printf(Locale.ROOT, "fleet %s: %,d GPUs in %,d hosts%s | preemption cost %.0f s | placement slowdown %s | failures %s%n",
                fleet, parsed.fleet().gpus(), parsed.fleet().hosts(), parsed.flat() ? " (flat pool)" : "", preemptionCost,
                replay.slowdown(), failureScale == 0 ? "off" : failuresModel == null ? "x" + failureScale
                        : model.name() + (failureScale == 1 ? "" : " x" + failureScale));
        o.println();
        for (String line : ReplayTable.of(results).lines()) o.println(line);
        o.println();
        o.println("JCT: submission to completion. WAIT: all time queued (first wait and after preemptions). ALLOC: mean");
        o.println("share of GPUs allocated until the last completion. 1HOST/1RACK: of the multi-GPU jobs that fit one");
        o.println("host / one rack, the share first placed inside one. FRAG: time-mean share of free GPUs stranded on");
        o.println("partly used hosts.");
        o.println("FAIR: Jain's index over groups' mean slowdown (JCT / run time; 1 = even). BIG_WAIT/BIG_MAX: mean and");
        o.printf(Locale.ROOT, "worst queueing of the largest jobs (%d GPUs). Semantics:%n",
                results.isEmpty() ? 0 : results.getFirst().stats().largestJobsGpus());
        for (var r : results) o.printf(Locale.ROOT, "  %-14s %s%n", r.policy().name(), r.policy().summary());
        o.printf(Locale.ROOT, "replayed %d policies in %.1f s; reports in %s, the policies side by side in %s%n", results.size(), secs,
                dir, dir.resolve(ComparisonPage.FILE));
        return 0;
    }

    private static List<Replay.Result> runAll(Replay replay, List<Policy> pols) throws InterruptedException {
        int threads = Math.max(1, Math.min(pols.size(), Runtime.getRuntime().availableProcessors()));
        try (var pool = Executors.newFixedThreadPool(threads)) {
            List<Future<Replay.Result>> fs = new ArrayList<>();
            for (Policy p : pols) fs.add(pool.submit(() -> replay.run(p)));
            List<Replay.Result> out = new ArrayList<>();
            for (var f : fs) {
                try {
                    out.add(f.get());
                } catch (ExecutionException e) {
                    if (e.getCause() instanceof RuntimeException re) throw re;
                    throw new IllegalStateException(e.getCause());
                }
            }
            return out;
        }
    }

    private List<Map<String, Object>> json(List<Replay.Result> results, Trace t, Replay replay) {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (var r : results) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("policy", r.policy().name());
            m.put("oracle", r.policy().oracle());
            m.put("semantics", r.policy().summary());
            m.put("trace", t.source());
            m.put("traceRows", t.rows());
            m.put("badRows", t.badRows());
            m.put("duplicates", t.duplicates());
            m.put("skipped", t.skipped());
            m.put("problems", t.problems());
            m.put("jobs", r.jobs());
            m.put("unfinished", r.unfinished());
            m.put("rejected", r.rejected());
            m.put("slowdown", replay.slowdown().toString());
            m.put("preemptionCostSec", preemptionCost);
            m.put("stats", r.stats());
            rows.add(m);
        }
        return rows;
    }

    private static void writeEvents(List<Replay.Result> results, Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) Files.createDirectories(parent);
        try (BufferedWriter w = Files.newBufferedWriter(file)) {
            w.write("policy,time,job,name,group,gpus,event,hosts,racks,detail\n");
            for (var r : results)
                for (var e : r.events())
                    w.write(String.format(Locale.ROOT, "%s,%.3f,%d,%s,%s,%d,%s,%d,%d,%s%n", r.policy().name(), e.time(),
                            e.job(), csv(e.name()), csv(e.group()), e.gpus(), e.event(), e.hosts(), e.racks(), csv(e.detail())));
        }
    }

    private static String csv(String s) {
        return s.replace(',', ';').replace('\n', ' ');
    }

    private static String stem(Path p) {
        String n = p.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot > 0 ? n.substring(0, dot) : n;
    }
}
