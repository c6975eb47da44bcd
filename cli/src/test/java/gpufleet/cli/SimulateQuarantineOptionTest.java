package gpufleet.cli;

import gpufleet.core.lifecycle.Quarantine;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@code simulate --quarantine} reads the rule as the controller's {@code --quarantine} does, with messages naming the option. */
class SimulateQuarantineOptionTest {
    @Test
    void readsTheControllersRule() {
        for (String text : new String[] {"2/7d", "3/36h", "1/3600", "2/1w", "off"})
            assertThat(SimulateCommand.quarantine(text)).as(text).isEqualTo(Quarantine.parse(text));
        assertThat(SimulateCommand.quarantine("2/7d")).isEqualTo(new Quarantine(2, 7 * 86_400));
    }

    @Test
    void badTextIsRefusedInOneLineNamingTheOption() {
        assertThatThrownBy(() -> SimulateCommand.quarantine("2"))
                .hasMessage("--quarantine wants N/WINDOW, e.g. 2/7d, or off; got '2'");
        assertThatThrownBy(() -> SimulateCommand.quarantine("x/7d"))
                .hasMessage("--quarantine: 'x' is not a whole number of failures");
        assertThatThrownBy(() -> SimulateCommand.quarantine("0/7d"))
                .hasMessage("--quarantine: the number of failures must be at least 1, got 0");
        assertThatThrownBy(() -> SimulateCommand.quarantine("2/soon"))
                .hasMessage("--quarantine: the window must be a duration such as 7d, 36h or 3600, got 'soon'");

        var r = CliTest.run("simulate", "--fleet", "lab-64", "--workload", "research-mix", "--days", "1", "--quiet",
                "--quarantine", "2/soon");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err().strip()).isEqualTo("gpufleet: --quarantine: the window must be a duration such as 7d, 36h or 3600,"
                + " got 'soon'");
    }
}
