package gpufleet.sim.preset;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class UnitsTest {

    @ParameterizedTest
    @CsvSource({"90, 90", "90s, 90", "30m, 1800", "6h, 21600", "54d, 4665600", "2w, 1209600", "1h30m, 5400",
            "1d 12h, 129600", "0.5h, 1800", "1.5, 1.5", "0, 0", "16_384, 16384"})
    void seconds(String text, double expected) {
        assertThat(Units.seconds(text)).isEqualTo(expected);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "h", "6 hours", "6x", "1h30", "-5m", "5m-", "abc"})
    void badDurations(String text) {
        assertThatThrownBy(() -> Units.seconds(text)).isInstanceOf(IllegalArgumentException.class);
    }

    @ParameterizedTest
    @CsvSource({"405e9, 405e9", "405B, 405e9", "405G, 405e9", "15.6T, 15.6e12", "70M, 70e6", "12K, 12e3",
            "1P, 1e15", "16_384, 16384", "2.5e3, 2500"})
    void counts(String text, double expected) {
        assertThat(Units.count(text)).isCloseTo(expected, org.assertj.core.api.Assertions.withinPercentage(1e-9));
    }

    @ParameterizedTest
    @ValueSource(strings = {"405X", "B", "1.2.3T", "12 apples", "-5B"})
    void badCounts(String text) {
        assertThatThrownBy(() -> Units.count(text)).isInstanceOf(IllegalArgumentException.class);
    }
}
