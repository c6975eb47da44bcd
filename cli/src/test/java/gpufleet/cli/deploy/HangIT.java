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
import java.util.function.Predicate;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The hang detector as deployed: {@code gpufleet server --hang-timeout 3} and a simulated agent, each a
 * process of its own through the shipped launcher. A job's ranks report a step in their progress files and
 * then hang (alive, silent); the controller stops the gang at the timeout, reason HUNG, and the next run,
 * which does not hang, completes.
 */
class HangIT {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    @TempDir
    Path dir;
    private final List<Process> processes = new ArrayList<>();
    private Map<String, String> env;

    @AfterEach
    void stop() throws InterruptedException {
        Launcher.stopAll(processes);
    }

    private Launcher.Result gf(String... args) {
        return Launcher.run(dir, env, Duration.ofSeconds(60), args);
    }

    @Test
    void aGangThatStopsReportingProgressIsRestartedAtTheHangTimeout() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        env = Map.of("GPUFLEET_SERVER", "http://127.0.0.1:" + port);
        processes.add(Launcher.start(dir, Map.of(), dir.resolve("server.log"),
                "server", "--port", Integer.toString(port), "--hang-timeout", "3"));
        await("the controller", () -> gf("token", "create", "--name", "racks", "--role", "join"), r -> r.code() == 0);
        String join = gf("token", "create", "--name", "racks2", "--role", "join").out().lines()
                .filter(l -> l.startsWith("gft_")).findFirst().orElseThrow();
        List<String> args = new ArrayList<>(List.of("agent", "--name", "sim-1", "--simulate-gpus", "8", "--heartbeat",
                "0.5", "--work-dir", dir.resolve("agent").toString()));
        // as root an agent wants to be told whom jobs run as
        if (ProcessHandle.current().info().user().orElse("").equals("root")) args.addAll(List.of("--run-as", "root"));
        processes.add(Launcher.start(dir, Map.of("GPUFLEET_JOIN_TOKEN", join, "GPUFLEET_SERVER", env.get("GPUFLEET_SERVER")),
                dir.resolve("agent.log"), args.toArray(String[]::new)));
        await("sim-1 to join", () -> gf("nodes", "-o", "json"), r -> r.code() == 0 && r.out().contains("\"UP\""));

        // the first run reports a step and hangs; the second reports one and ends
        Launcher.Result s = gf("submit", "--name", "hangs", "--gpus", "8", "--checkpoint-dir", dir.resolve("ck").toString(),
                "--", "sh", "-c", "echo \"step 1\" >> \"$GPUFLEET_PROGRESS_FILE\"; "
                        + "if [ \"$GPUFLEET_RESTART_COUNT\" = 0 ]; then sleep 600; fi; echo \"step 2\" >> \"$GPUFLEET_PROGRESS_FILE\"");
        assertThat(s.code()).as(s.both()).isZero();
        String id = s.out().strip().substring("submitted job ".length());
        JsonNode done = await("job " + id + " to complete after one restart", () -> {
            Launcher.Result r = gf("job", id, "-o", "json");
            return r.code() == 0 ? JSON.readTree(r.out()) : null;
        }, j -> j != null && j.get("state").stringValue().equals("COMPLETED"));
        assertThat(done.get("restarts").asInt()).isEqualTo(1);
        Launcher.Result show = gf("job", id);
        assertThat(show.code()).as(show.both()).isZero();
        // noticed at the first check of the controller's loop (once a second) after 3 s without progress
        assertThat(show.out()).containsPattern("HUNG: no progress reported for [34] s \\(hang timeout 3 s\\)");

        // printed at start, by now long since
        assertThat(Files.readString(dir.resolve("server.log")))
                .contains("hang detector: a run that reported progress and then none for 3 s is restarted");

        Launcher.Result bad = Launcher.run(dir, Map.of(), Duration.ofSeconds(60), "server", "--port", "0",
                "--data-dir", dir.resolve("other").toString(), "--hang-timeout", "soon");
        assertThat(bad.code()).isEqualTo(2);
        assertThat(bad.err().strip()).isEqualTo("gpufleet server: --hang-timeout must be a number of seconds in [1, 86400],"
                + " got 'soon'");
    }

    private <T> T await(String what, Supplier<T> probe, Predicate<T> done) {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        T last = probe.get();
        while (!done.test(last)) {
            if (System.nanoTime() > deadline) {
                String log;
                try {
                    log = Files.readString(dir.resolve("server.log")) + "\nagent:\n" + Files.readString(dir.resolve("agent.log"));
                } catch (IOException e) {
                    log = e.getMessage();
                }
                throw new AssertionError("waited 90 s for " + what + "; last seen: " + last + "\nserver said:\n" + log);
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
            last = probe.get();
        }
        return last;
    }
}
