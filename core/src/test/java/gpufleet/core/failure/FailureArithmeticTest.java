package gpufleet.core.failure;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** Failure causes, models and the checkpoint arithmetic, on hand-computed cases and at their bounds. */
class FailureArithmeticTest {
    private static int named;

    /** A cause with a name of its own: a model refuses two causes of one name. */
    static FailureCause cause(FailureCause.Scope scope, double rate, double repair, boolean planned) {
        return new FailureCause("c" + (++named), scope, rate, repair, planned, null);
    }

    @Test
    void aCausesRateAndRepairTimeAreCheckedAtTheirBounds() {
        assertThat(cause(FailureCause.Scope.GPU, 0, 0, false).ratePerDay()).isZero();
        assertThat(cause(FailureCause.Scope.GPU, 1, 8760, false).repairHours()).isEqualTo(8760);
        assertThat(cause(FailureCause.Scope.GPU, 1, 0, false).source()).isEmpty();
        for (double bad : new double[] {-1e-9, 1.000001, Double.NaN})
            assertThatThrownBy(() -> cause(FailureCause.Scope.GPU, bad, 1, false))
                    .hasMessageContaining("rate must be in [0, 1] per unit-day");
        for (double bad : new double[] {-1e-9, 8760.001, Double.NaN})
            assertThatThrownBy(() -> cause(FailureCause.Scope.HOST, 0.1, bad, false))
                    .hasMessageContaining("repairHours must be in [0, 8760]");
        assertThatThrownBy(() -> new FailureCause(" ", FailureCause.Scope.GPU, 0.1, 1, false, ""))
                .hasMessage("a failure cause needs a name");
        assertThatThrownBy(() -> new FailureCause(null, FailureCause.Scope.GPU, 0.1, 1, false, ""))
                .hasMessage("a failure cause needs a name");
        assertThatThrownBy(() -> new FailureCause("x", null, 0.1, 1, false, ""))
                .hasMessage("failure cause 'x' needs a scope");
    }

    @Test
    void aJobsRateCountsItsGpusOrItsHostsByScope() {
        assertThat(cause(FailureCause.Scope.GPU, 0.5, 1, false).jobRatePerDay(16, 2)).isEqualTo(8);
        assertThat(cause(FailureCause.Scope.JOB, 0.25, 0, false).jobRatePerDay(16, 2)).isEqualTo(4);
        assertThat(cause(FailureCause.Scope.HOST, 0.5, 1, false).jobRatePerDay(16, 2)).isEqualTo(1);
    }

    @Test
    void aModelSumsItsCausesAndLeavesPlannedOnesOutOfTheMtbf() {
        var m = new FailureModel("m", List.of(cause(FailureCause.Scope.GPU, 0.01, 1, false),
                cause(FailureCause.Scope.HOST, 0.1, 1, false), cause(FailureCause.Scope.HOST, 0.2, 1, true)));
        // 16 GPUs on 2 hosts: 0.16 + 0.2 unplanned, 0.4 planned per day
        assertThat(m.jobRatePerDay(16, 2)).isCloseTo(0.76, within(1e-12));
        assertThat(m.jobMtbfSeconds(16, 2)).isCloseTo(86_400 / 0.36, within(1e-6));
        assertThat(FailureModel.NONE.jobMtbfSeconds(16, 2)).isInfinite();
        var onlyPlanned = new FailureModel("p", List.of(cause(FailureCause.Scope.HOST, 0.2, 1, true)));
        assertThat(onlyPlanned.jobMtbfSeconds(8, 1)).isInfinite();
        assertThatThrownBy(() -> new FailureModel(" ", List.of())).hasMessage("a failure model needs a name");
        assertThatThrownBy(() -> new FailureModel(null, List.of())).hasMessage("a failure model needs a name");
    }

    @Test
    void scalingMultipliesEveryRateCapsItAtOneAndNamesTheFactor() {
        var m = new FailureModel("m", List.of(cause(FailureCause.Scope.GPU, 0.01, 3, false),
                cause(FailureCause.Scope.HOST, 0.6, 2, true)));
        var twice = m.scaled(2);
        assertThat(twice.name()).isEqualTo("m x2.0");
        assertThat(twice.causes()).extracting(FailureCause::ratePerDay).containsExactly(0.02, 1.0);
        assertThat(twice.causes()).extracting(FailureCause::repairHours).containsExactly(3.0, 2.0);
        assertThat(twice.causes()).extracting(FailureCause::planned).containsExactly(false, true);
        assertThat(m.scaled(1).name()).isEqualTo("m");
        assertThat(m.scaled(0).jobRatePerDay(8, 1)).isZero();
        assertThat(m.scaled(1000).causes().getFirst().ratePerDay()).isEqualTo(1.0);
        for (double bad : new double[] {-1e-9, 1000.001, Double.NaN})
            assertThatThrownBy(() -> m.scaled(bad)).hasMessageContaining("failure rate factor must be in [0, 1000]");
    }

    @Test
    void youngDalyIsTheSquareRootOfTwiceWriteTimesMtbfWithinOneMinuteAndOneDay() {
        assertThat(Checkpointing.youngDaly(60, 86_400)).isCloseTo(Math.sqrt(2 * 60 * 86_400.0), within(1e-9));
        assertThat(Checkpointing.youngDaly(0, 1800)).isEqualTo(60);           // sqrt(2 x 1 x 1800) = 60 exactly
        assertThat(Checkpointing.youngDaly(0, 100)).isEqualTo(60);            // 14 s, raised to a minute
        assertThat(Checkpointing.youngDaly(3600, 1e9)).isEqualTo(86_400);     // capped at a day
        assertThat(Checkpointing.youngDaly(60, Double.POSITIVE_INFINITY)).isEqualTo(86_400);
    }

    @Test
    void expectedEttrIsTheCheckpointShareTimesTheFailureShare() {
        // write 60 s every 3,600 s: 60/3,660 writing; a failure a day costs half a period plus restart, 2,430 s
        double expected = (1 - 60 / 3660.0) * (1 - (3660 / 2.0 + 600) / 86_400);
        assertThat(Checkpointing.expectedEttr(3600, 60, 600, 86_400)).isCloseTo(expected, within(1e-12));
        assertThat(Checkpointing.expectedEttr(3600, 60, 600, Double.POSITIVE_INFINITY)).isCloseTo(1 - 60 / 3660.0, within(1e-12));
        // failures faster than a restart: nothing is done, and never less than nothing
        assertThat(Checkpointing.expectedEttr(3600, 60, 600, 100)).isZero();
    }
}
