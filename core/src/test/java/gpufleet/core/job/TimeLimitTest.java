package gpufleet.core.job;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TimeLimitTest {
    @Test
    void readsSlurmsTimeFormsAndUnits() {
        Map<String, Long> cases = Map.ofEntries(
                Map.entry("90", 5_400L), // a bare number is minutes, as in Slurm
                Map.entry("90:30", 5_430L), // MM:SS
                Map.entry("1:30:00", 5_400L),
                Map.entry("01:02:03", 3_723L),
                Map.entry("2-0", 172_800L), // D-HH
                Map.entry("1-02:30", 95_400L), // D-HH:MM
                Map.entry("1-02:03:04", 93_784L),
                Map.entry("45s", 45L),
                Map.entry("90m", 5_400L),
                Map.entry("2h", 7_200L),
                Map.entry("1d", 86_400L),
                Map.entry("1h30m", 5_400L),
                Map.entry(" 2H ", 7_200L));
        cases.forEach((s, want) -> assertThat(TimeLimit.parse(s)).as(s).isEqualTo(want));
    }

    @Test
    void formatsAsTheShortestUnitFormItReadsBack() {
        for (long s : new long[] {1, 59, 60, 90, 3_600, 5_400, 86_400, 93_784, TimeLimit.MAX_SECONDS})
            assertThat(TimeLimit.parse(TimeLimit.format(s))).as("%d s", s).isEqualTo(s);
        assertThat(TimeLimit.format(5_400)).isEqualTo("1h30m");
        assertThat(TimeLimit.format(86_400)).isEqualTo("1d");
        assertThat(TimeLimit.format(45)).isEqualTo("45s");
    }

    @Test
    void refusesWhatIsNotADurationZeroAndOverAYearSayingWhy() {
        for (String bad : new String[] {"", "abc", "1h30", "1:2:3:4", "-5", "2x", "1.5h", "h"})
            assertThatThrownBy(() -> TimeLimit.parse(bad)).as(bad)
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a duration")
                    .hasMessageContaining("HH:MM:SS");
        assertThatThrownBy(() -> TimeLimit.parse("0")).hasMessageContaining("longer than zero");
        assertThatThrownBy(() -> TimeLimit.parse("366d")).hasMessageContaining("over the longest");
        assertThatThrownBy(() -> TimeLimit.parse("99999999999999999999d")).hasMessageContaining("over the longest");
        assertThatThrownBy(() -> TimeLimit.parse("999999999999999d")).hasMessageContaining("over the longest");
    }
}
