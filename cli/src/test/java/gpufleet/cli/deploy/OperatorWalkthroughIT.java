package gpufleet.cli.deploy;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Predicate;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What an operator types after {@code ./gpufleet up}, each command a separate process through the
 * shipped launcher: a job whose command does not exist, a GPU that reports an XID and must be healed
 * (or forced) before its host is resumed, and a crash-looping job that backs off. Each case is one
 * of the defects an operator met: a missing binary burnt every restart in 70 ms and its log repeated
 * its headers, and {@code resume} put a failed GPU back without any check.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OperatorWalkthroughIT {
    @TempDir
    static Path dir;
    static LocalFleet fleet;
    static Process up;

    @BeforeAll
    static void up() throws Exception {
        fleet = LocalFleet.up(dir, "--run-as", "nobody");
        up = fleet.up;
    }

    @AfterAll
    static void down() throws Exception {
        if (fleet != null) fleet.close();
    }

    static Launcher.Result gf(String... args) {
        return fleet.gf(args);
    }

    static JsonNode json(String... args) {
        return fleet.json(args);
    }

    static <T> T await(String what, Duration within, java.util.function.Supplier<T> probe, Predicate<T> done) {
        return fleet.await(what, within, probe, done);
    }

    @Test
    @Order(1)
    void aCommandThatDoesNotExistFailsAtOnceWithOneRunInItsLog() {
        Launcher.Result s = gf("submit", "--name", "typo", "--gpus", "1", "--", "/no/such/binary");
        assertThat(s.code()).as(s.both()).isZero();
        String id = s.out().replaceAll("(?s).*submitted job (\\d+).*", "$1");
        JsonNode j = await("job " + id + " to fail", Duration.ofSeconds(30), () -> json("job", id, "-o", "json"),
                n -> n.get("state").stringValue().equals("FAILED"));
        assertThat(j.get("restarts").intValue()).as("no restart can start a missing program").isZero();
        assertThat(j.get("reason").stringValue()).contains("could not be started").contains("exit 127");
        Launcher.Result log = await("the log of job " + id, Duration.ofSeconds(15), () -> gf("logs", id, "--rank", "0"),
                r -> r.out().contains("No such file"));
        assertThat(Pattern.compile("\\[gpufleet\\] job " + id + " rank 0 ").matcher(log.out()).results().count())
                .as("run headers in the controller's copy of the log:%n%s", log.out()).isEqualTo(1);
    }

    @Test
    @Order(2)
    void aGpuThatFailedStaysOutUntilHealedOrForced() {
        Path work = dir.resolve("gpufleet-data/agent");
        assertThat(gf("agent", "inject-xid", "--work-dir", work.toString(), "--gpu", "3", "--xid", "79").code()).isZero();
        await("the host to drain", Duration.ofSeconds(30), () -> json("nodes", "-o", "json"),
                n -> n.get(0).get("status").stringValue().equals("DRAINING"));

        Launcher.Result refused = gf("resume", "local");
        assertThat(refused.code()).isNotZero();
        assertThat(refused.err()).contains("GPU 3").contains("--force").doesNotContain("Exception");
        assertThat(json("nodes", "-o", "json").get(0).get("status").stringValue()).isEqualTo("DRAINING");

        assertThat(gf("agent", "heal", "--work-dir", work.toString(), "--gpu", "3").code()).isZero();
        Launcher.Result resumed = await("the healed host to resume", Duration.ofSeconds(30), () -> gf("resume", "local"),
                r -> r.code() == 0);
        assertThat(resumed.out()).contains("resumed host local (UP)");

        assertThat(gf("agent", "inject-xid", "--work-dir", work.toString(), "--gpu", "5", "--xid", "48").code()).isZero();
        await("the host to drain again", Duration.ofSeconds(30), () -> json("nodes", "-o", "json"),
                n -> n.get(0).get("status").stringValue().equals("DRAINING"));
        Launcher.Result forced = gf("resume", "local", "--force");
        assertThat(forced.code()).as(forced.both()).isZero();
        // the agent still reports GPU 5; the forced host is not drained again by that standing report
        for (int beat = 0; beat < 2; beat++) {
            double seen = json("nodes", "-o", "json").get(0).get("lastHeartbeat").doubleValue();
            await("a heartbeat after " + seen, Duration.ofSeconds(20), () -> json("nodes", "-o", "json"),
                    n -> n.get(0).get("lastHeartbeat").doubleValue() > seen);
        }
        assertThat(json("nodes", "-o", "json").get(0).get("status").stringValue()).isEqualTo("UP");
        assertThat(gf("audit", "--since", "1h").out()).contains("forced");
    }

    @Test
    @Order(3)
    void aCrashLoopBacksOffAndSaysWhen() {
        Launcher.Result s = gf("submit", "--name", "crash", "--gpus", "1", "--max-restarts", "5", "--", "sh", "-c", "exit 3");
        assertThat(s.code()).as(s.both()).isZero();
        String id = s.out().replaceAll("(?s).*submitted job (\\d+).*", "$1");
        JsonNode j = await("job " + id + " to back off", Duration.ofSeconds(30), () -> json("job", id, "-o", "json"),
                n -> n.get("state").stringValue().equals("RESTARTING"));
        assertThat(j.get("reason").stringValue()).contains("exited with code 3").contains("next try in 10 s");
        assertThat(j.get("retryAt").doubleValue()).isGreaterThan(j.get("interruptedAt").doubleValue() + 9);
        assertThat(gf("job", id).out()).contains("next try").contains("1 quick failure");
    }

    @Test
    @Order(4)
    void aSecondControllerOnTheSameDataDirectoryRefusesAndNamesTheFirst() {
        Launcher.Result second = gf("server", "--port", "0", "--data-dir", "gpufleet-data");
        assertThat(second.code()).as(second.both()).isEqualTo(1);
        assertThat(second.err()).contains("in use by another controller").contains("pid " + up.pid())
                .contains("127.0.0.1:" + fleet.port).doesNotContain("Exception");
        // and the first one still answers
        assertThat(gf("queue").code()).isZero();
    }
}
