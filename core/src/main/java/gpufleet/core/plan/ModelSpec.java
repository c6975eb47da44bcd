package gpufleet.core.plan;

/**
 * A dense decoder-only transformer as the planner sees it.
 *
 * <p>Parameters are counted from the shapes: per layer the query and output projections
 * ({@code 2 h^2}), the key and value projections ({@code 2 h * kvHeads * headDim}, smaller under
 * grouped-query attention), the MLP ({@code 3 h ffn} with a gated unit such as SwiGLU, {@code 2 h ffn}
 * without) and two norms ({@code 2 h}); then the input embedding and, unless tied, the output head
 * ({@code vocab * h} each) and a final norm. Biases are ignored.
 *
 * @param name           short name
 * @param layers         transformer layers
 * @param hidden         model (residual) width
 * @param ffn            MLP inner width
 * @param heads          attention (query) heads
 * @param kvHeads        key/value heads (= heads without grouped-query attention)
 * @param vocab          vocabulary size
 * @param seqLen         default training sequence length
 * @param gatedMlp       a gated MLP (SwiGLU: three matrices) rather than two
 * @param tiedEmbeddings the output head shares the input embedding's weights
 * @param dropout        the model trains with dropout (GPT-2/3 and Megatron's GPT do; Llama does not),
 *                       which keeps a one-byte mask per dropped activation
 * @param source         where the figures come from
 */
public record ModelSpec(String name, int layers, int hidden, int ffn, int heads, int kvHeads, int vocab,
                        int seqLen, boolean gatedMlp, boolean tiedEmbeddings, boolean dropout, String source) {

    public ModelSpec {
        String where = "model '" + name + "'";
        if (name == null || name.isBlank()) throw new IllegalArgumentException("a model needs a name");
        if (source == null) source = "";
        positive(where, "layers", layers, 100_000);
        positive(where, "hidden", hidden, 1_000_000);
        positive(where, "ffn", ffn, 10_000_000);
        positive(where, "heads", heads, 100_000);
        positive(where, "kvHeads", kvHeads, 100_000);
        positive(where, "vocab", vocab, 100_000_000);
        positive(where, "seqLen", seqLen, 100_000_000);
        if (hidden % heads != 0)
            throw new IllegalArgumentException(where + ": heads (" + heads + ") must divide hidden (" + hidden
                    + ") so that every head has the same width");
        if (kvHeads > heads || heads % kvHeads != 0)
            throw new IllegalArgumentException(where + ": kvHeads (" + kvHeads + ") must divide heads (" + heads
                    + "): each key/value head serves a whole group of query heads");
    }

    private static void positive(String where, String field, long v, long max) {
        if (v < 1 || v > max)
            throw new IllegalArgumentException(where + ": " + field + " must be in [1, " + max + "], got " + v);
    }

    public int headDim() {
        return hidden / heads;
    }

    /** Width of the key (or value) projection: {@code kvHeads * headDim}. */
    public long kvDim() {
        return (long) kvHeads * headDim();
    }

    /** Weights of one transformer layer. */
    public double layerParams() {
        double h = hidden;
        double attn = 2 * h * h + 2 * h * kvDim();
        double mlp = (gatedMlp ? 3 : 2) * h * ffn;
        return attn + mlp + 2 * h;
    }

    /** Weights of the input embedding plus the output head (once when tied). */
    public double embeddingParams() {
        return (tiedEmbeddings ? 1 : 2) * (double) vocab * hidden;
    }

    /** All weights. */
    public double params() {
        return layers * layerParams() + embeddingParams() + hidden;
    }

    /**
     * Model FLOPs per token for one forward and backward pass at sequence length {@code seq}, without
     * recomputation: {@code 6 N_matmul + 12 * layers * hidden * seq}. {@code N_matmul} is every weight
     * a token multiplies through (the layers and the output head; the input embedding is a look-up).
     * The attention term is Narayanan et al. (SC'21, eq. 3) divided by the 4 passes their formula
     * assumes: {@code Q K^T} and {@code (softmax) V} cost {@code 2 * 2 * seq * hidden} per token per
     * layer forward, three times that forward and backward. Like that paper and the usual MFU
     * convention it counts the full score matrix, not the half a causal mask leaves.
     */
    public double flopsPerToken(int seq) {
        return 6 * matmulParams() + 12.0 * layers * hidden * seq;
    }

    /** Weights a token multiplies through: every layer and the output head. */
    public double matmulParams() {
        return layers * layerParams() + (double) vocab * hidden;
    }
}
