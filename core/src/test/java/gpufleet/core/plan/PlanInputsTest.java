package gpufleet.core.plan;

import gpufleet.core.failure.FailureModel;
import org.junit.jupiter.api.Test;

import static gpufleet.core.plan.PlanModelTest.H100;
import static gpufleet.core.plan.PlanModelTest.LLAMA_405B;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What a plan request and a model accept, at each bound: the value on the bound passes, the one past
 * it is refused with a message that names the option and the value. The cluster is 3,072 hosts of 8
 * H100s with 32 hot spare hosts, so 24,320 GPUs are available to a plan.
 */
class PlanInputsTest {

    /** A request with every searchable field given as in the arguments; the rest default. */
    private static Planner.Request req(ModelSpec m, double tokens, Integer gpus, Double budget, Integer tp, Integer pp,
                                       Integer dp, Integer cp, Integer seq, int top) {
        return new Planner.Request(m, tokens, H100, gpus, budget, tp, pp, dp, cp, seq, null, null, null, null, null,
                null, top);
    }

    private static Planner.Request gpus(Integer gpus) {
        return req(LLAMA_405B, 1e12, gpus, null, null, null, null, null, null, 5);
    }

    @Test
    void tokensAreBetweenOneAndTenToTheEighteen() {
        assertThatCode(() -> req(LLAMA_405B, 1, null, null, null, null, null, null, null, 5)).doesNotThrowAnyException();
        assertThatCode(() -> req(LLAMA_405B, 1e18, null, null, null, null, null, null, null, 5)).doesNotThrowAnyException();
        for (double bad : new double[] {0.5, 1.01e18, Double.NaN})
            assertThatThrownBy(() -> req(LLAMA_405B, bad, null, null, null, null, null, null, null, 5))
                    .hasMessage("tokens must be in [1, 1e18], got " + bad);
    }

    @Test
    void aBudgetIsPositiveAndAtMostAHundredYears() {
        assertThat(req(LLAMA_405B, 1e12, null, 36_500.0, null, null, null, null, null, 5).budgetDays()).isEqualTo(36_500);
        assertThat(req(LLAMA_405B, 1e12, null, 0.01, null, null, null, null, null, 5).budgetDays()).isEqualTo(0.01);
        for (double bad : new double[] {0, -1, 36_500.5, Double.NaN})
            assertThatThrownBy(() -> req(LLAMA_405B, 1e12, null, bad, null, null, null, null, null, 5))
                    .hasMessage("--budget-days must be in (0, 36500], got " + bad);
    }

    @Test
    void gpusAreAtMostTheClustersLessItsSpares() {
        assertThat(gpus(24_320).availableGpus()).isEqualTo(24_320);
        assertThat(gpus(1).gpus()).isEqualTo(1);
        assertThatThrownBy(() -> gpus(24_321))
                .hasMessage("--gpus must be in [1, 24320] (cluster 'c' has 24576 GPUs, 256 of them hot spares), got 24321");
        assertThatThrownBy(() -> gpus(0)).hasMessageStartingWith("--gpus must be in [1, 24320]");
    }

    @Test
    void missingPartsTakeTheirDefaults() {
        var r = gpus(null);
        assertThat(r.factors()).isEqualTo(Factors.DEFAULT);
        assertThat(r.failures()).isEqualTo(FailureModel.LLAMA3);
        assertThat(r.top()).isEqualTo(5);
        assertThat(req(LLAMA_405B, 1e12, null, null, null, null, null, null, null, 0).top()).isEqualTo(5);
        assertThat(req(LLAMA_405B, 1e12, null, null, null, null, null, null, null, 1).top()).isEqualTo(1);
        assertThat(r.seq()).isEqualTo(8192);
        assertThat(req(LLAMA_405B, 1e12, null, null, null, null, null, null, 4096, 5).seq()).isEqualTo(4096);
        assertThatThrownBy(() -> new Planner.Request(null, 1e12, H100, null, null, null, null, null, null, null, null,
                null, null, null, null, null, 5)).hasMessage("a plan needs a model and a cluster");
        assertThatThrownBy(() -> new Planner.Request(LLAMA_405B, 1e12, null, null, null, null, null, null, null, null,
                null, null, null, null, null, null, 5)).hasMessage("a plan needs a model and a cluster");
    }

    @Test
    void everyFixedDimensionIsAtLeastOne() {
        String[] names = {"--tp", "--pp", "--dp", "--cp", "--seq-len", "--micro-batch", "--global-batch", "--interleave"};
        for (int i = 0; i < names.length; i++) {
            Integer[] v = new Integer[8];
            v[i] = 0;
            assertThatThrownBy(() -> new Planner.Request(LLAMA_405B, 1e12, H100, null, null, v[0], v[1], v[2], v[3],
                    v[4], v[5], v[6], null, v[7], null, null, 5)).hasMessage(names[i] + " must be >= 1, got 0");
            v[i] = 1;
            assertThatCode(() -> new Planner.Request(LLAMA_405B, 1e12, H100, null, null, v[0], v[1], v[2], v[3],
                    v[4], v[5], v[6], null, v[7], null, null, 5)).as(names[i] + " 1").doesNotThrowAnyException();
        }
    }

    @Test
    void tensorParallelismStaysInAHostAndSplitsTheHeads() {
        assertThatCode(() -> req(LLAMA_405B, 1e12, null, null, 8, null, null, null, null, 5)).doesNotThrowAnyException();
        // 12 query heads in 4 key/value groups: TP 2 divides both, TP 3 divides the heads but not the groups
        var gqa = new ModelSpec("gqa", 4, 1536, 4096, 12, 4, 1000, 1024, true, false, false, "");
        assertThatCode(() -> req(gqa, 1e9, null, null, 2, null, null, null, null, 5)).doesNotThrowAnyException();
        assertThatThrownBy(() -> req(gqa, 1e9, null, null, 3, null, null, null, null, 5))
                .hasMessage("--tp 3 must divide the key/value heads (4) or be a multiple of them");
        // 8 query heads sharing 2 key/value heads: TP 4 is a multiple of 2, so each group is copied
        var mqa = new ModelSpec("mqa", 4, 1024, 4096, 8, 2, 1000, 1024, true, false, false, "");
        assertThatCode(() -> req(mqa, 1e9, null, null, 4, null, null, null, null, 5)).doesNotThrowAnyException();
    }

    @Test
    void pipelineStagesAreAtMostTheLayers() {
        assertThatCode(() -> req(LLAMA_405B, 1e12, null, null, null, 126, null, null, null, 5)).doesNotThrowAnyException();
        assertThatThrownBy(() -> req(LLAMA_405B, 1e12, null, null, null, 127, null, null, null, 5))
                .hasMessage("--pp 127 is more stages than the model's 126 layers");
    }

    @Test
    void contextParallelismSplitsTheSequenceIntoTwiceAsManyEqualChunks() {
        assertThatCode(() -> req(LLAMA_405B, 1e12, null, null, null, null, null, 1, 8191, 5)).as("cp 1: no split")
                .doesNotThrowAnyException();
        assertThatCode(() -> req(LLAMA_405B, 1e12, null, null, null, null, null, 2, 8196, 5)).doesNotThrowAnyException();
        assertThatThrownBy(() -> req(LLAMA_405B, 1e12, null, null, null, null, null, 2, 8194, 5))
                .hasMessage("--cp 2: the sequence length (8194) must split into 2 x cp equal chunks");
        assertThatCode(() -> req(LLAMA_405B, 1e12, null, null, null, null, null, 4, null, 5))
                .as("the model's own 8192 splits into 8").doesNotThrowAnyException();
    }

    @Test
    void aFullyFixedLayoutMustMultiplyToTheGpus() {
        assertThatCode(() -> req(LLAMA_405B, 1e12, 1024, null, 8, 16, 4, 2, null, 5)).doesNotThrowAnyException();
        assertThatThrownBy(() -> req(LLAMA_405B, 1e12, 1024, null, 8, 16, 4, 1, null, 5))
                .hasMessage("tp x pp x cp x dp = 512 but --gpus is 1024");
        assertThatCode(() -> req(LLAMA_405B, 1e12, 1024, null, 8, 16, 4, null, null, 5)).as("cp searched")
                .doesNotThrowAnyException();
    }

    @Test
    void aModelsSizesAreBoundedAndItsHeadsGroupEvenly() {
        assertThatCode(() -> new ModelSpec("m", 1, 1, 1, 1, 1, 1, 1, false, false, false, null)).doesNotThrowAnyException();
        assertThat(new ModelSpec("m", 1, 1, 1, 1, 1, 1, 1, false, false, false, null).source()).isEmpty();
        assertThatCode(() -> new ModelSpec("m", 100_000, 1_000_000, 10_000_000, 100_000, 100_000, 100_000_000,
                100_000_000, false, false, false, "")).doesNotThrowAnyException();
        String[] fields = {"layers", "hidden", "ffn", "heads", "kvHeads", "vocab", "seqLen"};
        long[] max = {100_000, 1_000_000, 10_000_000, 100_000, 100_000, 100_000_000, 100_000_000};
        for (int i = 0; i < fields.length; i++) {
            for (long bad : new long[] {0, max[i] + 1}) {
                long[] v = {1, 1, 1, 1, 1, 1, 1};
                v[i] = bad;
                assertThatThrownBy(() -> new ModelSpec("m", (int) v[0], (int) v[1], (int) v[2], (int) v[3], (int) v[4],
                        (int) v[5], (int) v[6], false, false, false, ""))
                        .hasMessage("model 'm': " + fields[i] + " must be in [1, " + max[i] + "], got " + bad);
            }
        }
        assertThatThrownBy(() -> new ModelSpec(" ", 1, 1, 1, 1, 1, 1, 1, false, false, false, ""))
                .hasMessage("a model needs a name");
        assertThatThrownBy(() -> new ModelSpec("m", 1, 100, 1, 3, 1, 1, 1, false, false, false, ""))
                .hasMessageContaining("heads (3) must divide hidden (100)");
        assertThatThrownBy(() -> new ModelSpec("m", 1, 96, 1, 4, 8, 1, 1, false, false, false, ""))
                .hasMessageContaining("kvHeads (8) must divide heads (4)");
        assertThatThrownBy(() -> new ModelSpec("m", 1, 96, 1, 12, 8, 1, 1, false, false, false, ""))
                .hasMessageContaining("kvHeads (8) must divide heads (12)");
        assertThat(new ModelSpec("m", 1, 96, 1, 12, 12, 1, 1, false, false, false, "").headDim()).isEqualTo(8);
    }
}
