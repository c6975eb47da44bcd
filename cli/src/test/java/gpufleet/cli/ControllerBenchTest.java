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

    @Test
    void twoControllersOnPostgresqlTakeOverEachKillAndTheSqliteRunComesFirst(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        try (var db = gpufleet.testkit.TestDatabases.fresh(gpufleet.testkit.TestDatabases.Kind.POSTGRESQL, dir)) {
            var r = CliTest.run("bench", "controller", "--agents", "6", "--heartbeat", "1", "--warmup", "0.5", "--duration", "2",
                    "--submit-rate", "0.5", "--job-seconds", "0.5,1", "--probe-every", "2", "--probe-gpus", "16", "--probe-seconds", "0.5",
                    "--controller-heap", "256m", "--db", db.jdbcUrl().replaceFirst("^jdbc:", ""), "--controllers", "2",
                    "--kill-leader", "2", "--compare-sqlite", "-o", "json");
            assertThat(r.code()).as(r.err()).isZero();
            JsonNode runs = ControllerClient.JSON.readTree(r.out());
            assertThat(runs.size()).isEqualTo(2);
            assertThat(runs.get(0).path("store").asString()).isEqualTo("one controller on SQLite");
            assertThat(runs.get(0).path("failover").isNull()).isTrue();
            assertThat(runs.get(1).path("store").asString()).isEqualTo("2 controllers on PostgreSQL");
            assertThat(route(runs.get(1), "heartbeat").path("count").asInt()).isPositive();
            JsonNode f = runs.get(1).path("failover");
            assertThat(f.path("kills").asInt()).isEqualTo(2);
            assertThat(f.path("placed").asInt()).as("each takeover placed its gang:\n%s", r.err()).isEqualTo(2);
            // a new leader needs the old one's lease to run out first (6 s), so no takeover can be quicker than a few seconds
            assertThat(f.path("takeoverSec").valueStream().map(JsonNode::asDouble)).allMatch(t -> t > 1 && t < 60);
            assertThat(r.err()).contains("kill 2/2: controller");
            // nothing went unheard through the takeovers: every host is still UP, and the kills all ran
            assertThat(f.path("hostsNotUpAfter").asInt()).isZero();
            assertThat(f.path("stopped").isNull()).isTrue();
        }
    }

    @Test
    void severalControllersWithoutADatabaseIsAOneLineRefusal() {
        var r = CliTest.run("bench", "controller", "--controllers", "2", "--kill-leader", "3");
        assertThat(r.code()).isNotZero();
        assertThat(r.err().strip()).contains("--db postgresql://").doesNotContain("\tat ").doesNotContain("\n");
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
