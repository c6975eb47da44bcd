package gpufleet.cli;

import gpufleet.core.plan.Factors;
import gpufleet.core.plan.Plan;
import gpufleet.core.plan.Planner;
import gpufleet.core.plan.Recompute;
import gpufleet.core.topology.ClusterSpec;
import gpufleet.sim.preset.FailureFiles;
import gpufleet.sim.preset.FleetFiles;
import gpufleet.sim.preset.ModelFiles;
import gpufleet.sim.preset.Units;
import gpufleet.sim.report.ReportWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code gpufleet plan}: the best layouts of a training run, with their time, cost and energy. */
@Command(name = "plan", description = {
        "Plan a training run: search tensor/pipeline/data/context parallelism, micro-batch and recomputation,",
        "keep the layouts that fit in GPU memory, and rank them by expected wall days with failures.",
        "Fix any of --tp --pp --dp --cp --seq-len --micro-batch --global-batch to evaluate rather than search.",
        "Every efficiency factor is named with its source in docs/planner.md and can be overridden."})
final class PlanCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, description = "model preset (llama-8b, llama-70b, llama-405b, gpt3-175b) or YAML/JSON file")
    String model;

    @Option(names = "--tokens", required = true, description = "training tokens, e.g. 15.6T or 2e12")
    String tokens;

    @Option(names = "--fleet", defaultValue = "h100-24k-roce", description = "fleet preset or file (default: ${DEFAULT-VALUE})")
    String fleet;

    @Option(names = "--cluster", description = "cluster of the fleet (default: its largest)")
    String cluster;

    @Option(names = "--gpus", description = "GPUs to use (default: search GPU counts up to the cluster's)")
    Integer gpus;

    @Option(names = "--budget-days", description = "wall-day budget: rank the plans that meet it by cost")
    Double budgetDays;

    @Option(names = "--tp") Integer tp;
    @Option(names = "--pp") Integer pp;
    @Option(names = "--dp") Integer dp;
    @Option(names = "--cp") Integer cp;
    @Option(names = "--seq-len") Integer seqLen;
    @Option(names = "--micro-batch") Integer microBatch;
    @Option(names = "--global-batch", description = "sequences per step (default: about 16M tokens per step)") Integer globalBatch;
    @Option(names = "--interleave", description = "virtual pipeline stages per GPU") Integer interleave;
    @Option(names = "--recompute", description = "none, selective or full (default: search)") String recompute;

    @Option(names = "--gemm-efficiency") Double gemmEfficiency;
    @Option(names = "--nvlink-efficiency") Double nvlinkEfficiency;
    @Option(names = "--nic-efficiency") Double nicEfficiency;
    @Option(names = "--tp-overlap") Double tpOverlap;
    @Option(names = "--cp-overlap") Double cpOverlap;
    @Option(names = "--dp-overlap") Double dpOverlap;
    @Option(names = "--memory-reserve-gb") Double memoryReserveGb;
    @Option(names = "--storage-write-gbps", description = "aggregate checkpoint write bandwidth, GB/s") Double storageWrite;
    @Option(names = "--storage-read-gbps") Double storageRead;
    @Option(names = "--restart-overhead", description = "relaunch time after an interruption, e.g. 10m") String restartOverhead;
    @Option(names = "--staging-gbps", description = "per-GPU rate of an asynchronous checkpoint's blocking copy, GB/s") Double stagingGbps;
    @Option(names = "--async-checkpoint", description = "checkpoints stall only for the copy to host memory and persist in the background") boolean asyncCheckpoint;
    @Option(names = "--failures", defaultValue = "llama3", description = "failure model preset or YAML/JSON file (default: ${DEFAULT-VALUE}; see `gpufleet failures`)") String failuresModel;
    @Option(names = "--failure-scale", defaultValue = "1", description = "multiply the failure model's rates (default: ${DEFAULT-VALUE})") double failureScale;

    @Option(names = "--top", defaultValue = "5") int top;
    @Option(names = {"-o", "--output"}, defaultValue = "table", description = "table or json") String output;
    @Option(names = "--explain", description = "show where each plan's step time goes") boolean explain;

    @Override
    public Integer call() throws Exception {
        if (!output.equals("table") && !output.equals("json"))
            throw new IllegalArgumentException("-o must be table or json, got '" + output + "'");
        if (top < 1 || top > 100) throw new IllegalArgumentException("--top must be in [1, 100], got " + top);
        var m = ModelFiles.load(model);
        double tok;
        try {
            tok = Units.count(tokens);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--tokens: " + e.getMessage());
        }
        var fl = FleetFiles.load(fleet);
        ClusterSpec c = cluster == null
                ? fl.clusters().stream().max(Comparator.comparingInt(ClusterSpec::gpus)).orElseThrow()
                : fl.clusters().stream().filter(x -> x.name().equals(cluster)).findFirst().orElseThrow(() ->
                        new IllegalArgumentException("fleet '" + fl.name() + "' has no cluster '" + cluster + "'; its clusters: "
                                + String.join(", ", fl.clusters().stream().map(ClusterSpec::name).toList())));
        Factors d = Factors.DEFAULT;
        var f = new Factors(or(gemmEfficiency, d.gemmEfficiency()), or(nvlinkEfficiency, d.nvlinkEfficiency()),
                or(nicEfficiency, d.nicEfficiency()), or(tpOverlap, d.tpOverlap()), or(cpOverlap, d.cpOverlap()),
                or(dpOverlap, d.dpOverlap()), or(memoryReserveGb, d.memoryReserveGb()), d.gradReduceBytes(),
                or(storageWrite, d.storageWriteGBps()), or(storageRead, d.storageReadGBps()),
                restartOverhead == null ? d.restartOverheadSec() : Units.seconds(restartOverhead),
                or(stagingGbps, d.stagingGBps()), asyncCheckpoint);
        if (!(failureScale >= 0) || failureScale > 1000)
            throw new IllegalArgumentException("--failure-scale must be in [0, 1000], got " + failureScale);
        var req = new Planner.Request(m, tok, c, gpus, budgetDays, tp, pp, dp, cp, seqLen, microBatch, globalBatch,
                recompute == null ? null : Recompute.parse(recompute), interleave, f,
                FailureFiles.load(failuresModel).scaled(failureScale), top);
        var res = Planner.plan(req);
        if (output.equals("json")) {
            System.out.println(ReportWriter.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(json(req, res)));
            return 0;
        }
        print(System.out, req, res, explain);
        return 0;
    }

    private static double or(Double v, double dflt) {
        return v != null ? v : dflt;
    }

    static void print(PrintStream o, Planner.Request r, Planner.Result res, boolean explain) {
        var c = r.cluster();
        o.printf(Locale.ROOT, "%s (%.1fB parameters) on %s tokens | cluster %s: %,d x %s, %.0f Gb/s per GPU | %,d layouts evaluated, %,d fit%n",
                r.model().name(), r.model().params() / 1e9, count(r.tokens()), c.name(), c.gpus(), c.gpuType(), c.nicGbpsPerGpu(),
                res.evaluated(), res.fitting());
        if (r.budgetDays() != null && !res.budgetMet())
            o.printf(Locale.ROOT, "no layout meets the %.0f-day budget; the fastest are shown%n", r.budgetDays());
        o.printf(Locale.ROOT, "%-3s %-34s %6s %6s %6s %7s %9s %6s %5s %6s %6s %6s %9s %7s %9s%n", "#", "layout", "GPUs",
                "seq", "GB/GPU", "step", "tokens/s", "TFLOPs", "MFU", "days", "ETTR", "w/fail", "GPU-h", "cost", "energy");
        int i = 1;
        for (Plan p : res.plans()) {
            var l = p.layout();
            o.printf(Locale.ROOT, "%-3d %-34s %,6d %6d %6.1f %6.2fs %9s %6.0f %4.1f%% %6.1f %5.1f%% %6.1f %9s %7s %5.1f GWh%n",
                    i++, l.label(), l.gpus(), l.seqLen(), p.memory().totalGb(), p.step().step(), count(p.tokensPerSec()),
                    p.modelTflopsPerGpu(), 100 * p.mfu(), p.idealDays(), 100 * p.ettr(), p.expectedDays(),
                    count(p.gpuHours()), "$" + count(p.costUsd()), p.energyMWh() / 1000);
        }
        Plan best = res.plans().getFirst();
        String ckpt = best.checkpointPersistSec() > 0
                ? String.format(Locale.ROOT, "checkpoint stall %.2f s + %.0f s in the background", best.checkpointWriteSec(),
                        best.checkpointPersistSec())
                : String.format(Locale.ROOT, "checkpoint %.0f s", best.checkpointWriteSec());
        o.printf(Locale.ROOT, "best: global batch %,d x %,d tokens (%s per step), %d micro-batches; %s every %s "
                        + "(Young/Daly), MTBF %.1f h, restart %s, ETTR %.1f%% (failures: %s)%n",
                best.layout().globalBatch(), best.layout().seqLen(), count(best.layout().tokensPerStep()),
                best.layout().microBatches(), ckpt, Fmt.duration(best.checkpointIntervalSec()),
                best.mtbfHours(), Fmt.duration(best.restartSec()), 100 * best.ettr(), r.failures().name());
        if (explain) {
            o.println("where a step's time goes (seconds; model FLOPs exclude recomputation):");
            o.printf(Locale.ROOT, "%-3s %8s %8s %8s %8s %8s %8s %8s %8s%n", "#", "compute", "TP comm", "CP comm", "PP p2p",
                    "bubble", "DP red.", "ckpt", "total");
            i = 1;
            for (Plan p : res.plans()) {
                var s = p.step();
                double ck = p.checkpointSecPerStep();
                o.printf(Locale.ROOT, "%-3d %8.2f %8.2f %8.2f %8.2f %8.2f %8.2f %8.2f %8.2f%n", i++, s.compute(), s.tpComm(),
                        s.cpComm(), s.ppComm(), s.bubble(), s.dpExposed(), ck, s.step() + ck);
            }
            o.println("  DP red. is the exposed part of the gradient reduce-scatter and weight all-gather; ckpt is the");
            o.println("  checkpoint stall averaged per step. Factors and their sources: docs/planner.md.");
        }
    }

    static String count(double v) {
        double a = Math.abs(v);
        if (a >= 1e12) return String.format(Locale.ROOT, "%.1fT", v / 1e12);
        if (a >= 1e9) return String.format(Locale.ROOT, "%.1fB", v / 1e9);
        if (a >= 1e6) return String.format(Locale.ROOT, "%.1fM", v / 1e6);
        if (a >= 1e4) return String.format(Locale.ROOT, "%.0fK", v / 1e3);
        return String.format(Locale.ROOT, "%.0f", v);
    }

    private static Map<String, Object> json(Planner.Request r, Planner.Result res) {
        var out = new LinkedHashMap<String, Object>();
        out.put("model", r.model().name());
        out.put("params", r.model().params());
        out.put("tokens", r.tokens());
        out.put("cluster", r.cluster().name());
        out.put("gpuType", r.cluster().gpuType());
        out.put("evaluated", res.evaluated());
        out.put("fitting", res.fitting());
        if (r.budgetDays() != null) {
            out.put("budgetDays", r.budgetDays());
            out.put("budgetMet", res.budgetMet());
        }
        out.put("factors", r.factors());
        out.put("failureModel", r.failures().name());
        List<Object> plans = new ArrayList<>();
        for (Plan p : res.plans()) {
            var m = new LinkedHashMap<String, Object>();
            m.put("layout", p.layout());
            m.put("gpus", p.layout().gpus());
            m.put("memoryGb", Map.of("weights", p.memory().weightsGb(), "grads", p.memory().gradsGb(),
                    "optimizer", p.memory().optimizerGb(), "activations", p.memory().activationsGb(),
                    "logits", p.memory().logitsGb(), "total", p.memory().totalGb()));
            var s = p.step();
            var step = new LinkedHashMap<String, Object>();
            step.put("total", s.step());
            step.put("compute", s.compute());
            step.put("tpComm", s.tpComm());
            step.put("cpComm", s.cpComm());
            step.put("ppComm", s.ppComm());
            step.put("bubble", s.bubble());
            step.put("dpExposed", s.dpExposed());
            step.put("checkpointPerStep", p.checkpointSecPerStep());
            m.put("stepSeconds", step);
            m.put("tokensPerSec", p.tokensPerSec());
            m.put("modelTflopsPerGpu", p.modelTflopsPerGpu());
            m.put("hardwareTflopsPerGpu", p.hardwareTflopsPerGpu());
            m.put("mfu", p.mfu());
            m.put("idealDays", p.idealDays());
            m.put("mtbfHours", p.mtbfHours());
            m.put("checkpointWriteSec", p.checkpointWriteSec());
            m.put("checkpointPersistSec", p.checkpointPersistSec());
            m.put("checkpointIntervalSec", p.checkpointIntervalSec());
            m.put("restartSec", p.restartSec());
            m.put("ettr", p.ettr());
            m.put("expectedDays", p.expectedDays());
            m.put("gpuHours", p.gpuHours());
            m.put("costUsd", p.costUsd());
            m.put("energyMWh", p.energyMWh());
            plans.add(m);
        }
        out.put("plans", plans);
        return out;
    }
}
