package gpufleet.core.lifecycle;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The lemon rule as an operator types it ({@code --quarantine 2/7d}) and as the controller prints it
 * back: every unit, the way off is spelt, each refusal's exact words, and that what {@link
 * Quarantine#describe} writes {@link Quarantine#parse} reads as the same rule.
 */
class QuarantineTextTest {
    private static final double MIN = 60, HOUR = 3_600, DAY = 86_400;

    @Test
    void eachUnitIsReadAsItsNumberOfSeconds() {
        assertThat(Quarantine.parse("2/7d")).isEqualTo(new Quarantine(2, 7 * DAY));       // 604,800 s
        assertThat(Quarantine.parse("3/36h")).isEqualTo(new Quarantine(3, 36 * HOUR));    // 129,600 s
        assertThat(Quarantine.parse("1/90m")).isEqualTo(new Quarantine(1, 90 * MIN));     // 5,400 s
        assertThat(Quarantine.parse("4/45s")).isEqualTo(new Quarantine(4, 45));
        assertThat(Quarantine.parse("4/45")).as("no unit is seconds").isEqualTo(new Quarantine(4, 45));
        assertThat(Quarantine.parse("2/2w")).isEqualTo(new Quarantine(2, 14 * DAY));     // 1,209,600 s
        assertThat(Quarantine.parse("2/1.5d")).as("a fraction of the unit").isEqualTo(new Quarantine(2, 36 * HOUR));
        assertThat(Quarantine.parse(" 5 / 3650d ")).as("spaces around the parts").isEqualTo(new Quarantine(5, 3650 * DAY));
    }

    @Test
    void oneFailureIsTheSmallestThreshold() {
        assertThat(Quarantine.parse("1/1d")).isEqualTo(new Quarantine(1, DAY));
        assertThatThrownBy(() -> Quarantine.parse("0/7d"))
                .hasMessage("quarantine: the number of failures must be at least 1, got 0");
        assertThatThrownBy(() -> Quarantine.parse("-1/7d"))
                .hasMessage("quarantine: the number of failures must be at least 1, got -1");
    }

    @Test
    void offIsSpeltOffInAnyCaseOrZero() {
        for (String off : List.of("off", "OFF", " Off ", "0", " 0 "))
            assertThat(Quarantine.parse(off)).as(off).isSameAs(Quarantine.OFF);
    }

    @Test
    void aTextWithoutExactlyOneSlashIsRefusedWithTheFormToUse() {
        for (String bad : List.of("2", "", "2/7d/1", "7d"))
            assertThatThrownBy(() -> Quarantine.parse(bad)).as(bad)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("quarantine wants N/WINDOW, e.g. 2/7d, or off; got '" + bad + "'");
        assertThatThrownBy(() -> Quarantine.parse(null))
                .hasMessage("quarantine wants N/WINDOW, e.g. 2/7d, or off; got 'null'");
    }

    @Test
    void aCountOrWindowThatIsNotANumberIsNamed() {
        assertThatThrownBy(() -> Quarantine.parse("x/7d"))
                .hasMessage("quarantine: 'x' is not a whole number of failures");
        assertThatThrownBy(() -> Quarantine.parse("1.5/7d"))
                .hasMessage("quarantine: '1.5' is not a whole number of failures");
        for (String window : List.of("7y", "-1d", "d", "7 d", "7D", ".5d", ""))
            assertThatThrownBy(() -> Quarantine.parse("2/" + window)).as(window)
                    .hasMessage("quarantine: the window must be a duration such as 7d, 36h or 3600, got '" + window + "'");
    }

    @Test
    void aWindowOutsideTenYearsIsRefusedByTheRule() {
        assertThatThrownBy(() -> Quarantine.parse("2/0d"))
                .hasMessage("quarantine: the window must be more than 0 and at most 3650d, got '0d'");
        assertThatThrownBy(() -> Quarantine.parse("2/3651d"))
                .hasMessage("quarantine: the window must be more than 0 and at most 3650d, got '3651d'");
    }

    @Test
    void theWindowIsWrittenInTheLargestUnitThatDividesIt() {
        assertThat(Quarantine.OFF.describe()).isEqualTo("off");
        assertThat(new Quarantine(2, 7 * DAY).describe()).isEqualTo("2/7d");
        assertThat(new Quarantine(2, 14 * DAY).describe()).as("weeks as days").isEqualTo("2/14d");
        assertThat(new Quarantine(5, 3650 * DAY).describe()).isEqualTo("5/3650d");
        assertThat(new Quarantine(3, 36 * HOUR).describe()).isEqualTo("3/36h");
        assertThat(new Quarantine(1, 2 * HOUR).describe()).as("not 120m").isEqualTo("1/2h");
        assertThat(new Quarantine(1, 90 * MIN).describe()).as("5,400 s is 1.5 h").isEqualTo("1/90m");
        assertThat(new Quarantine(1, MIN).describe()).isEqualTo("1/1m");
        assertThat(new Quarantine(4, 45).describe()).isEqualTo("4/45s");
        assertThat(new Quarantine(1, 1).describe()).isEqualTo("1/1s");
        assertThat(new Quarantine(2, 1.5).describe()).as("a fraction of a second is kept").isEqualTo("2/1.5s");
        assertThat(new Quarantine(2, 0.5).describe()).isEqualTo("2/0.5s");
    }

    @Test
    void whatDescribeWritesParseReadsAsTheSameRule() {
        for (double w : new double[] {1, 0.5, 1.5, 45, MIN, 90 * MIN, HOUR, 36 * HOUR, DAY, 1.5 * DAY, 7 * DAY,
                0.001 * DAY, 0.1 * MIN, 3650 * DAY}) {
            var q = new Quarantine(3, w);
            assertThat(Quarantine.parse(q.describe())).as(q.describe()).isEqualTo(q);
        }
        assertThat(Quarantine.parse(Quarantine.OFF.describe())).isSameAs(Quarantine.OFF);
    }
}
