package gpufleet.core.plan;

import gpufleet.core.topology.ClusterSpec;
import org.junit.jupiter.api.Test;

import static gpufleet.core.plan.PlanModelTest.H100;
import static gpufleet.core.plan.PlanModelTest.LLAMA_405B;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What the planner's search tries, how a budget ranks its plans, and what its refusals suggest. */
class PlannerSearchTest {
    private static Planner.Request req(Integer gpus, Double budget, Integer tp, Integer pp, Integer dp, Integer cp,
                                       Integer globalBatch, Recompute rc, ClusterSpec c, int top) {
        return new Planner.Request(LLAMA_405B, 15.6e12, c, gpus, budget, tp, pp, dp, cp, null, null, globalBatch, rc,
                null, null, null, top);
    }

    @Test
    void aBudgetMetExactlyCountsAsMetAndItsPlanComesFirst() {
        var free = Planner.plan(req(16384, null, 8, 16, null, null, null, null, H100, 100));
        assertThat(free.budgetMet()).as("no budget").isFalse();
        var fastest = free.plans().getFirst();
        var exact = Planner.plan(req(16384, fastest.expectedDays(), 8, 16, null, null, null, null, H100, 100));
        assertThat(exact.budgetMet()).isTrue();
        assertThat(exact.plans().getFirst()).as("the only plan within the budget").isEqualTo(fastest);
        var tight = Planner.plan(req(16384, fastest.expectedDays() * 0.999, 8, 16, null, null, null, null, H100, 100));
        assertThat(tight.budgetMet()).isFalse();
        assertThat(tight.plans()).as("none meets it: fastest first").isEqualTo(free.plans());
    }

    @Test
    void theSearchTriesTheWholeClusterAsWellAsPowersOfTwo() {
        // 24,320 GPUs are available: 190 replicas of TP8 x PP16, not a power of two
        var r = Planner.plan(req(null, null, 8, 16, null, 1, null, Recompute.FULL, H100, 1000));
        assertThat(r.plans()).extracting(p -> p.layout().gpus()).contains(24_320, 16_384, 8_192).doesNotContain(24_576);
    }

    @Test
    void aFixedDataParallelDegreeBeyondTheClusterHasNoLayout() {
        assertThatThrownBy(() -> Planner.plan(req(null, null, 8, 16, 256, 1, null, null, H100, 5)))
                .hasMessageContaining("no layout of tp x pp x cp x dp matches the GPU counts tried");
        assertThatThrownBy(() -> Planner.plan(req(24, null, 8, 16, null, null, null, null, H100, 5)))
                .hasMessageContaining("matches 24 GPUs with the fixed sizes given")
                .hasMessageContaining("a power of two times 8");
        assertThatThrownBy(() -> Planner.plan(req(16384, null, 8, 16, 128, 1, 3, null, H100, 5)))
                .hasMessageStartingWith("no layout divides the global batch of 3 sequences");
    }

    @Test
    void aRefusalSuggestsOnlyWhatTheRequestFixed() {
        // everything fixed, no recomputation: every way out applies
        assertThatThrownBy(() -> Planner.plan(req(64, null, 8, 8, 1, 1, 16, Recompute.NONE, H100, 5)))
                .hasMessageContaining("use more GPUs").hasMessageContaining("let the planner choose --tp/--pp")
                .hasMessageContaining("allow full recomputation");
        // one host searched freely: more GPUs are not the request's to give, nothing was fixed
        var oneHost = new ClusterSpec("one", "dc", "H100-SXM", 1, 8, 1, 1, 400, 1, 0, 4.916, 1390);
        assertThatThrownBy(() -> Planner.plan(req(null, null, null, null, null, null, null, null, oneHost, 5)))
                .hasMessageStartingWith("no layout fits in GPU memory")
                .hasMessageNotContaining("use more GPUs").hasMessageNotContaining("let the planner choose")
                .hasMessageNotContaining("allow full recomputation")
                .hasMessageContaining("use a GPU with more memory");
        assertThatThrownBy(() -> Planner.plan(req(64, null, 8, 8, 1, 1, 16, Recompute.FULL, H100, 5)))
                .hasMessageNotContaining("allow full recomputation");
    }
}
