package gpufleet.server;

import gpufleet.server.store.SqlStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Requests Jetty refuses before they reach the API (a NUL or a broken escape in the path). Jetty
 * closes the connection after such a refusal, so the answer must say so: a client that kept the
 * connection sent its next request into a closed socket and got no answer (found by the API fuzzer).
 */
class JettyRefusalTest {
    @TempDir
    Path dir;
    GpufleetServer server;
    String token;

    @BeforeEach
    void start() {
        server = GpufleetServer.start(SqlStore.sqlite(dir), dir, "127.0.0.1", 0, Duration.ofMillis(200), Duration.ofHours(1));
        token = new Client(server.port(), dir).adminToken;
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private HttpResponse<String> post(HttpClient http, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .header("Authorization", "Bearer " + token).timeout(Duration.ofSeconds(10))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aRefusalJettyMakesClosesTheConnectionAndSaysSo() throws Exception {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        for (String bad : new String[] {"/api/v1/jobs/%00/cancel", "/api/v1/hosts/a%00b/drain"}) {
            HttpResponse<String> r = post(http, bad);
            assertThat(r.statusCode()).as(bad).isEqualTo(400);
            assertThat(r.body()).as(bad).startsWith("{\"error\":{\"code\":\"malformed_request\",\"message\":");
            assertThat(r.headers().firstValue("connection")).as(bad).hasValue("close");
        }
        // refusals and ordinary requests one after another on one client: every request is answered
        for (int i = 0; i < 300; i++) {
            assertThat(post(http, i % 2 == 0 ? "/api/v1/jobs/%00/cancel" : "/api/v1/jobs/999/cancel").statusCode())
                    .isIn(400, 404);
        }
    }

    /**
     * A body over the 1 MiB limit is refused with 413, and the sender sees that answer: refused before
     * it was read, the sender (still writing) met a closed connection instead (found by the API fuzzer
     * under load). Bodies up to {@code DRAIN_LIMIT} are read to their end first.
     */
    @Test
    void anOversizeBodyGetsItsAnswerNotABrokenPipe() throws Exception {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        byte[] body = new byte[30 << 20];
        java.util.Arrays.fill(body, (byte) 'x');
        for (String path : new String[] {"/api/v1/jobs", "/api/v1/hosts/register", "/api/v1/jobs/1/logs/0?generation=1"}) {
            for (int i = 0; i < 5; i++) {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                        .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                        .timeout(Duration.ofSeconds(20)).POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                        HttpResponse.BodyHandlers.ofString());
                // the admin may submit: too large; registering and shipping logs are for agents: not allowed.
                // Either way an answer, never a broken pipe
                if (path.equals("/api/v1/jobs")) {
                    assertThat(r.statusCode()).as(path).isEqualTo(413);
                    assertThat(r.body()).contains("larger than 1048576 bytes");
                } else {
                    assertThat(r.statusCode()).as(path).isIn(403, 413);
                    assertThat(r.body()).startsWith("{\"error\":");
                }
            }
        }
    }
}
