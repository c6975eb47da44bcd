package gpufleet.core.plan;

/**
 * How one training step is laid out over the GPUs.
 *
 * @param tp          tensor-parallel degree (inside one host's NVLink domain), with sequence parallelism
 * @param pp          pipeline stages
 * @param dp          data-parallel replicas
 * @param cp          context-parallel degree (the sequence split across GPUs)
 * @param microBatch  sequences per micro-batch
 * @param interleave  virtual pipeline stages per GPU (1 = plain 1F1B)
 * @param recompute   activation recomputation
 * @param seqLen      tokens per sequence
 * @param globalBatch sequences per optimizer step
 */
public record Layout(int tp, int pp, int dp, int cp, int microBatch, int interleave, Recompute recompute,
                     int seqLen, int globalBatch) {
    public Layout {
        if (tp < 1 || pp < 1 || dp < 1 || cp < 1 || microBatch < 1 || interleave < 1 || seqLen < 1 || globalBatch < 1)
            throw new IllegalArgumentException("layout sizes must be >= 1");
        if (recompute == null) throw new IllegalArgumentException("layout needs a recompute setting");
        if (globalBatch % ((long) dp * microBatch) != 0)
            throw new IllegalArgumentException("global batch (" + globalBatch + ") must be a multiple of dp x micro-batch ("
                    + dp + " x " + microBatch + ")");
    }

    public int gpus() {
        return tp * pp * dp * cp;
    }

    /** Micro-batches each pipeline runs per step. */
    public int microBatches() {
        return globalBatch / (dp * microBatch);
    }

    public long tokensPerStep() {
        return (long) globalBatch * seqLen;
    }

    /** GPUs that hold one copy of the model: {@code tp * pp * cp}. */
    public int modelParallel() {
        return tp * pp * cp;
    }

    public String label() {
        return "TP" + tp + " PP" + pp + (interleave > 1 ? "x" + interleave : "") + " DP" + dp + " CP" + cp
                + " mb" + microBatch + " " + recompute.label();
    }
}
