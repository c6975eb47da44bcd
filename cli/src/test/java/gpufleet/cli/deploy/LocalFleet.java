package gpufleet.cli.deploy;

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
 * {@code ./gpufleet up} in a directory of its own, on a free port, and the commands an operator then
 * types there, each a process of its own through the shipped launcher.
 */
final class LocalFleet implements AutoCloseable {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    final Path dir;
    final int port;
    final Process up;
    private final Map<String, String> env;

    private LocalFleet(Path dir, int port, Process up) {
        this.dir = dir;
        this.port = port;
        this.up = up;
        this.env = Map.of("GPUFLEET_SERVER", "http://127.0.0.1:" + port);
    }

    /** Starts {@code gpufleet up --simulate-gpus 8 [more...]} in {@code dir} and waits for its agent. */
    static LocalFleet up(Path dir, String... more) throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        List<String> args = new ArrayList<>(List.of("up", "--port", Integer.toString(port), "--simulate-gpus", "8"));
        args.addAll(List.of(more));
        LocalFleet f = new LocalFleet(dir, port, Launcher.start(dir, Map.of(), dir.resolve("up.log"), args.toArray(String[]::new)));
        f.await("the controller and its agent", Duration.ofSeconds(90), () -> f.gf("nodes", "-o", "json"),
                r -> r.code() == 0 && r.out().contains("\"local\""));
        return f;
    }

    /** Runs {@code ./gpufleet args...} against this fleet. */
    Launcher.Result gf(String... args) {
        return Launcher.run(dir, env, Duration.ofSeconds(60), args);
    }

    /** Runs a command that prints JSON, failing unless it succeeds. */
    JsonNode json(String... args) {
        Launcher.Result r = gf(args);
        assertThat(r.code()).as("gpufleet %s: %s", String.join(" ", args), r.both()).isZero();
        return JSON.readTree(r.out());
    }

    /** What {@code gpufleet up} has printed so far. */
    String log() {
        try {
            return Files.readString(dir.resolve("up.log"));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    /** Polls {@code probe} until {@code done} holds; fails with the last value seen and what {@code up} said. */
    <T> T await(String what, Duration within, Supplier<T> probe, Predicate<T> done) {
        return Launcher.await(what, within, probe, done, () -> "gpufleet up said:\n" + log());
    }

    @Override
    public void close() throws InterruptedException {
        up.toHandle().descendants().forEach(ProcessHandle::destroy);
        up.destroy();
        if (!up.waitFor(20, TimeUnit.SECONDS)) up.destroyForcibly();
    }
}
