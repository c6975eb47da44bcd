package gpufleet.core.plan;

import gpufleet.core.failure.FailureCause;
import gpufleet.core.failure.FailureModel;
import gpufleet.core.topology.ClusterSpec;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import static gpufleet.core.plan.PlanModelTest.H100;
import static gpufleet.core.plan.PlanModelTest.LLAMA_405B;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Which layouts the planner's search tries, worked out by hand from the rules in {@link Planner}'s
 * class comment on small models and one- or two-host clusters, where the whole search can be listed.
 */
class PlannerSearchSpaceTest {
    /** A four-layer GPT: 16 heads with their own K and V, 2,048-token sequences. */
    static final ModelSpec M4 = new ModelSpec("m4", 4, 1024, 4096, 16, 16, 50000, 2048, false, true, true, "");
    /** One host of 8 H100s, no spares: 8 GPUs to plan on. */
    static final ClusterSpec ONE_HOST = new ClusterSpec("one", "dc", "H100-SXM", 1, 8, 1, 1, 400, 1, 0, 2.0, 1000);
    /** Two such hosts: 16 GPUs. */
    static final ClusterSpec TWO_HOSTS = new ClusterSpec("two", "dc", "H100-SXM", 2, 8, 2, 1, 400, 1, 0, 2.0, 1000);

    private static Planner.Request req(ModelSpec m, ClusterSpec c, Integer gpus, Integer tp, Integer pp, Integer dp,
                                       Integer cp, Integer seq, Integer mb, Integer gb, Integer v) {
        return new Planner.Request(m, 1e12, c, gpus, null, tp, pp, dp, cp, seq, mb, gb, Recompute.SELECTIVE, v, null,
                null, 1000);
    }

    private static Set<Integer> tried(Planner.Result r, java.util.function.ToIntFunction<Layout> dim) {
        return r.plans().stream().map(p -> dim.applyAsInt(p.layout())).collect(Collectors.toSet());
    }

    @Test
    void tensorParallelismDividesTheHeadsAndTheKeyValueHeadsOrIsAMultipleOfThem() {
        // 8 query heads in 2 key/value groups: TP 1 and 2 divide both, TP 4 and 8 are multiples of 2
        var gqa = new ModelSpec("gqa", 4, 1024, 4096, 8, 2, 50000, 2048, false, true, false, "");
        var r = Planner.plan(req(gqa, ONE_HOST, 8, null, 1, null, 1, null, 1, null, 1));
        assertThat(tried(r, Layout::tp)).containsExactlyInAnyOrder(1, 2, 4, 8);
        assertThat(r.evaluated()).isEqualTo(4);
        // 24 query heads in 6 groups: TP 4 and 8 divide the heads but neither divide 6 nor are multiples of it
        var six = new ModelSpec("six", 4, 1536, 4096, 24, 6, 50000, 2048, false, true, false, "");
        assertThat(tried(Planner.plan(req(six, ONE_HOST, 8, null, 1, null, 1, null, 1, null, 1)), Layout::tp))
                .containsExactlyInAnyOrder(1, 2);
        // 12 heads, each its own group: TP 8 does not divide 12
        var twelve = new ModelSpec("twelve", 4, 1536, 4096, 12, 12, 50000, 2048, false, true, false, "");
        assertThat(tried(Planner.plan(req(twelve, ONE_HOST, 8, null, 1, null, 1, null, 1, null, 1)), Layout::tp))
                .containsExactlyInAnyOrder(1, 2, 4);
    }

    @Test
    void pipelinesAreAtMostAsDeepAsTheModelHasLayers() {
        // 4 layers: PP 1, 2 and 4 (8 would leave stages without a layer)
        var r = Planner.plan(req(M4, ONE_HOST, 8, 1, null, null, 1, null, 1, null, 1));
        assertThat(tried(r, Layout::pp)).containsExactlyInAnyOrder(1, 2, 4);
    }

    @Test
    void contextParallelismNeedsTheSequenceInTwiceAsManyEqualChunks() {
        // 1,028 = 4 x 257: two chunks of 514 each for CP 2's four, but not eight for CP 4
        var r = Planner.plan(req(M4, ONE_HOST, 8, 1, 1, null, null, 1028, 1, null, 1));
        assertThat(tried(r, Layout::cp)).containsExactlyInAnyOrder(1, 2);
        // an odd length splits for no CP, but CP 1 does not split it at all
        assertThat(tried(Planner.plan(req(M4, ONE_HOST, 8, 1, 1, null, null, 1025, 1, null, 1)), Layout::cp))
                .containsExactly(1);
    }

    @Test
    void interleavingNeedsAPipelineALayerPerVirtualStageAndAMicroBatchPerStage() {
        // PP 2 on 4 layers: 2 layers a stage, so v is 1 or 2; micro-batches of 2 sequences on 1 replica
        var two = Planner.plan(req(M4, ONE_HOST, 2, 1, 2, null, 1, null, 2, 4, null));  // 2 micro-batches = pp
        assertThat(tried(two, Layout::interleave)).containsExactlyInAnyOrder(1, 2);
        assertThat(two.evaluated()).isEqualTo(2);
        var one = Planner.plan(req(M4, ONE_HOST, 2, 1, 2, null, 1, null, 2, 2, null));  // 1 micro-batch < pp
        assertThat(tried(one, Layout::interleave)).containsExactly(1);
        // no pipeline, nothing to interleave
        var flat = Planner.plan(req(M4, ONE_HOST, 2, 2, 1, null, 1, null, 2, 4, null));
        assertThat(flat.evaluated()).isEqualTo(1);
    }

    @Test
    void gpuCountsArePowersOfTwoTimesAHostAndTheWholeClusterEachOnce() {
        // 16 GPUs, TP 8: a host (DP 1) and two hosts (DP 2), which is also the whole cluster, tried once
        var r = Planner.plan(req(M4, TWO_HOSTS, null, 8, 1, null, 1, null, 1, null, 1));
        assertThat(r.evaluated()).isEqualTo(2);
        assertThat(tried(r, Layout::dp)).containsExactlyInAnyOrder(1, 2);
        // a fixed DP that fills the cluster exactly is a layout
        var full = Planner.plan(req(M4, TWO_HOSTS, null, 8, 1, 2, 1, null, 1, null, 1));
        assertThat(full.plans()).extracting(p -> p.layout().gpus()).containsExactly(16);
    }

    @Test
    void theLargestGlobalBatchAnIntHoldsIsStillALayout() {
        // micro-batches of 2^31 - 1 sequences on one replica: the default batch rounds to one of them,
        // 2^31 - 1 sequences, which is a layout (far too large to fit), not "no layout"
        assertThatThrownBy(() -> Planner.plan(req(M4, ONE_HOST, 8, 8, 1, null, 1, null, Integer.MAX_VALUE, null, 1)))
                .hasMessageStartingWith("no layout fits in GPU memory")
                .hasMessageContaining("(TP8 PP1 DP1 CP1 mb2147483647 selective)");
    }

    @Test
    void aLayoutThatNeedsExactlyTheUsableMemoryFits() {
        var l = new Layout(1, 1, 8, 1, 4, 1, Recompute.SELECTIVE, 32768, 32);
        double need = MemoryModel.estimate(M4, l).totalGb();
        double reserve = 80 - need;            // 80 GB of H100 memory less the reserve is the need itself
        assertThat(80 - reserve).as("the subtraction is exact here").isEqualTo(need);
        var f = new Factors(0.58, 0.8, 0.8, 0, 0, 0.5, reserve, 4, 2000, 2000, 600);
        var r = Planner.plan(new Planner.Request(M4, 1e12, ONE_HOST, 8, null, 1, 1, 8, 1, 32768, 4, 32,
                Recompute.SELECTIVE, 1, f, null, 5));
        assertThat(r.plans()).extracting(p -> p.layout()).containsExactly(l);
        var tighter = new Factors(0.58, 0.8, 0.8, 0, 0, 0.5, reserve + 1e-6, 4, 2000, 2000, 600);
        assertThatThrownBy(() -> Planner.plan(new Planner.Request(M4, 1e12, ONE_HOST, 8, null, 1, 1, 8, 1, 32768, 4, 32,
                Recompute.SELECTIVE, 1, tighter, null, 5))).hasMessageStartingWith("no layout fits in GPU memory");
    }

    @Test
    void aRefusalNamesTheFirstOfTheLayoutsThatNeedTheLeast() {
        // a 500,000-word vocabulary on 65,536-token sequences: the last stage's logits (6 x 65,536 x 500,000
        // bytes, 197 GB) outweigh the first stage's activations with or without interleaving, so PP 2 and
        // PP 2x2 need the same; the plain one comes first in the search and is the one named
        var wide = new ModelSpec("wide", 4, 1024, 4096, 16, 16, 500_000, 65_536, false, true, true, "");
        var plain = new Layout(1, 2, 1, 1, 1, 1, Recompute.SELECTIVE, 65_536, 2);
        var inter = new Layout(1, 2, 1, 1, 1, 2, Recompute.SELECTIVE, 65_536, 2);
        double need = MemoryModel.estimate(wide, plain).totalGb();
        assertThat(MemoryModel.estimate(wide, inter).totalGb()).isEqualTo(need);
        assertThatThrownBy(() -> Planner.plan(req(wide, ONE_HOST, 2, 1, 2, null, 1, null, 1, 2, null)))
                .hasMessageStartingWith(String.format(java.util.Locale.ROOT,
                        "no layout fits in GPU memory: the smallest needs %.1f GB per GPU (TP1 PP2 DP1 CP1 mb1 selective),",
                        need));
    }

    @Test
    void aLayoutThatDoesNotMultiplyToTheGpusSaysWhatItMultipliesTo() {
        assertThatThrownBy(() -> new Planner.Request(LLAMA_405B, 1e12, H100, 256, null, 2, 4, 8, 2, null, null, null,
                null, null, null, null, 5)).hasMessage("tp x pp x cp x dp = 128 but --gpus is 256");
    }

    @Test
    void aBudgetPutsTheCheapestPlanThatMeetsItFirstEvenWhenItMeetsItExactly() {
        // the two-layer GPT on 64 GPUs with 64 sequences a step: plans trade days against dollars
        var gpt = PlanModelTest.GPT;
        var c = new ClusterSpec("c", "dc", "H100-SXM", 8, 8, 2, 4, 400, 7, 0, 2.0, 1000);
        var free = Planner.plan(new Planner.Request(gpt, 1e12, c, null, null, null, null, null, null, null, null, 64,
                null, null, null, null, 1000)).plans();
        // every plan cheaper than all the faster ones is the cheapest that meets a budget of its own days
        double cheapestSoFar = Double.POSITIVE_INFINITY;
        int budgets = 0;
        for (Plan k : free) {
            if (!(k.costUsd() < cheapestSoFar)) continue;
            cheapestSoFar = k.costUsd();
            var r = Planner.plan(new Planner.Request(gpt, 1e12, c, null, k.expectedDays(), null, null, null, null, null,
                    null, 64, null, null, null, null, 1000));
            assertThat(r.budgetMet()).isTrue();
            assertThat(r.plans().getFirst()).as("budget %s days", k.expectedDays()).isEqualTo(k);
            // then the other plans within the budget, cheapest first, then the rest, fastest first
            List<Plan> plans = r.plans();
            int within = (int) plans.stream().filter(p -> p.expectedDays() <= k.expectedDays()).count();
            for (int i = 1; i < plans.size(); i++) {
                if (i < within) assertThat(plans.get(i).costUsd()).isGreaterThanOrEqualTo(plans.get(i - 1).costUsd());
                else assertThat(plans.get(i).expectedDays()).isGreaterThan(k.expectedDays());
                if (i > within) assertThat(plans.get(i).expectedDays()).isGreaterThanOrEqualTo(plans.get(i - 1).expectedDays());
            }
            budgets++;
        }
        assertThat(budgets).as("plans that trade days for dollars").isGreaterThan(2);
    }

    @Test
    void plansThatCannotFinishAreListedByLabel() {
        // software failures at 1 per GPU-day on 16 GPUs: a start every 5,400 s; each of the 2 hosts breaks a
        // start with probability 1/2, so 3 in 4 starts break within the day-long window: 3 more starts
        // expected per start, each over 43,200 s (a restart and half the window), more than the time between
        // starts, so no plan makes progress (ETTR 0)
        var doomed = new FailureModel("doomed", "", List.of(new FailureCause("software", FailureCause.Scope.JOB, 1, 0,
                false, "")), new FailureModel.Heterogeneity(0, 1, 0.5, 86_400, ""));
        var m16 = new ModelSpec("m16", 16, 1024, 4096, 16, 16, 50000, 2048, false, true, true, "");
        var r = Planner.plan(new Planner.Request(m16, 1e12, TWO_HOSTS, 16, null, 1, null, null, 1, null, 1, null,
                Recompute.SELECTIVE, 1, null, doomed, 10));
        assertThat(r.plans()).allSatisfy(p -> {
            assertThat(p.ettr()).isZero();
            assertThat(p.expectedDays()).isInfinite();
        });
        // equal days and cost: by label, where PP16 sorts between PP1 and PP2
        assertThat(r.plans()).extracting(p -> p.layout().label()).containsExactly(
                "TP1 PP1 DP16 CP1 mb1 selective", "TP1 PP16 DP1 CP1 mb1 selective", "TP1 PP2 DP8 CP1 mb1 selective",
                "TP1 PP4 DP4 CP1 mb1 selective", "TP1 PP8 DP2 CP1 mb1 selective");
    }
}
