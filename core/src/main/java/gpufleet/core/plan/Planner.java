package gpufleet.core.plan;

import gpufleet.core.failure.CheckpointCost;
import gpufleet.core.failure.Checkpointing;
import gpufleet.core.job.CheckpointPolicy;
import gpufleet.core.failure.FailureModel;
import gpufleet.core.topology.ClusterSpec;
import gpufleet.core.topology.GpuType;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * Searches layouts of a training run on one cluster and ranks the ones that fit in GPU memory.
 *
 * <p>The search space: TP in {1, 2, 4, 8} (at most a host's GPUs, dividing the heads), PP in
 * {1, 2, 4, 8, 16, 32} (at most the layers), interleaving in {1, 2, 4, 8} virtual stages (at most
 * a stage's layers, and only with at least {@code pp} micro-batches), CP in {1, 2, 4}, micro-batch in
 * {1, 2, 4}, recomputation none/selective/full; DP is what the GPU count leaves. Any of these may be
 * fixed by the request, which then evaluates rather than searches. Without a GPU count the planner
 * tries a host times every power of two up to the cluster's GPUs (less spares), and the cluster's
 * GPUs themselves. Without a global batch it keeps the tokens per step near
 * {@value #DEFAULT_TOKENS_PER_STEP} (Llama 3 405B's main stage used 16M tokens per step,
 * arXiv:2407.21783 sec. 3.4.1), rounded to whole micro-batches per replica.
 *
 * <p>Ranking: by expected wall days with failures, then cost. With a budget in days, the plans that
 * meet it come first, cheapest first. Pure and deterministic; no I/O.
 */
public final class Planner {
    public static final long DEFAULT_TOKENS_PER_STEP = 16L << 20;
    static final int[] TP = {1, 2, 4, 8};
    static final int[] PP = {1, 2, 4, 8, 16, 32};
    static final int[] CP = {1, 2, 4};
    static final int[] MB = {1, 2, 4};
    static final int[] VP = {1, 2, 4, 8};

    private Planner() {}

    /**
     * What to plan. {@code null} in a fixed field means "search it".
     *
     * @param tokens       training tokens
     * @param gpus         GPUs to use (null: search GPU counts)
     * @param budgetDays   wall-day budget (null: none)
     */
    public record Request(ModelSpec model, double tokens, ClusterSpec cluster, Integer gpus, Double budgetDays,
                          Integer tp, Integer pp, Integer dp, Integer cp, Integer seqLen, Integer microBatch,
                          Integer globalBatch, Recompute recompute, Integer interleave, Factors factors,
                          FailureModel failures, int top) {
        public Request {
            if (model == null || cluster == null) throw new IllegalArgumentException("a plan needs a model and a cluster");
            if (!(tokens >= 1) || tokens > 1e18) throw new IllegalArgumentException("tokens must be in [1, 1e18], got " + tokens);
            if (budgetDays != null && (!(budgetDays > 0) || budgetDays > 36_500))
                throw new IllegalArgumentException("--budget-days must be in (0, 36500], got " + budgetDays);
            if (factors == null) factors = Factors.DEFAULT;
            if (failures == null) failures = FailureModel.LLAMA3;
            if (top < 1) top = 5;
            int available = (cluster.hosts() - cluster.spareHosts()) * cluster.gpusPerHost();
            if (gpus != null && (gpus < 1 || gpus > available))
                throw new IllegalArgumentException("--gpus must be in [1, " + available + "] (cluster '" + cluster.name()
                        + "' has " + cluster.gpus() + " GPUs, " + cluster.spareHosts() * cluster.gpusPerHost()
                        + " of them hot spares), got " + gpus);
            for (var e : new Object[][] {{"--tp", tp}, {"--pp", pp}, {"--dp", dp}, {"--cp", cp}, {"--seq-len", seqLen},
                    {"--micro-batch", microBatch}, {"--global-batch", globalBatch}, {"--interleave", interleave}})
                if (e[1] != null && (Integer) e[1] < 1) throw new IllegalArgumentException(e[0] + " must be >= 1, got " + e[1]);
            if (tp != null) {
                if (tp > cluster.gpusPerHost())
                    throw new IllegalArgumentException("--tp " + tp + " does not fit in one host's NVLink domain ("
                            + cluster.gpusPerHost() + " GPUs)");
                if (model.heads() % tp != 0)
                    throw new IllegalArgumentException("--tp " + tp + " must divide the attention heads (" + model.heads() + ")");
                if (model.kvHeads() % tp != 0 && tp % model.kvHeads() != 0)
                    throw new IllegalArgumentException("--tp " + tp + " must divide the key/value heads (" + model.kvHeads()
                            + ") or be a multiple of them");
            }
            if (pp != null && pp > model.layers())
                throw new IllegalArgumentException("--pp " + pp + " is more stages than the model's " + model.layers() + " layers");
            int seq = seqLen != null ? seqLen : model.seqLen();
            if (cp != null && cp > 1 && seq % (2 * cp) != 0)
                throw new IllegalArgumentException("--cp " + cp + ": the sequence length (" + seq + ") must split into 2 x cp equal chunks");
            if (gpus != null && tp != null && pp != null && cp != null && dp != null && (long) tp * pp * cp * dp != gpus)
                throw new IllegalArgumentException("tp x pp x cp x dp = " + ((long) tp * pp * cp * dp) + " but --gpus is " + gpus);
        }

        public int seq() {
            return seqLen != null ? seqLen : model.seqLen();
        }

        int availableGpus() {
            return (cluster.hosts() - cluster.spareHosts()) * cluster.gpusPerHost();
        }
    }

    /** The ranked plans, how many layouts were evaluated, and how many of those fit. */
    public record Result(List<Plan> plans, int evaluated, int fitting, boolean budgetMet) {}

    public static Result plan(Request r) {
        ModelSpec m = r.model();
        ClusterSpec c = r.cluster();
        GpuType g = c.type();
        double usableGb = g.hbmGib() - r.factors().memoryReserveGb();
        int seq = r.seq();
        var plans = new ArrayList<Plan>();
        int evaluated = 0;
        double leastNeed = Double.POSITIVE_INFINITY;
        Layout leastLayout = null;
        boolean anyShape = false;
        for (int tp : choices(r.tp(), TP)) {
            if (tp > c.gpusPerHost() || m.heads() % tp != 0 || (m.kvHeads() % tp != 0 && tp % m.kvHeads() != 0)) continue;
            for (int pp : choices(r.pp(), PP)) {
                if (pp > m.layers()) continue;
                for (int cp : choices(r.cp(), CP)) {
                    if (cp > 1 && seq % (2 * cp) != 0) continue;
                    for (int dp : dps(r, (long) tp * pp * cp)) {
                        for (int mb : choices(r.microBatch(), MB)) {
                            Integer gb = globalBatch(r, dp, mb, seq);
                            if (gb == null) continue;
                            anyShape = true;
                            for (Recompute rc : r.recompute() != null ? List.of(r.recompute()) : List.of(Recompute.values())) {
                                for (int v : choices(r.interleave(), VP)) {
                                    if (v > 1 && (pp == 1 || v > MemoryModel.layersPerStage(m, pp) || gb / (dp * mb) < pp)) continue;
                                    var l = new Layout(tp, pp, dp, cp, mb, v, rc, seq, gb);
                                    evaluated++;
                                    var mem = MemoryModel.estimate(m, l);
                                    if (mem.totalGb() > usableGb) {
                                        if (mem.totalGb() < leastNeed) {
                                            leastNeed = mem.totalGb();
                                            leastLayout = l;
                                        }
                                        continue;
                                    }
                                    plans.add(evaluate(r, l, mem));
                                }
                            }
                        }
                    }
                }
            }
        }
        if (!anyShape) throw new IllegalArgumentException(noShape(r));
        if (plans.isEmpty()) throw new IllegalArgumentException(noFit(r, leastNeed, leastLayout, usableGb));
        Comparator<Plan> byDays = Comparator.comparingDouble(Plan::expectedDays).thenComparingDouble(Plan::costUsd)
                .thenComparing(p -> p.layout().label());
        boolean met = false;
        if (r.budgetDays() != null) {
            double b = r.budgetDays();
            met = plans.stream().anyMatch(p -> p.expectedDays() <= b);
            Comparator<Plan> inBudgetFirst = Comparator.comparing((Plan p) -> p.expectedDays() > b)
                    .thenComparing((p1, p2) -> p1.expectedDays() <= b && p2.expectedDays() <= b
                            ? Comparator.comparingDouble(Plan::costUsd).thenComparing(byDays).compare(p1, p2)
                            : byDays.compare(p1, p2));
            plans.sort(inBudgetFirst);
        } else {
            plans.sort(byDays);
        }
        return new Result(List.copyOf(plans.subList(0, Math.min(r.top(), plans.size()))), evaluated, plans.size(), met);
    }

    private static int[] choices(Integer fixed, int[] all) {
        return fixed != null ? new int[] {fixed} : all;
    }

    /** Data-parallel degrees to try for a model-parallel group of {@code group} GPUs. */
    private static List<Integer> dps(Request r, long group) {
        int max = r.availableGpus();
        if (r.dp() != null) return group * r.dp() <= max ? List.of(r.dp()) : List.of();
        if (r.gpus() != null) return r.gpus() % group == 0 ? List.of((int) (r.gpus() / group)) : List.of();
        var out = new ArrayList<Integer>();
        for (long n = r.cluster().gpusPerHost(); n <= max; n *= 2) if (n % group == 0) out.add((int) (n / group));
        if (max % group == 0 && !out.contains((int) (max / group))) out.add((int) (max / group));
        return out;
    }

    /** Sequences per step: as given (if it divides into micro-batches), else near the default tokens per step. */
    private static Integer globalBatch(Request r, int dp, int mb, int seq) {
        long per = (long) dp * mb;
        if (r.globalBatch() != null) return r.globalBatch() % per == 0 ? r.globalBatch() : null;
        long micro = Math.max(1, Math.round((double) DEFAULT_TOKENS_PER_STEP / seq / per));
        long gb = micro * per;
        return gb > Integer.MAX_VALUE ? null : (int) gb;
    }

    /** Performance and failure-aware timeline of one layout that fits. */
    public static Plan evaluate(Request r, Layout l, MemoryModel.Memory mem) {
        ModelSpec m = r.model();
        ClusterSpec c = r.cluster();
        Factors f = r.factors();
        var step = StepModel.estimate(m, l, c, f);
        double stepSec = step.step();
        double tokensPerSec = l.tokensPerStep() / stepSec;
        int gpus = l.gpus();
        double modelTflops = m.flopsPerToken(l.seqLen()) * tokensPerSec / gpus / 1e12;
        double hwTflops = StepModel.hardwareFlopsPerToken(m, l.seqLen(), l.recompute()) * tokensPerSec / gpus / 1e12;
        double idealSec = r.tokens() / tokensPerSec;
        int hosts = (gpus + c.gpusPerHost() - 1) / c.gpusPerHost();
        FailureModel fm = r.failures();
        double mtbf = fm.jobMtbfSeconds(gpus, hosts, c.gpuType());
        var cost = CheckpointCost.of(m.params(), gpus, f.storage());
        var cp = new CheckpointPolicy(0, cost.stallSec(), cost.restoreSec(), cost.persistSec());
        double write = cost.stallSec();
        double restart = f.restartOverheadSec() + cost.restoreSec();
        double interval = Checkpointing.interval(cp, mtbf);
        double planned = fm.jobPlannedRatePerDay(gpus, hosts, c.gpuType()) / 86_400;
        double ettr = Checkpointing.expectedEttr(interval, write, cost.persistSec(), restart, mtbf, planned);
        // a run that breaks soon after it starts pays another restart, and so may the one after it
        double pStart = fm.heterogeneity().startFailure(hosts);
        if (pStart > 0) {
            double starts = 1 / mtbf + planned;
            double extra = starts * pStart / (1 - pStart) * (restart + fm.heterogeneity().startWindowSec() / 2);
            ettr = Math.max(0, ettr * (1 - extra));
        }
        double wallSec = ettr > 0 ? idealSec / ettr : Double.POSITIVE_INFINITY;
        double gpuHours = gpus * wallSec / 3600;
        return new Plan(l, mem, step, tokensPerSec, modelTflops, hwTflops, modelTflops / c.type().bf16Tflops(),
                idealSec / 86_400, mtbf / 3600, write, cost.persistSec(), restart, interval, ettr, wallSec / 86_400, gpuHours,
                gpuHours * c.gpuHourUsd(), gpuHours * c.wattsPerGpu() / 1e6);
    }

    /** Bytes of one checkpoint ({@link CheckpointCost#stateBytes}). */
    public static double checkpointBytes(ModelSpec m) {
        return CheckpointCost.stateBytes(m.params());
    }

    private static String noShape(Request r) {
        if (r.globalBatch() != null)
            return "no layout divides the global batch of " + r.globalBatch() + " sequences into whole micro-batches per "
                    + "data-parallel replica; choose a global batch that is a multiple of dp x micro-batch";
        String n = r.gpus() != null ? String.format(Locale.ROOT, "%,d GPUs", r.gpus()) : "the GPU counts tried";
        return "no layout of tp x pp x cp x dp matches " + n + " with the fixed sizes given; use a GPU count that is a "
                + "multiple of tp x pp x cp (e.g. a power of two times " + r.cluster().gpusPerHost() + ")";
    }

    private static String noFit(Request r, double need, Layout l, double usable) {
        GpuType g = r.cluster().type();
        String best = l == null ? "" : " (" + l.label() + ")";
        var sb = new StringBuilder(String.format(Locale.ROOT,
                "no layout fits in GPU memory: the smallest needs %.1f GB per GPU%s, %s has %.0f GB (%.0f GB usable after "
                        + "the %.0f GB reserve)", need, best, g.name(), g.hbmGib(), usable, r.factors().memoryReserveGb()));
        sb.append("; to fit, ");
        var ways = new ArrayList<String>();
        if (r.gpus() != null || r.dp() != null) ways.add("use more GPUs (deeper pipelines shard the weights further)");
        if (r.pp() != null || r.tp() != null) ways.add("let the planner choose --tp/--pp");
        ways.add("use a GPU with more memory");
        ways.add("train on shorter sequences (--seq-len) or with context parallelism");
        if (r.recompute() != null && r.recompute() != Recompute.FULL) ways.add("allow full recomputation");
        sb.append(String.join(", or ", ways));
        return sb.toString();
    }
}
