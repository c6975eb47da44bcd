package gpufleet.cli;

import gpufleet.server.GpufleetServer;
import gpufleet.server.store.SqlStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A real Prometheus (Debian's package) scrapes the controller's {@code /metrics}; the test changes the
 * fleet through the API and reads the values back through Prometheus' query API. {@code promtool}
 * lints the exposition. Without Prometheus the test fails with how to install it; it never skips.
 */
class PrometheusTest {
    static final Path PROMETHEUS = Path.of(System.getenv().getOrDefault("GPUFLEET_PROMETHEUS", "/usr/bin/prometheus"));
    static final Path PROMTOOL = Path.of(System.getenv().getOrDefault("GPUFLEET_PROMTOOL", "/usr/bin/promtool"));
    private static final JsonMapper JSON = JsonMapper.builder().build();

    @TempDir
    Path dir;
    GpufleetServer server;
    String admin, join;
    Process prometheus;
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @AfterEach
    void stop() throws InterruptedException {
        if (prometheus != null) {
            prometheus.destroy();
            if (!prometheus.waitFor(10, TimeUnit.SECONDS)) prometheus.destroyForcibly();
        }
        if (server != null) server.close();
    }

    private String base() {
        return "http://127.0.0.1:" + server.port();
    }

    private HttpResponse<String> send(HttpRequest.Builder b) {
        try {
            return http.send(b.timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException | InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    /** As an admin would, and as an agent (with a join token) for registrations. */
    private void api(String method, String path, String body) {
        String token = path.equals("/hosts/register") ? join : admin;
        HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(base() + "/api/v1" + path))
                .header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body)));
        assertThat(r.statusCode()).as(method + " " + path + ": " + r.body()).isBetween(200, 299);
    }

    @Test
    void prometheusScrapesWhatTheTestDid() throws Exception {
        if (!Files.isExecutable(PROMETHEUS) || !Files.isExecutable(PROMTOOL))
            throw new AssertionError("this test runs a real Prometheus: apt-get install -y --no-install-recommends prometheus"
                    + " (or set GPUFLEET_PROMETHEUS and GPUFLEET_PROMTOOL); looked for " + PROMETHEUS + " and " + PROMTOOL);
        Path data = Files.createDirectories(dir.resolve("controller"));
        // hosts without agents: an hour's heartbeat timeout keeps them up, so every number below is the test's doing
        server = GpufleetServer.start(SqlStore.sqlite(data), data, "127.0.0.1", 0, Duration.ofMillis(100), Duration.ofHours(1));
        admin = Files.readString(data.resolve(gpufleet.server.auth.Tokens.ADMIN_TOKEN_FILE)).strip();
        join = server.tokens().create("test hosts", gpufleet.server.auth.Role.JOIN, null, null, null, "test").token();
        // Prometheus scrapes with a viewer's token, from a file only it reads
        gpufleet.protocol.PrivateFiles.write(dir.resolve("scrape-token"),
                server.tokens().create("prometheus", gpufleet.server.auth.Role.VIEWER, null, null, null, "test").token());
        for (int i = 1; i <= 4; i++)
            api("POST", "/hosts/register", "{\"name\":\"node-%d\",\"gpus\":8,\"rack\":\"r%d\",\"zone\":\"z1\"}".formatted(i, (i + 1) / 2));
        api("PUT", "/teams/vision", "{\"quotaGpus\": 16}");
        for (int i = 0; i < 3; i++)
            api("POST", "/jobs", "{\"name\":\"job-%d\",\"team\":\"vision\",\"gpus\":8,\"command\":[\"true\"]}".formatted(i));
        api("POST", "/hosts/node-4/drain", "{\"reason\": \"test\"}");

        prometheus = startPrometheus(server.port());
        assertThat(query("up{job=\"gpufleet\"}", 1)).isEqualTo(1);
        assertThat(query("gpufleet_jobs_submitted_total", 3)).isEqualTo(3);
        assertThat(query("gpufleet_hosts{state=\"draining\"}", 1)).isEqualTo(1);
        assertThat(query("sum(gpufleet_gpus)", 32)).isEqualTo(32);
        // the quota stops the third job: two run, one waits
        assertThat(query("gpufleet_team_gpus{team=\"vision\"}", 16)).isEqualTo(16);
        assertThat(query("gpufleet_team_quota_gpus{team=\"vision\"}", 16)).isEqualTo(16);
        assertThat(query("gpufleet_queue_jobs", 1)).isEqualTo(1);
        assertThat(query("gpufleet_placements_total", 2)).isEqualTo(2);
        assertThat(query("count(gpufleet_job_ettr_ratio)", 2)).isEqualTo(2);

        // a change shows at the next scrape
        api("POST", "/hosts/node-3/drain", "{}");
        assertThat(query("gpufleet_hosts{state=\"draining\"}", 2)).isEqualTo(2);

        assertThat(send(HttpRequest.newBuilder(URI.create(base() + "/metrics"))).statusCode())
                .as("no token, no metrics").isEqualTo(401);
        HttpResponse<String> metrics = send(HttpRequest.newBuilder(URI.create(base() + "/metrics"))
                .header("Authorization", "Bearer " + admin));
        assertThat(metrics.headers().firstValue("content-type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/plain; version=0.0.4"));
        Process lint = new ProcessBuilder(PROMTOOL.toString(), "check", "metrics").redirectErrorStream(true).start();
        lint.getOutputStream().write(metrics.body().getBytes(StandardCharsets.UTF_8));
        lint.getOutputStream().close();
        String problems = new String(lint.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(lint.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(problems).as("promtool check metrics").isEmpty();
        assertThat(lint.exitValue()).isZero();
    }

    private Process startPrometheus(int target) throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path config = dir.resolve("prometheus.yml");
        Files.writeString(config, """
                global:
                  scrape_interval: 1s
                  scrape_timeout: 1s
                scrape_configs:
                  - job_name: gpufleet
                    authorization:
                      credentials_file: %s
                    static_configs:
                      - targets: ['127.0.0.1:%d']
                """.formatted(dir.resolve("scrape-token"), target));
        Process p = new ProcessBuilder(PROMETHEUS.toString(), "--config.file=" + config, "--storage.tsdb.path=" + dir.resolve("tsdb"),
                "--web.listen-address=127.0.0.1:" + port, "--log.level=warn")
                .redirectErrorStream(true).redirectOutput(dir.resolve("prometheus.log").toFile()).start();
        promUrl = "http://127.0.0.1:" + port;
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (true) {
            try {
                if (http.send(HttpRequest.newBuilder(URI.create(promUrl + "/-/ready")).build(),
                        HttpResponse.BodyHandlers.ofString()).statusCode() == 200) return p;
            } catch (IOException notYet) {
                // still starting
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
            if (!p.isAlive() || System.nanoTime() > deadline)
                throw new AssertionError("Prometheus did not start: " + Files.readString(dir.resolve("prometheus.log")));
            sleep(100);
        }
    }

    private String promUrl;

    /**
     * The value of an instant query with one result, polled until it equals {@code expect} (Prometheus
     * scrapes every second) or 20 s pass; then the last value seen, for the assertion to report.
     */
    private double query(String promql, double expect) {
        long deadline = System.nanoTime() + 20_000_000_000L;
        double last = Double.NaN;
        String body = "";
        while (System.nanoTime() < deadline) {
            body = send(HttpRequest.newBuilder(URI.create(promUrl + "/api/v1/query?query="
                    + URLEncoder.encode(promql, StandardCharsets.UTF_8)))).body();
            JsonNode result = JSON.readTree(body).path("data").path("result");
            if (result.size() == 1) {
                last = Double.parseDouble(result.get(0).get("value").get(1).stringValue());
                if (last == expect) return last;
            }
            sleep(200);
        }
        System.err.println("last answer to " + promql + ": " + body);
        return last;
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }
}
