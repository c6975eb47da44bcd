package gpufleet.cli.deploy;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Failure models as files, checkpoints priced from the model and user failures, through the
 * shipped launcher as a user runs them.
 */
class FailureModelsIT {
    static final Duration T = Duration.ofMinutes(3);
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void failuresListsThePresetsAndShowPrintsAFileThatLoadsBack() throws Exception {
        var list = Launcher.run(dir, Map.of(), T, "failures");
        assertThat(list.code()).as(list.both()).isZero();
        assertThat(list.out()).contains("llama3", "rsc-1", "rsc-2", "6.50", "2.34", "1.8 h");
        var show = Launcher.run(dir, Map.of(), T, "failures", "show", "rsc-1");
        assertThat(show.code()).isZero();
        Path mine = dir.resolve("mine.yaml");
        Files.writeString(mine, show.out().replace("name: rsc-1", "name: my-rsc"));
        var sim = Launcher.run(dir, Map.of(), T, "simulate", "--workload", "llama3-405b", "--days", "5", "--quiet",
                "--failures", mine.toString(), "--out", dir.resolve("mine").toString());
        assertThat(sim.code()).as(sim.both()).isZero();
        assertThat(sim.out()).contains("failures: my-rsc");
        JsonNode report = JSON.readTree(Files.readString(dir.resolve("mine/report.json")));
        assertThat(report.get("scenario").get("failureModel").asString()).isEqualTo("my-rsc");
        assertThat(report.get("interruptionsByCause").has("ib-link")).isTrue();
    }

    @Test
    void aBadFailureFileIsOneClearLine() throws Exception {
        Path bad = dir.resolve("bad.yaml");
        Files.writeString(bad, "causes:\n  - {name: a, scope: host, rate: 0.1}\n");
        for (String cmd : new String[] {"simulate", "plan", "replay"}) {
            var args = switch (cmd) {
                case "plan" -> new String[] {"plan", "--model", "llama-8b", "--tokens", "1T", "--failures", bad.toString()};
                case "replay" -> new String[] {"replay", "--trace", Launcher.ROOT.resolve(
                        "../shared/traces/philly/philly_oct2017_first2000.csv").normalize().toString(), "--fleet", "hosts:8x8",
                        "--policy", "fifo", "--failures", bad.toString()};
                default -> new String[] {"simulate", "--failures", bad.toString()};
            };
            var r = Launcher.run(dir, Map.of(), T, args);
            assertThat(r.code()).as(cmd).isEqualTo(2);
            assertThat(r.err().strip()).as(cmd).isEqualTo("gpufleet: " + bad
                    + ": causes[0]: missing required field 'repair' (how long the failed host is out, e.g. 72h)");
        }
    }

    @Test
    void planPrintsEttrWithTheChosenFailureModel() throws Exception {
        var r = Launcher.run(dir, Map.of(), T, "plan", "--model", "llama-405b", "--tokens", "15.6T", "--gpus", "16384",
                "--tp", "8", "--pp", "16", "--top", "1", "-o", "json");
        assertThat(r.code()).as(r.both()).isZero();
        JsonNode llama = JSON.readTree(r.out()).get("plans").get(0);
        var rsc = Launcher.run(dir, Map.of(), T, "plan", "--model", "llama-405b", "--tokens", "15.6T", "--gpus", "16384",
                "--tp", "8", "--pp", "16", "--top", "1", "-o", "json", "--failures", "rsc-1", "--async-checkpoint");
        JsonNode p = JSON.readTree(rsc.out());
        assertThat(p.get("failureModel").asString()).isEqualTo("rsc-1");
        JsonNode plan = p.get("plans").get(0);
        assertThat(plan.get("mtbfHours").asDouble()).isLessThan(llama.get("mtbfHours").asDouble());
        assertThat(plan.get("checkpointPersistSec").asDouble()).isCloseTo(2.84, within(0.01));
        assertThat(plan.get("checkpointWriteSec").asDouble()).isLessThan(1);
        var table = Launcher.run(dir, Map.of(), T, "plan", "--model", "llama-405b", "--tokens", "15.6T", "--gpus", "16384",
                "--tp", "8", "--pp", "16", "--top", "1");
        assertThat(table.out()).containsPattern("ETTR \\d+\\.\\d% \\(failures: llama3-2024\\)");
    }

    @Test
    void userFailuresAreReportedPerClass() throws Exception {
        Path w = dir.resolve("crashy.yaml");
        Files.writeString(w, """
                days: 3
                streams:
                  - name: research
                    load: 0.7
                    teams: {a: 1}
                    userFailures: 0.3
                    sizes:
                      - {gpus: 8, tp: 8, weight: 1, median: 2h, sigma: 0.5}
                      - {gpus: 64, tp: 8, weight: 1, median: 6h, sigma: 0.5}
                """);
        var r = Launcher.run(dir, Map.of(), T, "simulate", "--fleet", "lab-64", "--workload", w.toString(), "--quiet",
                "--out", dir.resolve("crashy").toString());
        assertThat(r.code()).as(r.both()).isZero();
        assertThat(r.out()).contains("CLASS", "research-8g", "research-64g", "CRASH");
        JsonNode classes = JSON.readTree(Files.readString(dir.resolve("crashy/report.json"))).get("jobClasses");
        long crashed = 0;
        for (JsonNode c : classes) crashed += c.get("crashed").asLong();
        assertThat(crashed).isPositive();
    }
}
