package gpufleet.core.job;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RestartBackoffTest {
    private final RestartBackoff b = RestartBackoff.DEFAULT;

    @Test
    void quickFailuresDoubleTheWaitUpToTheCap() {
        // 10, 20, 40, 80, 160, then 300 (not 320) and 300 from then on
        assertThat(b.delay(0)).isZero();
        assertThat(b.delay(1)).isEqualTo(10);
        assertThat(b.delay(2)).isEqualTo(20);
        assertThat(b.delay(3)).isEqualTo(40);
        assertThat(b.delay(5)).isEqualTo(160);
        assertThat(b.delay(6)).isEqualTo(300);
        assertThat(b.delay(1_000)).isEqualTo(300);
    }

    @Test
    void aHealthyRunResetsTheCountAndAQuickOneAddsToIt() {
        assertThat(b.quickFailures(0, 5)).isEqualTo(1);
        assertThat(b.quickFailures(4, 599.9)).isEqualTo(5);
        assertThat(b.quickFailures(4, 600)).isZero();
        assertThat(b.delay(b.quickFailures(7, 3_600))).isZero();
    }

    @Test
    void noneNeverWaits() {
        assertThat(RestartBackoff.NONE.delay(RestartBackoff.NONE.quickFailures(3, 0))).isZero();
    }

    @Test
    void nonsenseIsRefusedWithTheValues() {
        assertThatThrownBy(() -> new RestartBackoff(10, 5, 60)).hasMessageContaining("base 10.0").hasMessageContaining("max 5.0");
        assertThatThrownBy(() -> new RestartBackoff(Double.NaN, 5, 60)).isInstanceOf(IllegalArgumentException.class);
    }
}
