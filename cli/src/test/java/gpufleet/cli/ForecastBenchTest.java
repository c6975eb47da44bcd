package gpufleet.cli;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code gpufleet bench forecast} on a small fleet: it runs, and says what it measured. */
class ForecastBenchTest {
    @Test
    void printsTheForecastsTimesAndHowManyJobsGotAStart() {
        var r = CliTest.run("bench", "forecast", "--fleet", "lab-64", "--waiting", "300", "--repeat", "1");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).startsWith("lab-64: 64 GPUs");
        var m = java.util.regex.Pattern.compile("(\\d+) waiting").matcher(r.out());
        assertThat(m.find()).isTrue();
        int waiting = Integer.parseInt(m.group(1));
        assertThat(waiting).as("at least what was asked for").isGreaterThanOrEqualTo(300);
        String[] header = r.out().lines().filter(l -> l.startsWith("RUN")).findFirst().orElseThrow().split("\\s+");
        assertThat(header).containsExactly("RUN", "SNAPSHOT_MS", "FORECAST_MS", "CPU_MS", "CYCLES", "STARTS",
                "NO_ESTIMATE", "BEYOND", "NEVER");
        String[] run = r.out().lines().filter(l -> l.startsWith("#1")).findFirst().orElseThrow().split("\\s+");
        int starts = Integer.parseInt(run[5]), none = Integer.parseInt(run[6]), beyond = Integer.parseInt(run[7]),
                never = Integer.parseInt(run[8]);
        assertThat(starts + none + beyond + never).as("every waiting job has an outcome").isEqualTo(waiting);
        assertThat(starts).isPositive();
        assertThat(Integer.parseInt(run[4])).as("virtual cycles").isPositive();
    }

    @Test
    void refusesANegativeQueueInOneLine() {
        var r = CliTest.run("bench", "forecast", "--fleet", "lab-64", "--waiting", "-1");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err().strip()).isEqualTo("gpufleet: --waiting must be >= 0 and --repeat >= 1");
    }
}
