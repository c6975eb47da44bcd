package gpufleet.core.plan;

import gpufleet.core.topology.ClusterSpec;
import gpufleet.core.topology.GpuType;

/**
 * Time of one training step of a layout on a cluster, built from the parts Megatron-LM's analysis
 * names (Narayanan et al. SC'21, "Efficient Large-Scale Language Model Training on GPU Clusters
 * Using Megatron-LM", sec. 2-3). All communication uses ring costs: an all-reduce of {@code B}
 * bytes over {@code n} GPUs moves {@code 2 (n-1)/n B} per GPU, a reduce-scatter or all-gather half that.
 *
 * <ul>
 *   <li><b>Compute</b> of one micro-batch on the busiest stage (the last: {@code ceil(L/p)} layers and
 *       the output head), split over {@code tp * cp} GPUs, at {@code gemmEfficiency} of the dense BF16
 *       peak. Per token a layer costs {@code 6 P_layer + 12 h s}; selective recomputation adds the
 *       attention core forward ({@code 4 h s}), full recomputation a whole layer forward
 *       ({@code 2 P_layer + 4 h s}).</li>
 *   <li><b>Tensor parallelism</b> with sequence parallelism: per layer the equivalent of 4 all-reduces
 *       of {@code b s h} BF16 values (2 forward, 2 backward; 6 with full recomputation) over NVLink.</li>
 *   <li><b>Context parallelism</b>: per layer an all-gather of K and V forward and a reduce-scatter of
 *       their gradients backward ({@code 2 b s kvDim} values each), over NVLink when {@code tp * cp}
 *       GPUs fit in a host, else over the NIC.</li>
 *   <li><b>Pipeline</b>: point-to-point sends of {@code b s h / t} values forward and backward per
 *       micro-batch and virtual stage, over the NIC; the 1F1B bubble adds {@code (p - 1) / v}
 *       micro-batch times (sec. 2.2).</li>
 *   <li><b>Data parallelism</b>: once per step, a reduce-scatter of the stage's gradients
 *       ({@code gradReduceBytes} each) and an all-gather of its BF16 weights over the {@code dp * cp}
 *       GPUs holding the same shard, over the NIC. When the job spans more than one zone, each of the
 *       {@code gpus / (dp cp)} rings crosses the zone's uplinks once, so the zone needs
 *       {@code rings * NIC} of uplink out of {@code zoneGpus * NIC / oversubscription}: the
 *       collective slows by that ratio when above 1, never by more than the oversubscription.</li>
 * </ul>
 * The optimizer update and the embedding look-up are left out (memory-bound, well under 1% of a step
 * at these sizes).
 */
public final class StepModel {
    private StepModel() {}

    /** Seconds of one step, by part. {@code compute}..{@code dpExposed} sum to {@code step}. */
    public record Step(double compute, double tpComm, double cpComm, double ppComm, double bubble, double dpExposed,
                       double dpTotal, double microBatchTime) {
        public double step() {
            return compute + tpComm + cpComm + ppComm + bubble + dpExposed;
        }
    }

    /** Hardware FLOPs per token of one layer, forward and backward, with recomputation. */
    public static double layerFlopsPerToken(ModelSpec m, int seq, Recompute r) {
        double attn = 12.0 * m.hidden() * seq;
        double base = 6 * m.layerParams() + attn;
        return switch (r) {
            case NONE -> base;
            case SELECTIVE -> base + attn / 3;
            case FULL -> base + 2 * m.layerParams() + attn / 3;
        };
    }

    /** Hardware FLOPs per token of the whole model, with recomputation. */
    public static double hardwareFlopsPerToken(ModelSpec m, int seq, Recompute r) {
        return m.layers() * layerFlopsPerToken(m, seq, r) + 6.0 * m.vocab() * m.hidden();
    }

    static double nvlinkBytesPerSec(GpuType g, Factors f) {
        return g.nvlinkGBps() / 2 * 1e9 * f.nvlinkEfficiency();
    }

    static double nicBytesPerSec(ClusterSpec c, Factors f) {
        return c.nicGbpsPerGpu() / 8 * 1e9 * f.nicEfficiency();
    }

    /** GPUs in one non-blocking zone. */
    static long zoneGpus(ClusterSpec c) {
        return (long) c.gpusPerHost() * c.hostsPerRack() * c.racksPerZone();
    }

    /** How much slower the data-parallel collective runs for crossing zones (1 inside one zone). */
    public static double zonePenalty(ClusterSpec c, Layout l) {
        long zone = zoneGpus(c);
        if (l.gpus() <= zone) return 1;
        double rings = (double) l.gpus() / ((long) l.dp() * l.cp());
        return Math.clamp(rings * c.spineOversubscription() / zone, 1.0, c.spineOversubscription());
    }

    public static Step estimate(ModelSpec m, Layout l, ClusterSpec c, Factors f) {
        GpuType g = c.type();
        int s = l.seqLen(), b = l.microBatch(), tp = l.tp(), cp = l.cp(), pp = l.pp();
        int perStage = MemoryModel.layersPerStage(m, pp);
        double tokensPerGpu = (double) b * s / (tp * cp);
        double layer = layerFlopsPerToken(m, s, l.recompute()), head = 6.0 * m.vocab() * m.hidden();
        int edge = MemoryModel.edgeStageLayers(m, pp);
        double stageFlops = Math.max(perStage * layer, edge * layer + head) * tokensPerGpu;
        double compute = stageFlops / (g.bf16Tflops() * 1e12 * f.gemmEfficiency());

        double nvl = nvlinkBytesPerSec(g, f), nic = nicBytesPerSec(c, f);
        double actBytes = 2.0 * b * s / cp * m.hidden();
        double tpComm = 0;
        if (tp > 1) {
            int allReduces = l.recompute() == Recompute.FULL ? 6 : 4;
            tpComm = perStage * allReduces * 2.0 * (tp - 1) / tp * actBytes / nvl * (1 - f.tpOverlap());
        }
        double cpComm = 0;
        if (cp > 1) {
            double kv = 2.0 * 2 * b * s * m.kvDim() / Math.min(tp, m.kvHeads());
            int passes = l.recompute() == Recompute.FULL ? 3 : 2;
            double bw = (long) tp * cp <= c.gpusPerHost() ? nvl : nic;
            cpComm = perStage * passes * (cp - 1.0) / cp * kv / bw * (1 - f.cpOverlap());
        }
        double ppComm = pp > 1 ? 2.0 * l.interleave() * actBytes / tp / nic : 0;
        double mb = compute + tpComm + cpComm + ppComm;
        int micro = l.microBatches();
        double bubble = pp > 1 ? (pp - 1.0) / l.interleave() * mb : 0;

        double stageParams = Math.max(perStage * m.layerParams(), edge * m.layerParams() + (double) m.vocab() * m.hidden()) / tp;
        int d = l.dp() * cp;
        double dpTotal = 0;
        if (d > 1) {
            double bytes = stageParams * (f.gradReduceBytes() + 2) * (d - 1.0) / d;
            double bw = l.gpus() <= c.gpusPerHost() ? nvl : nic / zonePenalty(c, l);
            dpTotal = bytes / bw;
        }
        return new Step(micro * compute, micro * tpComm, micro * cpComm, micro * ppComm, bubble,
                dpTotal * (1 - f.dpOverlap()), dpTotal, mb);
    }
}
