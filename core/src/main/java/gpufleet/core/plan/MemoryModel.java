package gpufleet.core.plan;

/**
 * Peak memory per GPU of a layout.
 *
 * <p><b>Weights and optimizer.</b> Mixed-precision Adam with Megatron-LM's distributed optimizer:
 * BF16 weights (2 bytes), an FP32 gradient buffer (4 bytes) on every GPU that holds the weight, and
 * FP32 master weights plus two FP32 moments (12 bytes) sharded over the data- and context-parallel
 * GPUs, {@code d = dp * cp}: {@code 6 + 12/d} bytes per parameter (Megatron-LM documentation,
 * "Distributed Optimizer"; ZeRO stage 1, Rajbhandari et al. SC'20). A GPU holds its pipeline stage's
 * layers and, on the first and last stage, the vocabulary-parallel embedding or output head, all
 * divided by {@code tp}.
 *
 * <p><b>Activations.</b> Korthikanti et al. 2022 ("Reducing Activation Recomputation in Large
 * Transformer Models", sec. 4) count the bytes one layer keeps for the backward pass, per micro-batch
 * of {@code b} sequences of {@code s} tokens, width {@code h}, {@code a} heads, in 16-bit activations:
 * {@code s b h (34 + 5 a s / h)} without recomputation, all of it divided by {@code t} with tensor
 * and sequence parallelism. The planner uses that breakdown, generalised to grouped-query attention
 * and to any MLP width (it reduces to exactly 34 and 5 for a GPT layer: 4h MLP, GeLU, all heads
 * with their own K and V):
 * <ul>
 *   <li>attention {@code (7 + 4 g) s b h} where {@code g = kvDim / h} (input 2, Q 2, K 2g, V 2g,
 *       projection input 2, dropout mask 1) plus {@code 5 a s^2 b} for the score matrix;</li>
 *   <li>MLP {@code 3 s b h + 4 s b f} (input 2, mask 1, the two {@code f}-wide tensors around the
 *       activation), or {@code 3 s b h + 6 s b f} for a gated MLP (gate, up and their product);</li>
 *   <li>two norms {@code 4 s b h}.</li>
 * </ul>
 * A model without dropout keeps neither mask ({@code 2 s b h} less) nor the score matrix's dropout
 * mask and output ({@code 3 a s^2 b} less).
 * Selective recomputation drops the {@code 5 a s^2 b} term (this is also what FlashAttention keeps);
 * full recomputation keeps only each layer's input, {@code 2 s b h / t}, plus one layer's full set
 * while it is recomputed. Context parallelism divides {@code s} by {@code cp}.
 *
 * <p><b>Micro-batches in flight.</b> With 1F1B the first stage holds {@code p} micro-batches of
 * {@code L/p} layers, that is {@code L} layers' worth; the interleaved schedule multiplies this by
 * {@code 1 + (p - 1) / (p v)} (Korthikanti et al. sec. 4.2.3). The last stage holds one micro-batch
 * plus the logits, {@code 6 s b V / t} bytes (BF16 logits and their FP32 softmax). The peak is the
 * larger of the two stages.
 */
public final class MemoryModel {
    private MemoryModel() {}

    public static final double GB = 1e9;

    /** The peak stage's memory, GB per GPU. */
    public record Memory(double weightsGb, double gradsGb, double optimizerGb, double activationsGb, double logitsGb) {
        public double totalGb() {
            return weightsGb + gradsGb + optimizerGb + activationsGb + logitsGb;
        }
    }

    /** Bytes one layer keeps per micro-batch on one GPU (Korthikanti et al., generalised; see the class comment). */
    public static double activationBytesPerLayer(ModelSpec m, int seq, int microBatch, int tp, int cp, Recompute r) {
        double s = (double) seq / cp, b = microBatch, h = m.hidden(), a = m.heads(), f = m.ffn();
        double g = (double) m.kvDim() / h;
        double sbh = s * b * h;
        double masks = m.dropout() ? 2 * sbh : 0;
        double linear = sbh * (6 + 4 * g) + 2 * sbh + (m.gatedMlp() ? 6 : 4) * s * b * f + 4 * sbh + masks;
        double scores = (m.dropout() ? 5 : 2) * a * s * s * b;
        return switch (r) {
            case NONE -> (linear + scores) / tp;
            case SELECTIVE -> linear / tp;
            case FULL -> 2 * sbh / tp;
        };
    }

    /** Layers' worth of activations the first stage holds at its peak. */
    static double inFlightLayers(ModelSpec m, Layout l) {
        if (l.pp() == 1) return m.layers();
        double held = (double) edgeStageLayers(m, l.pp()) * l.pp();
        return l.interleave() > 1 ? held * (1 + (l.pp() - 1.0) / ((double) l.pp() * l.interleave())) : held;
    }

    /** Layers on a middle pipeline stage: {@code ceil(L / p)}. */
    static int layersPerStage(ModelSpec m, int pp) {
        return (m.layers() + pp - 1) / pp;
    }

    /**
     * Layers on the first and on the last stage. When the layers do not divide evenly, the first and
     * last stages take the shortfall, as Llama 3 did ("we reduce one Transformer layer each from the
     * first and the last stages", arXiv:2407.21783 sec. 3.3.2): they also hold the embedding and the
     * output head, and the first stage holds the most micro-batches.
     */
    static int edgeStageLayers(ModelSpec m, int pp) {
        if (pp == 1) return m.layers();
        if (pp == 2) return layersPerStage(m, pp);
        int rest = m.layers() - (pp - 2) * layersPerStage(m, pp);
        return Math.max(1, rest / 2);
    }

    public static Memory estimate(ModelSpec m, Layout l) {
        int perStage = layersPerStage(m, l.pp());
        int edge = edgeStageLayers(m, l.pp());
        double embedOrHead = (double) m.vocab() * m.hidden();
        double stageParams = Math.max(perStage * m.layerParams(), edge * m.layerParams() + embedOrHead) / l.tp();
        int d = l.dp() * l.cp();
        double w = 2 * stageParams, gr = 4 * stageParams, opt = 12 * stageParams / d;
        double perLayer = activationBytesPerLayer(m, l.seqLen(), l.microBatch(), l.tp(), l.cp(), l.recompute());
        double working = l.recompute() == Recompute.FULL
                ? activationBytesPerLayer(m, l.seqLen(), l.microBatch(), l.tp(), l.cp(), Recompute.SELECTIVE) : 0;
        double logits = 6.0 * l.seqLen() / l.cp() * l.microBatch() * m.vocab() / l.tp();
        double first = perLayer * inFlightLayers(m, l) + working + (l.pp() == 1 ? logits : 0);
        double last = l.pp() == 1 ? first : perLayer * edge + working + logits;
        double acts = Math.max(first, last);
        double lg = l.pp() == 1 || last > first ? logits : 0;
        return new Memory(w / GB, gr / GB, opt / GB, (acts - lg) / GB, lg / GB);
    }
}
