package gpufleet.core.plan;

import gpufleet.core.topology.ClusterSpec;
import org.junit.jupiter.api.Test;

import static gpufleet.core.plan.PlanModelTest.GPT;
import static gpufleet.core.plan.PlanModelTest.H100;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * The memory and step models on small layouts where every term shows: a two-layer GPT (hidden 1,024,
 * FFN 4,096, 16 heads, vocabulary 50,000, dropout) split every way at once, each part worked out
 * from the formulas in docs/planner.md with the numbers written out.
 */
class StepAndMemoryByHandTest {
    private static final Factors F = Factors.DEFAULT;
    private static final double NVL = StepModel.nvlinkBytesPerSec(H100.type(), F);
    private static final double NIC = StepModel.nicBytesPerSec(H100, F);
    private static final double LP = GPT.layerParams();
    private static final double EMBED = 50_000.0 * 1024;

    @Test
    void oneStageWithFullRecomputeAndContextParallelism() {
        // TP1 PP1 DP2 CP2, mb 1, full recompute, 2,048 tokens: 1,024 per GPU
        var l = new Layout(1, 1, 2, 2, 1, 1, Recompute.FULL, 2048, 2);
        var m = MemoryModel.estimate(GPT, l);
        double stage = 2 * LP + EMBED;                    // both layers, the tied embedding and head
        assertThat(m.weightsGb()).isCloseTo(2 * stage / 1e9, within(1e-12));
        assertThat(m.gradsGb()).isCloseTo(4 * stage / 1e9, within(1e-12));
        assertThat(m.optimizerGb()).as("sharded over dp x cp = 4").isCloseTo(12 * stage / 4 / 1e9, within(1e-12));
        double sbh = 1024.0 * 1024;
        // two layers' inputs kept (2 sbh each) and one layer's selective working set (34 sbh) while recomputing
        assertThat(m.activationsGb()).isCloseTo((2 * 2 * sbh + 34 * sbh) / 1e9, within(1e-12));
        assertThat(m.logitsGb()).as("6 bytes x 1,024 tokens x 50,000").isCloseTo(6.0 * 1024 * 50_000 / 1e9, within(1e-12));
        assertThat(m.totalGb()).isCloseTo(m.weightsGb() + m.gradsGb() + m.optimizerGb() + m.activationsGb()
                + m.logitsGb(), within(1e-12)).isGreaterThan(m.weightsGb() + m.gradsGb() + m.optimizerGb());
    }

    @Test
    void twoInterleavedStagesWhereTheLastStageWithTheLogitsIsTheHeaviest() {
        // TP2 PP2 (v = 2) DP1 CP1, mb 1, no recompute: one layer a stage
        var l = new Layout(2, 2, 1, 1, 1, 2, Recompute.NONE, 2048, 4);
        var m = MemoryModel.estimate(GPT, l);
        assertThat(m.weightsGb()).as("one layer and the embedding, over TP 2").isCloseTo(2 * (LP + EMBED) / 2 / 1e9, within(1e-12));
        double sbh = 2048.0 * 1024;
        double perLayer = (34 * sbh + 5.0 * 16 * 2048 * 2048) / 2;
        double first = perLayer * 2 * (1 + 1.0 / 4);     // 2 layers in flight, plus (p - 1) / (p v) of them
        double logits = 6.0 * 2048 * 50_000 / 2;
        double last = perLayer + logits;
        assertThat(last).isGreaterThan(first);
        assertThat(m.activationsGb()).isCloseTo(perLayer / 1e9, within(1e-12));
        assertThat(m.logitsGb()).isCloseTo(logits / 1e9, within(1e-12));
    }

    @Test
    void everyCommunicationTermOfAFourWaySplit() {
        // TP2 PP2 DP2 CP2 (16 GPUs), micro-batches of 2 sequences of 2,048 tokens, selective, 2 a step
        var l = new Layout(2, 2, 2, 2, 2, 1, Recompute.SELECTIVE, 2048, 8);
        var s = StepModel.estimate(GPT, l, H100, F);
        double act = 2.0 * 2 * 2048 / 2 * 1024;          // bf16 activations of the CP shard
        double tp = 1 * 4 * 2.0 * (2 - 1) / 2 * act / NVL * (1 - F.tpOverlap());
        double kv = 2.0 * 2 * 2 * 2048 * 1024 / 2;       // K and V, bf16, over min(tp, kv heads) = 2
        double cp = 1 * 2 * (2 - 1.0) / 2 * kv / NVL * (1 - F.cpOverlap());  // tp x cp = 4 GPUs: NVLink
        double pp = 2.0 * 1 * act / 2 / NIC;
        assertThat(s.tpComm()).isCloseTo(2 * tp, within(1e-15));
        assertThat(s.cpComm()).isCloseTo(2 * cp, within(1e-15));
        assertThat(s.ppComm()).isCloseTo(2 * pp, within(1e-15));
        assertThat(s.bubble()).isCloseTo(1 * s.microBatchTime(), within(1e-15));
        double stage = (LP + EMBED) / 2;
        double dp = stage * (F.gradReduceBytes() + 2) * 3 / 4 / NIC;  // dp x cp = 4, 16 GPUs: over the NIC
        assertThat(s.dpTotal()).isCloseTo(dp, within(1e-15));
        assertThat(s.dpExposed()).isCloseTo(dp * (1 - F.dpOverlap()), within(1e-15));
    }

    @Test
    void oneStageHasNoPipelineTermsAndOneHostsDataParallelismRunsOnNvlink() {
        var l = new Layout(1, 1, 8, 1, 1, 1, Recompute.SELECTIVE, 2048, 8);
        var s = StepModel.estimate(GPT, l, H100, F);
        assertThat(s.ppComm()).isZero();
        assertThat(s.bubble()).isZero();
        assertThat(s.tpComm()).isZero();
        assertThat(s.cpComm()).isZero();
        assertThat(s.dpTotal()).isCloseTo((2 * LP + EMBED) * (F.gradReduceBytes() + 2) * 7 / 8 / NVL, within(1e-15));
    }

    @Test
    void theZonePenaltyStartsPastTheZone() {
        // a zone is 8 GPUs x 2 hosts x 192 racks = 3,072 GPUs; rings of TP8 x PP64 = 512 GPUs each
        var inside = new Layout(8, 63, 6, 1, 1, 1, Recompute.SELECTIVE, 8192, 6);
        var atZone = new Layout(8, 64, 6, 1, 1, 1, Recompute.SELECTIVE, 8192, 6);
        var past = new Layout(8, 64, 7, 1, 1, 1, Recompute.SELECTIVE, 8192, 7);
        assertThat(StepModel.zonePenalty(H100, inside)).isEqualTo(1);
        assertThat(StepModel.zonePenalty(H100, atZone)).isEqualTo(1);
        assertThat(StepModel.zonePenalty(H100, past)).isCloseTo(512 * 7.0 / 3072, within(1e-12));
    }

    @Test
    void logitsScaleWithTheMicroBatchAndShrinkWithTpAndCp() {
        // TP2 CP2, micro-batches of 2 sequences: 2 x 1,024 tokens of this GPU's CP shard, vocabulary over TP 2
        var l = new Layout(2, 1, 1, 2, 2, 1, Recompute.SELECTIVE, 2048, 2);
        assertThat(MemoryModel.estimate(GPT, l).logitsGb()).isCloseTo(6.0 * 1024 * 2 * 50_000 / 2 / 1e9, within(1e-12));
    }

    @Test
    void theLastStageUnderFullRecomputationKeepsItsLayersInputsOneWorkingSetAndTheLogits() {
        // four layers on two stages: the last holds 2 layers' inputs (2 sbh each), one layer's selective
        // set while it recomputes (34 sbh) and the logits; the first holds 2 x 2 layers' inputs and the set
        var m4 = PlannerSearchSpaceTest.M4;
        var l = new Layout(1, 2, 1, 1, 1, 1, Recompute.FULL, 2048, 2);
        double sbh = 2048.0 * 1024;
        double first = 4 * 2 * sbh + 34 * sbh, last = 2 * 2 * sbh + 34 * sbh + 6.0 * 2048 * 50_000;
        assertThat(last).isGreaterThan(first);
        var m = MemoryModel.estimate(m4, l);
        assertThat(m.activationsGb()).isCloseTo(38 * sbh / 1e9, within(1e-12));
        assertThat(m.logitsGb()).isCloseTo(6.0 * 2048 * 50_000 / 1e9, within(1e-12));
    }

    @Test
    void whenBothStagesPeakAlikeTheFirstIsReported() {
        // a vocabulary of 68 h / 6 = 34,816 words makes the logits (6 s V) equal two layers' activations
        // (2 x 34 s h): the first stage's four layers in flight weigh what the last stage's two and the
        // logits do, and the peak is the first stage's, without logits
        var m = new ModelSpec("even", 4, 3072, 12288, 16, 16, 34_816, 2048, false, true, true, "");
        var l = new Layout(1, 2, 1, 1, 1, 1, Recompute.SELECTIVE, 2048, 2);
        double sh = 2048.0 * 3072;
        assertThat(2 * 34 * sh).isEqualTo(6.0 * 2048 * 34_816);
        var mem = MemoryModel.estimate(m, l);
        assertThat(mem.activationsGb()).isCloseTo(4 * 34 * sh / 1e9, within(1e-12));
        assertThat(mem.logitsGb()).isZero();
    }

    @Test
    void overlappedTensorParallelTrafficAndFullRecomputationsSixAllReduces() {
        // all efficiencies 1; a quarter of the TP traffic hidden: per layer 4 all-reduces (6 with full
        // recomputation) of 2 x 2,048 x 1,024 bytes over TP 2, 2 (t - 1) / t = 1 of it each, at 450 GB/s
        var f = new Factors(1, 1, 1, 0.25, 0, 0, 0, 4, 2000, 2000, 600);
        double act = 2.0 * 2048 * 1024, nvlink = 900e9 / 2;
        var sel = new Layout(2, 1, 1, 1, 1, 1, Recompute.SELECTIVE, 2048, 1);
        var full = new Layout(2, 1, 1, 1, 1, 1, Recompute.FULL, 2048, 1);
        assertThat(StepModel.estimate(GPT, sel, H100, f).tpComm()).isCloseTo(2 * 4 * act / nvlink * 0.75, within(1e-15));
        assertThat(StepModel.estimate(GPT, full, H100, f).tpComm()).isCloseTo(2 * 6 * act / nvlink * 0.75, within(1e-15));
    }

    @Test
    void dataParallelTrafficOfAMiddleStageSlowedByTheZonesUplinks() {
        // Llama 3 405B, TP8 PP16 DP128 on zones of 256 GPUs: a middle stage's 8 layers (over TP 8, one
        // layer's weights per GPU) outweigh an edge stage's 7 and the embedding; 6 bytes a weight (fp32
        // gradients, bf16 weights) over the 128 replicas' ring, 127/128 of it, on the NIC (400 Gb/s at 80%,
        // 40 GB/s) slowed 3.5 times: 128 rings x 7 oversubscription / 256 GPUs
        var llama = PlanModelTest.LLAMA_405B;
        var small = new ClusterSpec("s", "dc", "H100-SXM", 3072, 8, 2, 16, 400, 7, 0, 4.916, 1390);
        var l = new Layout(8, 16, 128, 1, 1, 1, Recompute.FULL, 8192, 2048);
        double stage = 8 * llama.layerParams() / 8;
        assertThat(8 * llama.layerParams()).isGreaterThan(7 * llama.layerParams() + 128_256.0 * 16_384);
        double expected = stage * 6 * 127 / 128 / (40e9 / 3.5);
        assertThat(StepModel.estimate(llama, l, small, F).dpTotal()).isCloseTo(expected, within(1e-9));
    }

    @Test
    void aLayoutCountsItsModelParallelGpusAndRefusesSizesBelowOne() {
        var l = new Layout(2, 4, 5, 3, 1, 1, Recompute.NONE, 6, 5);
        assertThat(l.modelParallel()).isEqualTo(2 * 4 * 3);
        assertThat(l.gpus()).isEqualTo(120);
        assertThat(new Layout(1, 1, 1, 1, 1, 1, Recompute.NONE, 1, 1).gpus()).isEqualTo(1);
        for (int i = 0; i < 8; i++) {
            int[] v = {1, 1, 1, 1, 1, 1, 1, 1};
            v[i] = 0;
            assertThatThrownBy(
                            () -> new Layout(v[0], v[1], v[2], v[3], v[4], v[5], Recompute.NONE, v[6], v[7]))
                    .as("size %d", i).hasMessage("layout sizes must be >= 1");
        }
    }

    @Test
    void theStagingRateIsBoundedLikeTheStorageItStagesFor() {
        for (double ok : new double[] {1e-9, 1e7})
            assertThat(new Factors(0.58, 0.8, 0.8, 0, 0, 0.5, 4, 4, 2000, 2000, 600, ok, true).stagingGBps()).isEqualTo(ok);
        for (double bad : new double[] {0, 1.0000001e7, Double.NaN})
            assertThatThrownBy(
                            () -> new Factors(0.58, 0.8, 0.8, 0, 0, 0.5, 4, 4, 2000, 2000, 600, bad, true))
                    .hasMessage("storage bandwidths must be in (0, 1e7] GB/s");
    }
}
