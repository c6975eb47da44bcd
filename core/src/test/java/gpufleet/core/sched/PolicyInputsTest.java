package gpufleet.core.sched;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PolicyInputsTest {
    static Policy policy(String name, QueueOrder order, Policy.Mode mode, double starvation, String summary) {
        return new Policy(name, order, mode, false, null, false, starvation, summary);
    }

    @Test
    void aPolicyNeedsANameAnOrderAModeAndANonNegativeStarvationBound() {
        assertThat(policy("p", QueueOrder.FIFO, Policy.Mode.STRICT, 0, null).summary()).isEmpty();
        assertThatThrownBy(() -> policy(null, QueueOrder.FIFO, Policy.Mode.STRICT, 0, "")).hasMessage("a policy needs a name");
        assertThatThrownBy(() -> policy(" ", QueueOrder.FIFO, Policy.Mode.STRICT, 0, "")).hasMessage("a policy needs a name");
        assertThatThrownBy(() -> policy("p", null, Policy.Mode.STRICT, 0, "")).hasMessage("policy 'p' needs an order and a mode");
        assertThatThrownBy(() -> policy("p", QueueOrder.FIFO, null, 0, "")).hasMessage("policy 'p' needs an order and a mode");
        for (double bad : new double[] {-1e-9, Double.NaN})
            assertThatThrownBy(() -> policy("p", QueueOrder.FIFO, Policy.Mode.STRICT, bad, ""))
                    .hasMessage("policy 'p': starvation bound must be >= 0");
    }

    @Test
    void theParameterisedPoliciesKeepTheirThresholdsInTheSummary() {
        var las = Policy.las(new double[] {100, 200});
        assertThat(las.name()).isEqualTo("las");
        assertThat(las.summary()).contains("[100.0, 200.0]");
        var g = Policy.gpufleet(new double[] {50});
        assertThat(g.name()).isEqualTo("gpufleet");
        assertThat(g.backfill()).isTrue();
        assertThat(g.starvationSec()).isEqualTo(Policy.STARVATION_SEC);
    }
}
