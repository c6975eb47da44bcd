package gpufleet.cli;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code gpufleet bench controller} end to end at a tiny scale, and {@code bench} still running the twin. */
class ControllerBenchTest {

    @Test
    void aTinyFleetProducesEveryFigure() {
        var r = CliTest.run("bench", "controller", "--agents", "20", "--heartbeat", "1", "--warmup", "0.5", "--duration", "4",
                "--submit-rate", "4", "--job-seconds", "0.5,1", "--probe-every", "1", "--probe-seconds", "0.5",
                "--controller-heap", "256m", "-o", "json");
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode j = ControllerClient.JSON.readTree(r.out());
        assertThat(j.path("agentsRegistered").asInt()).isEqualTo(20);
        assertThat(j.path("gpus").asInt()).isEqualTo(160);
        assertThat(j.path("config").path("auth").asBoolean()).as("tokens on by default, as in a real fleet").isTrue();
        assertThat(r.err()).contains("authentication on");

        JsonNode heartbeat = route(j, "heartbeat");
        // 20 agents beating every second for 4 s, plus the extra beats when ranks end
        assertThat(heartbeat.path("count").asInt()).isGreaterThanOrEqualTo(40);
        assertThat(heartbeat.path("errors").asInt()).isZero();
        assertThat(heartbeat.path("p50Ms").asDouble()).isPositive();
        assertThat(heartbeat.path("p99Ms").asDouble()).isGreaterThanOrEqualTo(heartbeat.path("p50Ms").asDouble());
        assertThat(route(j, "submit").path("count").asInt()).as("submits").isPositive();
        assertThat(route(j, "register").path("count").asInt()).as("registrations").isEqualTo(20);
        assertThat(route(j, "of which with exits").path("count").asInt())
                .as("jobs of a second end within the window, so some heartbeats report exits")
                .isPositive().isLessThanOrEqualTo(heartbeat.path("count").asInt());
        assertThat(j.path("window").path("count").asInt()).isGreaterThan(heartbeat.path("count").asInt());

        assertThat(j.path("probe").path("submitted").asInt()).isPositive();
        assertThat(j.path("probe").path("gangAssigned").asInt()).isPositive();
        assertThat(j.path("probe").path("fromRequestP50Ms").asDouble()).isPositive();
        assertThat(j.path("jobs").path("completed").asInt()).as("simulated ranks exit 0, so jobs complete").isPositive();
        assertThat(j.path("hostsUp").asInt()).isEqualTo(20);

        JsonNode c = j.path("controller");
        assertThat(c.path("pid").asLong()).isNotEqualTo(ProcessHandle.current().pid());
        assertThat(c.path("cpuCores").asDouble()).isPositive();
        assertThat(c.path("rssMbEnd").asLong()).isPositive();
        assertThat(c.path("maxHeap").asString()).isEqualTo("256m");
        assertThat(r.err()).contains("20 agents registered");
    }

    @Test
    void withoutAuthenticationTheAgentsStillRegisterAndBeat() {
        var r = CliTest.run("bench", "controller", "--no-auth", "--agents", "5", "--heartbeat", "1", "--warmup", "0",
                "--duration", "2", "--submit-rate", "1", "--probe-every", "1", "--probe-gpus", "16", "--controller-heap", "256m",
                "-o", "json");
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode j = ControllerClient.JSON.readTree(r.out());
        assertThat(j.path("config").path("auth").asBoolean()).isFalse();
        assertThat(j.path("agentsRegistered").asInt()).isEqualTo(5);
        assertThat(route(j, "heartbeat").path("errors").asInt()).isZero();
        assertThat(route(j, "heartbeat").path("count").asInt()).isPositive();
    }

    private static JsonNode route(JsonNode result, String name) {
        for (JsonNode r : result.path("routes")) if (r.path("route").asString().strip().equals(name)) return r;
        throw new AssertionError("no route " + name + " in " + result.path("routes"));
    }

    @Test
    void benchAloneAndBenchTwinBothReachTheTwinScenarios() {
        // an unknown scenario is refused by the twin runner itself, listing the known ones: both forms get there
        for (String[] args : new String[][] {{"bench", "--scenario", "nope"}, {"bench", "twin", "--scenario", "nope"}}) {
            var r = CliTest.run(args);
            assertThat(r.code()).as(String.join(" ", args)).isEqualTo(2);
            assertThat(r.err()).contains("unknown scenario 'nope'").contains("lab-64-year").doesNotContain("\tat ");
        }
        var help = CliTest.run("bench", "--help");
        assertThat(help.out()).contains("twin").contains("controller");
        var bad = CliTest.run("bench", "controller", "--agents", "0");
        assertThat(bad.code()).isEqualTo(2);
        assertThat(bad.err()).contains("--agents");
    }
}
