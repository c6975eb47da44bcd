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
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Hot spares as deployed: {@code gpufleet server --spares 1} and three simulated agents, each a process of
 * its own through the shipped launcher. One host is kept SPARE while a 16-GPU gang runs on the other two;
 * an XID on one of the gang's GPUs ({@code gpufleet agent inject-xid}) drains that host, and the gang comes
 * back on its healthy host and the spare.
 */
class HotSparesIT {
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

    private JsonNode json(String... args) {
        Launcher.Result r = gf(args);
        assertThat(r.code()).as("gpufleet %s: %s", String.join(" ", args), r.both()).isZero();
        return JSON.readTree(r.out());
    }

    private Map<String, String> statuses() {
        Map<String, String> out = new java.util.TreeMap<>();
        for (JsonNode h : json("nodes", "-o", "json")) out.put(h.get("name").stringValue(), h.get("status").stringValue());
        return out;
    }

    private static Set<String> hosts(JsonNode job) {
        Set<String> out = new HashSet<>();
        for (JsonNode p : job.get("placement")) out.add(p.get("host").stringValue());
        return out;
    }

    private void agent(String name, String joinToken) throws IOException {
        List<String> args = new ArrayList<>(List.of("agent", "--name", name, "--simulate-gpus", "8", "--heartbeat", "0.5",
                "--work-dir", dir.resolve(name).toString()));
        // as root an agent wants to be told whom jobs run as
        if (ProcessHandle.current().info().user().orElse("").equals("root")) args.addAll(List.of("--run-as", "root"));
        processes.add(Launcher.start(dir, Map.of("GPUFLEET_JOIN_TOKEN", joinToken, "GPUFLEET_SERVER", env.get("GPUFLEET_SERVER")),
                dir.resolve(name + ".log"), args.toArray(String[]::new)));
    }

    @Test
    void aGangThatLosesAHostToAnXidComesBackOnItsHealthyHostAndTheSpare() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        env = Map.of("GPUFLEET_SERVER", "http://127.0.0.1:" + port);
        processes.add(Launcher.start(dir, Map.of(), dir.resolve("server.log"), "server", "--port", Integer.toString(port),
                "--spares", "1"));
        await("the controller", () -> gf("token", "create", "--name", "racks", "--role", "join"), r -> r.code() == 0);
        assertThat(Files.readString(dir.resolve("server.log"))).contains("hot spares: 1 idle host kept in each pool");
        String join = gf("token", "create", "--name", "racks2", "--role", "join").out().lines()
                .filter(l -> l.startsWith("gft_")).findFirst().orElseThrow();
        for (String n : List.of("sim-1", "sim-2", "sim-3")) agent(n, join);
        await("the agents to join", this::statuses, s -> s.size() == 3);

        Launcher.Result sub = gf("submit", "--name", "gang", "--gpus", "16", "--tp", "8", "--max-restarts", "3", "--", "sleep", "600");
        assertThat(sub.code()).as(sub.both()).isZero();
        String id = sub.out().strip().substring("submitted job ".length());
        JsonNode running = await("the gang to run", () -> json("job", id, "-o", "json"),
                j -> j.get("state").stringValue().equals("RUNNING"));
        Map<String, String> st = statuses();
        String spare = st.entrySet().stream().filter(e -> e.getValue().equals("SPARE")).map(Map.Entry::getKey)
                .findFirst().orElseThrow(() -> new AssertionError("no spare among " + st));
        assertThat(hosts(running)).doesNotContain(spare).hasSize(2);

        String failed = running.get("placement").get(0).get("host").stringValue();
        String healthy = hosts(running).stream().filter(h -> !h.equals(failed)).findFirst().orElseThrow();
        int gpu = running.get("placement").get(0).get("gpus").get(0).intValue();
        Launcher.Result xid = Launcher.run(dir, Map.of(), Duration.ofSeconds(60), "agent", "inject-xid", "--work-dir",
                dir.resolve(failed).toString(), "--gpu", Integer.toString(gpu), "--xid", "79");
        assertThat(xid.code()).as(xid.both()).isZero();
        JsonNode again = await("the gang back on its healthy host and the spare", () -> json("job", id, "-o", "json"),
                j -> j.get("state").stringValue().equals("RUNNING") && j.get("restarts").intValue() == 1);
        assertThat(hosts(again)).containsExactlyInAnyOrder(healthy, spare);
        Map<String, String> after = statuses();
        assertThat(after.get(spare)).isEqualTo("UP");
        assertThat(after.get(failed)).isEqualTo("DRAINING");
    }

    private <T> T await(String what, Supplier<T> probe, Predicate<T> done) {
        return Launcher.await(what, Duration.ofSeconds(90), probe, done,
                () -> "server said:\n" + Launcher.tail(dir.resolve("server.log")));
    }
}
