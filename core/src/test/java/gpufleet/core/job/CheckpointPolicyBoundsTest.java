package gpufleet.core.job;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CheckpointPolicyBoundsTest {
    @Test
    void aPersistOfUpToADayIsAcceptedAndNothingBeyondIt() {
        assertThat(new CheckpointPolicy(60, 1, 1, 86_400).persistSec()).isEqualTo(86_400);
        assertThat(new CheckpointPolicy(60, 1, 1, 0).persistSec()).isZero();
        for (double bad : new double[] {86_400.001, -1e-9, Double.NaN})
            assertThatThrownBy(() -> new CheckpointPolicy(60, 1, 1, bad))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("checkpoint persist time must be in [0, 1 day], got " + bad + " s");
    }

    @Test
    void anIntervalOfOneSecondIsTheShortestAccepted() {
        assertThat(new CheckpointPolicy(1, 0, 0).intervalSec()).isEqualTo(1);
        assertThatThrownBy(() -> new CheckpointPolicy(0.999, 0, 0))
                .hasMessage("checkpoint interval must be at least 1 s, got 0.999");
    }
}
