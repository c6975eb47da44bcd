package gpufleet.core.plan;

import org.junit.jupiter.api.Test;

import static gpufleet.core.plan.PlanModelTest.H100;
import static gpufleet.core.plan.PlanModelTest.LLAMA_405B;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class PlannerTest {
    static Planner.Request req(Integer gpus, Integer tp, Integer pp, Integer dp, Integer cp, Integer seq) {
        return new Planner.Request(LLAMA_405B, 15.6e12, H100, gpus, null, tp, pp, dp, cp, seq, null, null, null, null,
                null, null, 5);
    }

    @Test
    void searchRanksFittingLayoutsByExpectedDays() {
        var r = Planner.plan(req(16384, null, null, null, null, null));
        assertThat(r.plans()).hasSize(5);
        for (int i = 1; i < r.plans().size(); i++)
            assertThat(r.plans().get(i).expectedDays()).isGreaterThanOrEqualTo(r.plans().get(i - 1).expectedDays());
        for (var p : r.plans()) {
            assertThat(p.layout().gpus()).isEqualTo(16384);
            assertThat(p.memory().totalGb()).isLessThanOrEqualTo(80 - Factors.DEFAULT.memoryReserveGb());
            assertThat(p.layout().tokensPerStep()).isEqualTo(2048L * 8192);
            // today's five best sit at 43.6-44.5% (the README's plan table); half a point either side
            assertThat(p.mfu()).isBetween(0.431, 0.450);
        }
        assertThat(r.plans().getFirst().layout().label()).isEqualTo("TP8 PP16x8 DP32 CP4 mb1 none");
        assertThat(r.plans().getFirst().mfu()).isCloseTo(0.445, within(0.005));
    }

    @Test
    void fixingEveryDimensionEvaluatesOneLayout() {
        var r = Planner.plan(new Planner.Request(LLAMA_405B, 15.6e12, H100, 16384, null, 8, 16, 128, 1, 8192, 1, 2048,
                Recompute.FULL, 1, null, null, 5));
        assertThat(r.evaluated()).isEqualTo(1);
        assertThat(r.plans().getFirst().layout().label()).isEqualTo("TP8 PP16 DP128 CP1 mb1 full");
    }

    @Test
    void aLayoutThatDoesNotFitSaysHowMuchItNeeds() {
        assertThatThrownBy(() -> Planner.plan(new Planner.Request(LLAMA_405B, 15.6e12, H100, 64, null, 8, 8, 1, 1, 8192,
                1, 16, Recompute.NONE, 1, null, null, 5)))
                .hasMessageContaining("no layout fits in GPU memory: the smallest needs")
                .hasMessageContaining("H100-SXM has 80 GB")
                .hasMessageContaining("more GPUs").hasMessageContaining("shorter sequences");
    }

    @Test
    void tensorParallelismMustDivideTheHeadsAndStayInAHost() {
        assertThatThrownBy(() -> Planner.plan(req(16384, 16, null, null, null, null)))
                .hasMessageContaining("one host's NVLink domain (8 GPUs)");
        var odd = new ModelSpec("odd", 4, 1536, 4096, 12, 12, 1000, 1024, false, false, false, "");
        assertThatThrownBy(() -> new Planner.Request(odd, 1e9, H100, 8, null, 8, null, null, null, null, null, null, null,
                null, null, null, 5)).hasMessageContaining("--tp 8 must divide the attention heads (12)");
    }

    @Test
    void gpuCountsThatNoLayoutDividesAreExplained() {
        assertThatThrownBy(() -> Planner.plan(req(24, 8, 16, null, null, null)))
                .hasMessageContaining("multiple of tp x pp x cp");
    }

    @Test
    void aBudgetPicksTheCheapestPlanThatMeetsIt() {
        var r = Planner.plan(new Planner.Request(LLAMA_405B, 15.6e12, H100, null, 120.0, null, null, null, null, null,
                null, null, null, null, null, null, 5));
        assertThat(r.budgetMet()).isTrue();
        var best = r.plans().getFirst();
        assertThat(best.expectedDays()).isLessThanOrEqualTo(120);
        for (var p : r.plans()) if (p.expectedDays() <= 120) assertThat(p.costUsd()).isGreaterThanOrEqualTo(best.costUsd());
    }
}
