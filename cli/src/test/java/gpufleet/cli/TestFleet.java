package gpufleet.cli;

import gpufleet.agent.AgentMain;
import gpufleet.server.GpufleetServer;
import gpufleet.server.Security;
import gpufleet.server.TestCerts;
import gpufleet.testkit.TestDatabases;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A controller in this JVM and agents as real processes on loopback, with simulated GPUs: the
 * pieces of a fleet, small enough for a test. Authentication is on, as in production: the test acts
 * with the admin token the controller wrote on its first start, and agents join with a join token
 * (given as $GPUFLEET_JOIN_TOKEN) that they exchange for their hosts' own credentials.
 */
final class TestFleet implements AutoCloseable {
    static final JsonMapper JSON = JsonMapper.builder().build();
    static final Duration HEARTBEAT_TIMEOUT = Duration.ofSeconds(10);
    /** A 1 s restart backoff (doubling to 8 s) keeps crash scenarios short; RestartRulesTest pins the default rule. */
    static final gpufleet.server.control.ControllerOptions OPTIONS = gpufleet.server.control.ControllerOptions.DEFAULTS
            .withHeartbeatTimeout(HEARTBEAT_TIMEOUT).withRestartBackoff(new gpufleet.core.job.RestartBackoff(1, 8, 600));

    final Path dir;
    GpufleetServer server;
    final int port;
    final String url;
    final List<Process> agents = new ArrayList<>();
    private final HttpClient http;
    private final TestCerts certs;
    private final Security security;

    final TestDatabases.TestDb db;
    final String adminToken;
    final String joinToken;

    TestFleet(Path dir) {
        this(dir, TestDatabases.Kind.SQLITE);
    }

    TestFleet(Path dir, TestDatabases.Kind kind) {
        this(dir, kind, null);
    }

    /** With {@code certs}, the controller serves HTTPS with their certificate and everyone verifies it with their CA. */
    TestFleet(Path dir, TestDatabases.Kind kind, TestCerts certs) {
        this.dir = dir;
        this.certs = certs;
        this.db = TestDatabases.fresh(kind, dir.resolve("controller"));
        this.security = certs == null ? Security.defaults() : Security.defaults().withTls(certs.cert(), certs.key());
        this.server = GpufleetServer.start(db.open(), dir.resolve("controller"), "127.0.0.1", 0, Duration.ofMillis(100),
                OPTIONS, gpufleet.server.view.Usage.DEFAULT_GPU_HOUR_USD, security);
        this.port = server.port();
        this.url = (certs == null ? "http://127.0.0.1:" : "https://localhost:") + port;
        this.http = certs == null ? HttpClient.newHttpClient()
                : HttpClient.newBuilder().sslContext(gpufleet.protocol.Pem.trusting(certs.ca())).build();
        try {
            this.adminToken = Files.readString(dir.resolve("controller").resolve(gpufleet.server.auth.Tokens.ADMIN_TOKEN_FILE)).strip();
        } catch (IOException e) {
            throw new AssertionError("the controller wrote no admin token", e);
        }
        this.joinToken = post("/tokens", "{\"name\":\"test agents\",\"role\":\"join\",\"ttlSeconds\":3600}").get("token").stringValue();
    }

    /** The CLI's options for this controller: where it is and the admin token. */
    String[] cli(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--server", url, "--token", adminToken));
        if (certs != null) all.addAll(List.of("--ca-cert", certs.ca().toString()));
        return all.toArray(String[]::new);
    }

    /** Kills the controller (nothing but what it committed survives) and starts a new one on the same port. */
    void restartController() {
        server.crash();
        server = GpufleetServer.start(db.open(), dir.resolve("controller"), "127.0.0.1", port, Duration.ofMillis(100),
                OPTIONS, gpufleet.server.view.Usage.DEFAULT_GPU_HOUR_USD, security);
    }

    /** The training stand-in, copied out of the test resources. */
    Path trainScript() throws IOException {
        Path p = dir.resolve("train.sh");
        if (!Files.exists(p))
            try (InputStream in = TestFleet.class.getResourceAsStream("train.sh")) {
                Files.copy(in, p);
            }
        return p;
    }

    /** Starts an agent process with {@code gpus} simulated GPUs. */
    Process startAgent(String name, String rack, int gpus) throws IOException {
        return startAgent(name, rack, gpus, System.getProperty("user.name"));
    }

    /** Starts an agent process whose ranks run as {@code runAs}. */
    Process startAgent(String name, String rack, int gpus, String runAs) throws IOException {
        Path work = dir.resolve("agents").resolve(name);
        Files.createDirectories(work);
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx96m", "-XX:TieredStopAtLevel=1", "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), AgentMain.class.getName(),
                "--server", url, "--name", name, "--rack", rack, "--zone", "z1", "--work-dir", work.toString(),
                "--simulate-gpus", Integer.toString(gpus), "--heartbeat", "0.5", "--kill-grace", "1",
                "--run-as", runAs);
        if (certs != null) {
            cmd = new ArrayList<>(cmd);
            cmd.addAll(List.of("--ca-cert", certs.ca().toString()));
        }
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("GPUFLEET_JOIN_TOKEN", joinToken);
        Process p = pb.redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(work.resolve("agent.out").toFile())).start();
        agents.add(p);
        return p;
    }

    Path agentWorkDir(String name) {
        return dir.resolve("agents").resolve(name);
    }

    /**
     * Asserts that no token's secret (the admin's, the join token's, any host's credential) appears in
     * what the fleet writes or shows: agents' output, ranks' logs, the API's listings of jobs, hosts,
     * tokens and the audit log, the logs the controller serves, and the dashboard's data.
     */
    void assertNoSecretsShown(long... jobs) throws IOException {
        List<String> secrets = new ArrayList<>(List.of(adminToken, joinToken));
        List<Path> files = new ArrayList<>();
        try (var walk = Files.walk(dir.resolve("agents"))) {
            for (Path f : walk.filter(Files::isRegularFile).toList()) {
                if (f.getFileName().toString().equals("credential")) secrets.add(Files.readString(f).strip());
                else files.add(f);
            }
        }
        assertThat(secrets).as("a credential per agent").hasSizeGreaterThan(2);
        Map<String, String> shown = new java.util.LinkedHashMap<>();
        for (Path f : files) shown.put(f.toString(), Files.readString(f, java.nio.charset.StandardCharsets.ISO_8859_1));
        for (String path : List.of("/jobs", "/hosts", "/tokens", "/audit?since=0", "/fleet", "/usage", "/teams"))
            shown.put(path, text(path));
        for (long id : jobs) {
            shown.put("/jobs/" + id, text("/jobs/" + id));
            shown.put("/jobs/" + id + "/logs/0", text("/jobs/" + id + "/logs/0"));
        }
        for (var e : shown.entrySet())
            for (String secret : secrets) {
                String part = secret.substring(secret.indexOf('_', "gft_".length()) + 1); // what follows gft_<id>_
                assertThat(part).hasSizeGreaterThan(20);
                assertThat(e.getValue()).as("%s shows a token's secret", e.getKey()).doesNotContain(part);
            }
    }

    // ---- the API -------------------------------------------------------------------------------

    JsonNode get(String path) {
        return send(HttpRequest.newBuilder(URI.create(url + "/api/v1" + path)).header("Authorization", "Bearer " + adminToken)
                .GET(), 200);
    }

    JsonNode post(String path, String body) {
        return send(HttpRequest.newBuilder(URI.create(url + "/api/v1" + path)).header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + adminToken).POST(HttpRequest.BodyPublishers.ofString(body)), -1);
    }

    String text(String path) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create(url + "/api/v1" + path))
                            .header("Authorization", "Bearer " + adminToken).GET().build(),
                    HttpResponse.BodyHandlers.ofString()).body();
        } catch (IOException | InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    private JsonNode send(HttpRequest.Builder b, int expect) {
        try {
            HttpResponse<String> r = http.send(b.timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            if (expect > 0 ? r.statusCode() != expect : r.statusCode() / 100 != 2)
                throw new AssertionError(r.statusCode() + ": " + r.body());
            return JSON.readTree(r.body());
        } catch (IOException | InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    long submit(String name, int gpus, int tp, int maxRestarts, Path checkpoints, String... command) {
        String body = JSON.createObjectNode().put("name", name).put("team", "default").put("gpus", gpus).put("tp", tp)
                .put("maxRestarts", maxRestarts).put("checkpointDir", checkpoints.toString())
                .set("command", JSON.valueToTree(List.of(command))).toString();
        return post("/jobs", body).get("id").longValue();
    }

    JsonNode job(long id) {
        return get("/jobs/" + id);
    }

    /** Polls {@code what} until {@code ok} holds; fails after {@code seconds}. */
    <T> T await(String what, double seconds, java.util.function.Supplier<T> what_, Predicate<T> ok) {
        long deadline = System.nanoTime() + (long) (seconds * 1e9);
        T v = what_.get();
        while (!ok.test(v)) {
            if (System.nanoTime() > deadline) throw new AssertionError("timed out waiting for " + what + "; last: " + v);
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
            v = what_.get();
        }
        return v;
    }

    JsonNode awaitJob(long id, String state, double seconds) {
        return await("job " + id + " " + state, seconds, () -> job(id), j -> j.get("state").stringValue().equals(state));
    }

    void awaitHosts(int n) {
        await(n + " hosts registered", 30, () -> get("/hosts"), h -> h.size() == n
                && java.util.stream.StreamSupport.stream(h.spliterator(), false).allMatch(x -> !x.get("lastHeartbeat").isNull()));
    }

    @Override
    public void close() {
        for (Process p : agents) {
            p.destroy();
        }
        for (Process p : agents) {
            try {
                if (!p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) p.destroyForcibly();
            } catch (InterruptedException e) {
                p.destroyForcibly();
            }
        }
        server.close();
        db.close();
    }
}
