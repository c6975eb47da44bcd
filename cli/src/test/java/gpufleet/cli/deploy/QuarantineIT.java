package gpufleet.cli.deploy;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Lemon-host quarantine as deployed: {@code gpufleet server} with {@code $GPUFLEET_QUARANTINE=2/1d} and a
 * simulated agent, each a process of its own through the shipped launcher. The agent is killed twice;
 * after its first loss its host comes back UP, after its second it comes back QUARANTINED in {@code
 * gpufleet nodes} with the reason, and {@code gpufleet resume} returns it to service.
 */
class QuarantineIT {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    @TempDir
    Path dir;
    private final List<Process> processes = new ArrayList<>();
    private Map<String, String> env;

    @AfterEach
    void stop() throws InterruptedException {
        for (Process p : processes.reversed()) kill(p);
    }

    private static void kill(Process p) throws InterruptedException {
        p.toHandle().descendants().forEach(ProcessHandle::destroy);
        p.destroy();
        if (!p.waitFor(20, TimeUnit.SECONDS)) p.destroyForcibly();
    }

    private Launcher.Result gf(String... args) {
        return Launcher.run(dir, env, Duration.ofSeconds(60), args);
    }

    private JsonNode host(String name) {
        Launcher.Result r = gf("nodes", "-o", "json");
        if (r.code() != 0) return null;
        for (JsonNode h : JSON.readTree(r.out())) if (h.get("name").stringValue().equals(name)) return h;
        return null;
    }

    private Process agent(String joinToken) throws IOException {
        List<String> args = new ArrayList<>(List.of("agent", "--name", "sim-1", "--simulate-gpus", "8", "--heartbeat",
                "0.5", "--work-dir", dir.resolve("agent").toString()));
        // as root an agent wants to be told whom jobs run as; this test runs none
        if (ProcessHandle.current().info().user().orElse("").equals("root")) args.addAll(List.of("--run-as", "root"));
        Process p = Launcher.start(dir, Map.of("GPUFLEET_JOIN_TOKEN", joinToken, "GPUFLEET_SERVER", env.get("GPUFLEET_SERVER")),
                dir.resolve("agent.log"), args.toArray(String[]::new));
        processes.add(p);
        return p;
    }

    private static String status(JsonNode h) {
        return h == null ? "(not listed)" : h.get("status").stringValue();
    }

    @Test
    void aHostLostTwiceComesBackQuarantinedWithItsReasonUntilAnAdminResumesIt() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        env = Map.of("GPUFLEET_SERVER", "http://127.0.0.1:" + port);
        Process server = Launcher.start(dir, Map.of("GPUFLEET_QUARANTINE", "2/1d"), dir.resolve("server.log"),
                "server", "--port", Integer.toString(port), "--heartbeat-timeout", "2");
        processes.add(server);
        await("the controller", () -> gf("token", "create", "--name", "racks", "--role", "join"), r -> r.code() == 0);
        assertThat(Files.readString(dir.resolve("server.log")))
                .contains("lemon-host quarantine: a host that fails 2 times within 1d is drained for diagnosis");
        String join = gf("token", "create", "--name", "racks2", "--role", "join").out().lines()
                .filter(l -> l.startsWith("gft_")).findFirst().orElseThrow();

        Process a = agent(join);
        await("sim-1 to join", () -> host("sim-1"), h -> status(h).equals("UP"));
        kill(a);
        await("sim-1 to be lost", () -> host("sim-1"), h -> status(h).equals("DOWN"));
        a = agent(join);
        JsonNode once = await("sim-1 back in service after one failure", () -> host("sim-1"), h -> status(h).equals("UP"));
        assertThat(once.get("quarantine").isNull()).isTrue();

        kill(a);
        await("sim-1 to be lost again", () -> host("sim-1"), h -> status(h).equals("DOWN"));
        agent(join);
        JsonNode q = await("sim-1 back, drained for diagnosis", () -> host("sim-1"),
                h -> status(h).equals("DRAINING") && h.get("lastHeartbeat").isNumber());
        assertThat(q.get("quarantine").stringValue()).contains("2 failures within 1d").contains("no heartbeat");

        Launcher.Result nodes = gf("nodes");
        assertThat(nodes.code()).as(nodes.both()).isZero();
        String row = nodes.out().lines().filter(l -> l.startsWith("sim-1 ")).findFirst().orElseThrow();
        assertThat(row.split("\\s+")[3]).isEqualTo("QUARANTINED");
        assertThat(row).contains("quarantined for diagnosis: 2 failures within 1d");

        Launcher.Result resume = gf("resume", "sim-1");
        assertThat(resume.code()).as(resume.both()).isZero();
        JsonNode back = host("sim-1");
        assertThat(status(back)).isEqualTo("UP");
        assertThat(back.get("quarantine").isNull()).isTrue();

        Launcher.Result bad = Launcher.run(dir, Map.of(), Duration.ofSeconds(60), "server", "--port", "0",
                "--data-dir", dir.resolve("other").toString(), "--quarantine", "two/7d");
        assertThat(bad.code()).isEqualTo(2);
        assertThat(bad.err().strip()).isEqualTo("gpufleet server: --quarantine (or $GPUFLEET_QUARANTINE): quarantine:"
                + " 'two' is not a whole number of failures");
    }

    private <T> T await(String what, Supplier<T> probe, Predicate<T> done) {
        return Launcher.await(what, Duration.ofSeconds(90), probe, done,
                () -> "server said:\n" + Launcher.tail(dir.resolve("server.log")));
    }
}
