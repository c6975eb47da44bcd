package gpufleet.core.plan;

import gpufleet.core.failure.FailureModel;
import gpufleet.core.topology.ClusterSpec;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** The FLOPs count and the memory model pinned on hand-computed cases. */
class PlanModelTest {
    static final ModelSpec LLAMA_405B = new ModelSpec("llama-405b", 126, 16384, 53248, 128, 8, 128256, 8192,
            true, false, false, "");
    /** A GPT layer as Korthikanti et al. count it: 4h GeLU MLP, all heads with their own K and V, dropout. */
    static final ModelSpec GPT = new ModelSpec("gpt", 2, 1024, 4096, 16, 16, 50000, 2048, false, true, true, "");
    static final ClusterSpec H100 = new ClusterSpec("c", "dc", "H100-SXM", 3072, 8, 2, 192, 400, 7, 32, 4.916, 1390);

    @Test
    void llama405bHas405BillionParameters() {
        // per layer: 2 h^2 + 2 h (8 x 128) + 3 h ffn + 2 h = 536,870,912 + 33,554,432 + 2,617,245,696 + 32,768
        assertThat(LLAMA_405B.layerParams()).isEqualTo(3_187_703_808.0);
        // 126 layers + embedding and head (2 x 128,256 x 16,384) + final norm
        assertThat(LLAMA_405B.params()).isEqualTo(126 * 3_187_703_808.0 + 2 * 128_256.0 * 16_384 + 16_384);
        assertThat(LLAMA_405B.params() / 1e9).isCloseTo(405.85, within(0.01));
    }

    @Test
    void flopsPerTokenIsSixNPlusTheAttentionTerm() {
        double n = 126 * 3_187_703_808.0 + 128_256.0 * 16_384;     // layers + output head, no input embedding
        double attn = 12.0 * 126 * 16_384 * 8192;
        assertThat(LLAMA_405B.flopsPerToken(8192)).isEqualTo(6 * n + attn);
        assertThat(StepModel.hardwareFlopsPerToken(LLAMA_405B, 8192, Recompute.NONE)).isCloseTo(6 * n + attn, within(1e3));
        // selective recomputation adds the attention core forward: 4 h s per layer
        assertThat(StepModel.hardwareFlopsPerToken(LLAMA_405B, 8192, Recompute.SELECTIVE))
                .isCloseTo(6 * n + attn + 4.0 * 126 * 16_384 * 8192, within(1e3));
    }

    @Test
    void fullRecomputationMatchesMegatronEquationThree() {
        // Narayanan et al. SC'21 eq. 3: F = 96 B s l h^2 (1 + s/(6h) + V/(16 l h)) per batch of B sequences,
        // which counts a GPT layer as 12 h^2 weights (biases and norms aside) and recomputes the forward pass.
        double h = 1024, l = 2, s = 2048, v = 50000;
        double perToken = 96 * l * h * h * (1 + s / (6 * h) + v / (16 * l * h));
        double norms = 2 * h * l * 8;  // the two norms per layer this model also counts, 8 FLOPs each with recompute
        assertThat(StepModel.hardwareFlopsPerToken(GPT, 2048, Recompute.FULL)).isCloseTo(perToken + norms, within(1.0));
    }

    @Test
    void activationsPerLayerAreKorthikantisFormula() {
        // Korthikanti et al. 2022 sec. 4: s b h (34 + 5 a s / h) bytes per layer, / t with sequence parallelism
        int s = 2048, b = 2, h = 1024, a = 16;
        double none = s * (double) b * h * (34 + 5.0 * a * s / h);
        assertThat(MemoryModel.activationBytesPerLayer(GPT, s, b, 1, 1, Recompute.NONE)).isEqualTo(none);
        assertThat(MemoryModel.activationBytesPerLayer(GPT, s, b, 4, 1, Recompute.NONE)).isEqualTo(none / 4);
        assertThat(MemoryModel.activationBytesPerLayer(GPT, s, b, 4, 1, Recompute.SELECTIVE)).isEqualTo(34.0 * s * b * h / 4);
        assertThat(MemoryModel.activationBytesPerLayer(GPT, s, b, 4, 1, Recompute.FULL)).isEqualTo(2.0 * s * b * h / 4);
        // context parallelism splits the sequence
        assertThat(MemoryModel.activationBytesPerLayer(GPT, s, b, 4, 2, Recompute.SELECTIVE)).isEqualTo(34.0 * s * b * h / 8);
    }

    @Test
    void llamaActivationsUseGqaSwigluAndNoDropout() {
        // g = 1024 / 16384 = 1/16: attention (6 + 4/16) + MLP input 2 + gated 6 f / h + norms 4, no masks
        double perSbh = 6 + 0.25 + 2 + 6 * 53248.0 / 16384 + 4;
        double expected = 8192.0 * 1 * 16384 * perSbh / 8;
        assertThat(MemoryModel.activationBytesPerLayer(LLAMA_405B, 8192, 1, 8, 1, Recompute.SELECTIVE)).isEqualTo(expected);
    }

    @Test
    void memoryOfTheLlama3LayoutByHand() {
        // TP8 PP16 DP128, mb 1, selective, plain 1F1B: the first stage holds 7 layers (126 = 14 x 8 + 2 x 7)
        var l = new Layout(8, 16, 128, 1, 1, 1, Recompute.SELECTIVE, 8192, 2048);
        var mem = MemoryModel.estimate(LLAMA_405B, l);
        // the heaviest stage's weights: a middle stage's 8 layers outweigh 7 layers plus the embedding
        double stage = 8 * LLAMA_405B.layerParams() / 8;
        assertThat(8 * LLAMA_405B.layerParams()).isGreaterThan(7 * LLAMA_405B.layerParams() + 128_256.0 * 16_384);
        assertThat(mem.weightsGb()).isCloseTo(2 * stage / 1e9, within(1e-9));
        assertThat(mem.gradsGb()).isCloseTo(4 * stage / 1e9, within(1e-9));
        assertThat(mem.optimizerGb()).isCloseTo(12 * stage / 128 / 1e9, within(1e-9));
        double perLayer = MemoryModel.activationBytesPerLayer(LLAMA_405B, 8192, 1, 8, 1, Recompute.SELECTIVE);
        assertThat(mem.activationsGb()).isCloseTo(7 * 16 * perLayer / 1e9, within(1e-9));   // 16 micro-batches of 7 layers
        assertThat(mem.totalGb()).isCloseTo(79.1, within(0.1));
    }

    @Test
    void pipelineBubbleIsPMinusOneOverV() {
        var plain = new Layout(8, 16, 128, 1, 1, 1, Recompute.SELECTIVE, 8192, 2048);
        var inter = new Layout(8, 16, 128, 1, 1, 4, Recompute.SELECTIVE, 8192, 2048);
        var a = StepModel.estimate(LLAMA_405B, plain, H100, Factors.DEFAULT);
        var b = StepModel.estimate(LLAMA_405B, inter, H100, Factors.DEFAULT);
        assertThat(a.bubble()).isCloseTo(15 * a.microBatchTime(), within(1e-9));
        assertThat(b.bubble()).isCloseTo(15.0 / 4 * b.microBatchTime(), within(1e-9));
        assertThat(a.compute()).isCloseTo(16 * (a.microBatchTime() - a.tpComm() / 16 - a.ppComm() / 16), within(1e-9));
        assertThat(a.step()).isCloseTo(a.compute() + a.tpComm() + a.ppComm() + a.bubble() + a.dpExposed(), within(1e-9));
    }

    @Test
    void tensorParallelTrafficIsFourAllReducesPerLayer() {
        var l = new Layout(8, 16, 128, 1, 1, 1, Recompute.SELECTIVE, 8192, 2048);
        var st = StepModel.estimate(LLAMA_405B, l, H100, Factors.DEFAULT);
        double bytes = 2.0 * 8192 * 16384;                 // b s h in BF16
        double bw = 900 / 2.0 * 1e9 * 0.8;                  // one direction of NVLink at 80%
        double perMicroBatch = 8 * 4 * 2 * 7.0 / 8 * bytes / bw;   // 8 layers x 4 all-reduces x ring 2(t-1)/t
        assertThat(st.tpComm()).isCloseTo(16 * perMicroBatch, within(1e-9));
    }

    @Test
    void dataParallelCrossesZonesWithoutPenaltyWhenUplinksSuffice() {
        // 128 rings x oversubscription 7 = 896 < 3,072 GPUs per zone: the uplinks carry it
        assertThat(StepModel.zonePenalty(H100, new Layout(8, 16, 128, 1, 1, 1, Recompute.FULL, 8192, 2048))).isEqualTo(1);
        // zones of 256 GPUs: the 128 rings of TP8 PP16 need 128 x 7 / 256 = 3.5 times the uplinks there are
        var small = new ClusterSpec("s", "dc", "H100-SXM", 3072, 8, 2, 16, 400, 7, 0, 4.916, 1390);
        assertThat(StepModel.zonePenalty(small, new Layout(8, 16, 128, 1, 1, 1, Recompute.FULL, 8192, 2048))).isEqualTo(3.5);
        // never worse than the oversubscription itself
        assertThat(StepModel.zonePenalty(small, new Layout(8, 32, 64, 1, 1, 1, Recompute.FULL, 8192, 2048))).isEqualTo(7);
        // inside one zone, none
        assertThat(StepModel.zonePenalty(small, new Layout(8, 2, 16, 1, 1, 1, Recompute.FULL, 8192, 2048))).isEqualTo(1);
    }

    @Test
    void inconsistentShapesAreRejectedWithTheReason() {
        assertThatThrownBy(() -> new ModelSpec("x", 2, 1000, 4000, 16, 16, 100, 128, false, false, false, ""))
                .hasMessageContaining("heads (16) must divide hidden (1000)");
        assertThatThrownBy(() -> new ModelSpec("x", 2, 1024, 4096, 16, 6, 100, 128, false, false, false, ""))
                .hasMessageContaining("kvHeads (6) must divide heads (16)");
    }

    @Test
    void failureTimelineUsesYoungDalyAndTheLlama3Rates() {
        var l = new Layout(8, 16, 128, 1, 1, 1, Recompute.SELECTIVE, 8192, 2048);
        var req = new Planner.Request(LLAMA_405B, 15.6e12, H100, 16384, null, null, null, null, null, null, null, null,
                null, null, null, null, 5);
        var p = Planner.evaluate(req, l, MemoryModel.estimate(LLAMA_405B, l));
        double mtbf = FailureModel.LLAMA3.jobMtbfSeconds(16384, 2048);
        assertThat(p.mtbfHours()).isCloseTo(mtbf / 3600, within(1e-9));
        assertThat(p.checkpointWriteSec()).isCloseTo(14 * LLAMA_405B.params() / 2e12, within(1e-9));
        assertThat(p.checkpointIntervalSec()).isCloseTo(Math.sqrt(2 * p.checkpointWriteSec() * mtbf), within(1e-6));
        assertThat(p.expectedDays()).isCloseTo(p.idealDays() / p.ettr(), within(1e-9));
        assertThat(p.costUsd()).isCloseTo(p.gpuHours() * 4.916, within(1e-6));
        assertThat(p.ettr()).isBetween(0.85, 0.99);
    }

    @Test
    void contextParallelTrafficGoesOverNvlinkInsideAHostAndOverTheNicAcrossHosts() {
        // all efficiencies 1, nothing overlapped: the parts are bytes / bandwidth
        var f = new Factors(1, 1, 1, 0, 0, 0, 0, 4, 2000, 2000, 600);
        // GPT: 16 K/V heads of 64 = kvDim 1024; one micro-batch of one 2,048-token sequence, 2 layers on one stage
        var inHost = new Layout(4, 1, 1, 2, 1, 1, Recompute.NONE, 2048, 1);   // 8 GPUs: one 8-GPU host
        var acrossHosts = new Layout(8, 1, 1, 2, 1, 1, Recompute.NONE, 2048, 1); // 16 GPUs: two hosts
        // per layer: an all-gather of K and V forward and a reduce-scatter of their gradients backward,
        // each moving (cp-1)/cp of this GPU's K and V (2 x 2,048 x 1,024 BF16 values / tp)
        double kv4 = 2 * 2048 * 1024 * 2.0 / 4, kv8 = 2 * 2048 * 1024 * 2.0 / 8;
        double nvlink = 900e9 / 2, nic = 400e9 / 8;   // one direction of H100 NVLink; a 400 Gb/s NIC
        assertThat(StepModel.estimate(GPT, inHost, H100, f).cpComm()).isCloseTo(2 * 2 * 0.5 * kv4 / nvlink, within(1e-12));
        assertThat(StepModel.estimate(GPT, acrossHosts, H100, f).cpComm()).isCloseTo(2 * 2 * 0.5 * kv8 / nic, within(1e-12));
        // full recomputation repeats the forward all-gather
        var full = new Layout(8, 1, 1, 2, 1, 1, Recompute.FULL, 2048, 1);
        assertThat(StepModel.estimate(GPT, full, H100, f).cpComm()).isCloseTo(2 * 3 * 0.5 * kv8 / nic, within(1e-12));
        // a quarter of it hidden under compute
        var overlapped = new Factors(1, 1, 1, 0, 0.25, 0, 0, 4, 2000, 2000, 600);
        assertThat(StepModel.estimate(GPT, acrossHosts, H100, overlapped).cpComm())
                .isCloseTo(0.75 * 2 * 2 * 0.5 * kv8 / nic, within(1e-12));
        assertThat(StepModel.estimate(GPT, new Layout(8, 1, 1, 1, 1, 1, Recompute.NONE, 2048, 1), H100, f).cpComm()).isZero();
    }
}
