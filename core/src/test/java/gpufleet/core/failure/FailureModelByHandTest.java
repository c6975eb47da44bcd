package gpufleet.core.failure;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * Per-generation factors, planned rates, the uniform path and host heterogeneity, each worked out by
 * hand or from the invariant the class comment states.
 */
class FailureModelByHandTest {
    private static final FailureModel.Heterogeneity ALIKE = FailureModel.Heterogeneity.NONE;

    private static FailureCause gpu(String name, double rate, Map<String, Double> factors) {
        return new FailureCause(name, FailureCause.Scope.GPU, rate, 1, false, "", factors);
    }

    @Test
    void aGenerationFactorMultipliesTheRateWhateverTheCaseOfTheTypeName() {
        var c = gpu("g", 0.01, Map.of("b200", 2.0, "A100", 0.5));
        // names are kept upper case and looked up upper case
        assertThat(c.gpuTypeFactors()).containsOnlyKeys("B200", "A100");
        assertThat(c.factor("B200")).isEqualTo(2.0);
        assertThat(c.factor("a100")).isEqualTo(0.5);
        // unlisted or no type: the measured rate
        assertThat(c.factor("H100")).isEqualTo(1.0);
        assertThat(c.factor(null)).isEqualTo(1.0);
        // 0.01 a GPU-day x 2 on B200, x 0.5 on A100
        assertThat(c.ratePerDay("b200")).isCloseTo(0.02, within(1e-15));
        assertThat(c.ratePerDay("A100")).isCloseTo(0.005, within(1e-15));
        assertThat(c.ratePerDay(null)).isEqualTo(0.01);
        // 8 GPUs on B200: 8 x 0.02
        assertThat(c.jobRatePerDay(8, 1, "B200")).isCloseTo(0.16, within(1e-15));
        // a cause without factors: 1 on any type, and a null map is no factors
        var plain = new FailureCause("p", FailureCause.Scope.GPU, 0.01, 1, false, "", null);
        assertThat(plain.gpuTypeFactors()).isEmpty();
        assertThat(plain.factor("B200")).isEqualTo(1.0);
    }

    @Test
    void aFactorOfZeroTurnsTheCauseOffOnThatTypeAndFactorsAreCheckedAtTheirBounds() {
        var c = gpu("g", 0.01, Map.of("B200", 0.0, "H200", 1000.0));
        assertThat(c.ratePerDay("B200")).isZero();
        assertThat(c.ratePerDay("H200")).isCloseTo(10.0, within(1e-12));
        for (double bad : new double[] {-1e-9, 1000.001, Double.NaN}) {
            var m = new HashMap<String, Double>();
            m.put("B200", bad);
            assertThatThrownBy(() -> gpu("g", 0.01, m))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("failure cause 'g': the factor for B200 must be in [0, 1000], got " + bad);
        }
    }

    @Test
    void plannedRatesAreTheirOwnSum() {
        var m = new FailureModel("m", List.of(
                new FailureCause("a", FailureCause.Scope.HOST, 0.1, 2, true, ""),
                new FailureCause("b", FailureCause.Scope.GPU, 0.01, 2, true, "", Map.of("B200", 3.0)),
                new FailureCause("c", FailureCause.Scope.GPU, 0.5, 2, false, "")));
        // 16 GPUs on 2 hosts: 2 x 0.1 + 16 x 0.01 = 0.36 planned a day; the unplanned 8 a day stays out
        assertThat(m.jobPlannedRatePerDay(16, 2, null)).isCloseTo(0.36, within(1e-12));
        // on B200 the GPU cause counts three times: 0.2 + 16 x 0.03 = 0.68
        assertThat(m.jobPlannedRatePerDay(16, 2, "B200")).isCloseTo(0.68, within(1e-12));
        assertThat(FailureModel.NONE.jobPlannedRatePerDay(16, 2, null)).isZero();
        // LLAMA3's only planned cause: 47 in 54 days on 2,048 hosts, a job on one host
        assertThat(FailureModel.LLAMA3.jobPlannedRatePerDay(8, 1, null)).isCloseTo(47 / (54.0 * 2048), within(1e-15));
    }

    @Test
    void aModelIsUniformOnlyWithoutGenerationFactorsAndWithAlikeHosts() {
        var plain = new FailureCause("p", FailureCause.Scope.GPU, 0.01, 1, false, "");
        assertThat(new FailureModel("m", List.of(plain)).uniform()).isTrue();
        assertThat(FailureModel.NONE.uniform()).isTrue();
        assertThat(FailureModel.LLAMA3.uniform()).isTrue();
        // one cause with a factor is enough to leave the plain path
        assertThat(new FailureModel("m", List.of(plain, gpu("f", 0.01, Map.of("B200", 2.0)))).uniform()).isFalse();
        // lemons alone, or a start risk alone
        var lemons = new FailureModel.Heterogeneity(0.1, 5, 0, 0, "");
        assertThat(new FailureModel("m", "", List.of(plain), lemons).uniform()).isFalse();
        var startRisk = new FailureModel.Heterogeneity(0, 1, 0.01, 600, "");
        assertThat(new FailureModel("m", "", List.of(plain), startRisk).uniform()).isFalse();
    }

    @Test
    void aModelKeepsItsDescriptionAndHeterogeneityAndFillsInMissingOnes() {
        var h = new FailureModel.Heterogeneity(0.1, 5, 0, 0, "s");
        var m = new FailureModel("m", "d", List.of(), h);
        assertThat(m.description()).isEqualTo("d");
        assertThat(m.heterogeneity()).isSameAs(h);
        var bare = new FailureModel("m", null, List.of(), null);
        assertThat(bare.description()).isEmpty();
        assertThat(bare.heterogeneity()).isSameAs(ALIKE);
        var c = new FailureCause("x", FailureCause.Scope.GPU, 0.01, 1, false, "");
        assertThatThrownBy(() -> new FailureModel("m", List.of(c, c))).hasMessage("failure cause 'x' appears twice");
    }

    @Test
    void lemonFactorsKeepTheFleetAverageAtTheCitedRate() {
        // 10% lemons failing 11 times as often: norm = 0.9 + 0.1 x 11 = 2, so a lemon at 11/2 = 5.5 and
        // any other host at 1/2; the fleet average 0.1 x 5.5 + 0.9 x 0.5 = 1
        var h = new FailureModel.Heterogeneity(0.1, 11, 0, 0, "");
        assertThat(h.hostFactors()).containsExactly(new double[] {5.5, 0.5}, within(1e-12));
        // a quarter of lemons at 4 times: norm = 0.75 + 1 = 1.75
        double[] f = new FailureModel.Heterogeneity(0.25, 4, 0, 0, "").hostFactors();
        assertThat(f).containsExactly(new double[] {4 / 1.75, 1 / 1.75}, within(1e-12));
        assertThat(0.25 * f[0] + 0.75 * f[1]).isCloseTo(1, within(1e-12));
        // alike hosts: both 1
        assertThat(ALIKE.hostFactors()).containsExactly(1, 1);
    }

    @Test
    void theStartRiskOfARunIsOneMinusEveryHostStartingWell() {
        var h = new FailureModel.Heterogeneity(0, 1, 0.1, 600, "");
        // 1 - 0.9^2 = 0.19; one host: 0.1; 3 hosts: 1 - 0.729 = 0.271
        assertThat(h.startFailure(2)).isCloseTo(0.19, within(1e-12));
        assertThat(h.startFailure(1)).isCloseTo(0.1, within(1e-12));
        assertThat(h.startFailure(3)).isCloseTo(0.271, within(1e-12));
        assertThat(ALIKE.startFailure(100)).isZero();
        assertThat(h.none()).isFalse();
    }

    @Test
    void heterogeneityIsCheckedAtItsBounds() {
        // every bound itself is accepted
        var low = new FailureModel.Heterogeneity(0, 1, 0, 0, null);
        assertThat(low.source()).isEmpty();
        assertThat(low.none()).isTrue();
        var high = new FailureModel.Heterogeneity(0.5, 10_000, 0.5, 86_400, "s");
        assertThat(high.source()).isEqualTo("s");
        assertThat(high.startWindowSec()).isEqualTo(86_400);
        for (double bad : new double[] {-1e-9, 0.500001, Double.NaN})
            assertThatThrownBy(() -> new FailureModel.Heterogeneity(bad, 1, 0, 0, ""))
                    .hasMessage("lemon share must be in [0, 0.5], got " + bad);
        for (double bad : new double[] {0.999999, 10_000.001, Double.NaN})
            assertThatThrownBy(() -> new FailureModel.Heterogeneity(0, bad, 0, 0, ""))
                    .hasMessage("lemon factor must be in [1, 10000], got " + bad);
        for (double bad : new double[] {-1e-9, 0.500001, Double.NaN})
            assertThatThrownBy(() -> new FailureModel.Heterogeneity(0, 1, bad, 0, ""))
                    .hasMessage("start failure probability per host must be in [0, 0.5], got " + bad);
        for (double bad : new double[] {-1e-9, 86_400.001, Double.NaN})
            assertThatThrownBy(() -> new FailureModel.Heterogeneity(0, 1, 0, bad, ""))
                    .hasMessage("start window must be in [0, 86400] s, got " + bad);
    }
}
