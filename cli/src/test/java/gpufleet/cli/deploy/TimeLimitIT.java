package gpufleet.cli.deploy;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Through the shipped launcher, each command a process of its own: {@code up --policy} runs the policy
 * it was given and says so, and a job submitted with {@code --time-limit} is ended when its run
 * outlasts the limit, its ranks stopped.
 */
class TimeLimitIT {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    @TempDir
    static Path dir;
    static Process up;
    static Map<String, String> env;

    @BeforeAll
    static void up() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        env = Map.of("GPUFLEET_SERVER", "http://127.0.0.1:" + port);
        up = Launcher.start(dir, Map.of(), dir.resolve("up.log"), "up", "--port", Integer.toString(port),
                "--simulate-gpus", "8", "--policy", "fifo-backfill");
        await("the controller and its agent", Duration.ofSeconds(90), () -> gf("nodes", "-o", "json"),
                r -> r.code() == 0 && r.out().contains("\"local\""));
    }

    @AfterAll
    static void down() throws Exception {
        if (up == null) return;
        up.toHandle().descendants().forEach(ProcessHandle::destroy);
        up.destroy();
        if (!up.waitFor(20, TimeUnit.SECONDS)) up.destroyForcibly();
    }

    static Launcher.Result gf(String... args) {
        return Launcher.run(dir, env, Duration.ofSeconds(60), args);
    }

    static JsonNode json(String... args) {
        Launcher.Result r = gf(args);
        assertThat(r.code()).as("gpufleet %s: %s", String.join(" ", args), r.both()).isZero();
        return JSON.readTree(r.out());
    }

    @Test
    void upRunsThePolicyItWasGivenAndARunThatOutlastsItsLimitIsEnded() throws Exception {
        assertThat(Files.readString(dir.resolve("up.log"))).contains("scheduling policy: fifo-backfill (");

        Launcher.Result s = gf("submit", "--name", "forever", "--gpus", "8", "--time-limit", "4s", "--", "sleep", "600");
        assertThat(s.code()).as(s.both()).isZero();
        String id = s.out().strip().substring("submitted job ".length());
        JsonNode running = await("job " + id + " to run", Duration.ofSeconds(30), () -> json("job", id, "-o", "json"),
                j -> j.get("state").stringValue().equals("RUNNING"));
        assertThat(running.get("timeLimitSeconds").longValue()).isEqualTo(4);

        JsonNode ended = await("job " + id + " to be ended at its limit", Duration.ofSeconds(60),
                () -> json("job", id, "-o", "json"), j -> j.get("state").stringValue().equals("FAILED"));
        assertThat(ended.get("reason").stringValue()).isEqualTo("exceeded its time limit of 4s");
        double ran = ended.get("endTime").doubleValue() - ended.get("startTime").doubleValue();
        assertThat(ran).as("ended at its limit, not before, and within a cycle or two after").isBetween(4.0, 7.0);
        assertThat(ended.get("events").valueStream().map(e -> e.get("kind").stringValue())).contains("TIMEOUT");

        // its GPUs are free again: the next job runs on them
        Launcher.Result next = gf("submit", "--name", "next", "--gpus", "8", "--", "true");
        String nextId = next.out().strip().substring("submitted job ".length());
        await("job " + nextId + " to complete", Duration.ofSeconds(60), () -> json("job", nextId, "-o", "json"),
                j -> j.get("state").stringValue().equals("COMPLETED"));
    }

    static <T> T await(String what, Duration within, Supplier<T> probe, Predicate<T> done) {
        long deadline = System.nanoTime() + within.toNanos();
        T last = probe.get();
        while (!done.test(last)) {
            if (System.nanoTime() > deadline) {
                String upLog;
                try {
                    upLog = Files.readString(dir.resolve("up.log"));
                } catch (java.io.IOException e) {
                    upLog = "(no log)";
                }
                throw new AssertionError("waited " + within + " for " + what + "; last seen: " + last
                        + "\ngpufleet up said:\n" + upLog);
            }
            try {
                Thread.sleep(250);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
            last = probe.get();
        }
        return last;
    }
}
