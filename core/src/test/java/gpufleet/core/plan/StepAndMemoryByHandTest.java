package gpufleet.core.plan;

import org.junit.jupiter.api.Test;

import static gpufleet.core.plan.PlanModelTest.GPT;
import static gpufleet.core.plan.PlanModelTest.H100;
import static org.assertj.core.api.Assertions.assertThat;
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
}
