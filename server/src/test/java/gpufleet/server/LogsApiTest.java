package gpufleet.server;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

/** The job log routes: appends fenced by the job's generation, reads by byte offset. */
class LogsApiTest {
    @TempDir
    Path dir;
    GpufleetServer server;
    Client api;
    final HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void start() {
        server = GpufleetServer.start(dir, 0, Duration.ofMillis(200));
        api = new Client(server.port(), dir);
        api.registerHost("node-a", 8, "r1", "z1");
    }

    @AfterEach
    void stop() {
        server.close();
    }

    HttpResponse<byte[]> post(String path, byte[] body) throws Exception {
        return http.send(HttpRequest.newBuilder(uri(path)).header("Content-Type", "text/plain")
                .header("Authorization", "Bearer " + api.tokenFor("POST", path, null))
                .expectContinue(body.length > 65536)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    HttpResponse<byte[]> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(uri(path)).header("Authorization", "Bearer " + api.tokenFor("GET", path, null))
                .GET().build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.port() + "/api/v1" + path);
    }

    static long size(HttpResponse<?> r) {
        return Long.parseLong(r.headers().firstValue("X-Log-Size").orElseThrow());
    }

    static String field(HttpResponse<byte[]> r) {
        return Client.JSON.readTree(new String(r.body(), StandardCharsets.UTF_8)).get("error").get("field").stringValue();
    }

    @Test
    void appendedBytesReadBackFromAnyOffsetAndLandInTheRanksFile() throws Exception {
        long id = api.submit("j", 4, 1);
        long gen = api.awaitState(id, "RUNNING").get("generation").longValue();
        byte[] first = "step 1 loss 2.31\n".getBytes(StandardCharsets.UTF_8);
        byte[] second = {(byte) 0xff, 0, (byte) 0xc3, '\n'}; // not text: bytes come back as they went in
        assertThat(post("/jobs/" + id + "/logs/3?generation=" + gen, first).statusCode()).isEqualTo(200);
        var appended = post("/jobs/" + id + "/logs/3?generation=" + gen, second);
        assertThat(Client.JSON.readTree(new String(appended.body(), StandardCharsets.UTF_8)).get("size").longValue())
                .isEqualTo(first.length + second.length);

        byte[] all = new byte[first.length + second.length];
        System.arraycopy(first, 0, all, 0, first.length);
        System.arraycopy(second, 0, all, first.length, second.length);
        var whole = get("/jobs/" + id + "/logs/3");
        assertThat(whole.statusCode()).isEqualTo(200);
        assertThat(whole.body()).isEqualTo(all);
        assertThat(size(whole)).isEqualTo(all.length);
        assertThat(whole.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/plain");

        var tail = get("/jobs/" + id + "/logs/3?offset=5");
        assertThat(tail.body()).isEqualTo(Arrays.copyOfRange(all, 5, all.length));
        var beyond = get("/jobs/" + id + "/logs/3?offset=1000");
        assertThat(beyond.statusCode()).isEqualTo(200);
        assertThat(beyond.body()).isEmpty();
        assertThat(size(beyond)).isEqualTo(all.length);

        var untouched = get("/jobs/" + id + "/logs/0");
        assertThat(untouched.statusCode()).isEqualTo(200);
        assertThat(untouched.body()).isEmpty();
        assertThat(size(untouched)).isZero();

        assertThat(Files.readAllBytes(dir.resolve("logs/" + id + "/rank-3.log"))).isEqualTo(all);
    }

    @Test
    void aReadIsCappedAtOneMebibyteAndTheRestComesFromTheNextOffset() throws Exception {
        long id = api.submit("j", 1, 1);
        long gen = api.awaitState(id, "RUNNING").get("generation").longValue();
        byte[] mib = new byte[1 << 20];
        Arrays.fill(mib, (byte) 'a');
        assertThat(post("/jobs/" + id + "/logs/0?generation=" + gen, mib).statusCode()).isEqualTo(200);
        assertThat(post("/jobs/" + id + "/logs/0?generation=" + gen, "tail".getBytes(StandardCharsets.UTF_8))
                .statusCode()).isEqualTo(200);

        var first = get("/jobs/" + id + "/logs/0?offset=0");
        assertThat(first.body()).hasSize(1 << 20);
        assertThat(size(first)).isEqualTo((1 << 20) + 4);
        var rest = get("/jobs/" + id + "/logs/0?offset=" + first.body().length);
        assertThat(new String(rest.body(), StandardCharsets.UTF_8)).isEqualTo("tail");

        var tooBig = post("/jobs/" + id + "/logs/0?generation=" + gen, new byte[(1 << 20) + 1]);
        assertThat(tooBig.statusCode()).isEqualTo(413);
        assertThat(size(get("/jobs/" + id + "/logs/0"))).isEqualTo((1 << 20) + 4);
    }

    @Test
    void appendsAreRefusedForAnUnknownJobAGenerationAheadOfTheJobOrARankTheJobDoesNotHave() throws Exception {
        long id = api.submit("j", 4, 1);
        long gen = api.awaitState(id, "RUNNING").get("generation").longValue();
        byte[] line = "x\n".getBytes(StandardCharsets.UTF_8);

        assertThat(post("/jobs/999/logs/0?generation=1", line).statusCode()).isEqualTo(404);
        assertThat(get("/jobs/999/logs/0").statusCode()).isEqualTo(404);

        var ahead = post("/jobs/" + id + "/logs/0?generation=" + (gen + 1), line);
        assertThat(ahead.statusCode()).isEqualTo(409);
        assertThat(field(ahead)).isEqualTo("generation");

        for (String rank : new String[] {"4", "-1", "x"}) {
            var bad = post("/jobs/" + id + "/logs/" + rank + "?generation=" + gen, line);
            assertThat(bad.statusCode()).as("rank %s", rank).isEqualTo(400);
            assertThat(field(bad)).isEqualTo("rank");
            assertThat(get("/jobs/" + id + "/logs/" + rank).statusCode()).as("rank %s", rank).isEqualTo(400);
        }
        var noGeneration = post("/jobs/" + id + "/logs/0", line);
        assertThat(noGeneration.statusCode()).isEqualTo(400);
        assertThat(field(noGeneration)).isEqualTo("generation");
        var badOffset = get("/jobs/" + id + "/logs/0?offset=-3");
        assertThat(badOffset.statusCode()).isEqualTo(400);
        assertThat(field(badOffset)).isEqualTo("offset");

        assertThat(size(get("/jobs/" + id + "/logs/0"))).as("no refused append was written").isZero();
        assertThat(dir.resolve("logs/" + id)).doesNotExist();
    }

    /**
     * Regression: a log chunk refused before its body was read (here for a generation ahead of the job)
     * made Jetty close the connection mid-upload, so the agent saw a broken pipe, took the controller for
     * unreachable and retried the chunk forever. The refusal must arrive as an answer.
     */
    @Test
    void aLargeAppendThatIsRefusedGetsItsAnswerInsteadOfABrokenConnection() throws Exception {
        long id = api.submit("j", 1, 1);
        long gen = api.awaitState(id, "RUNNING").get("generation").longValue();
        byte[] chunk = new byte[256 * 1024];
        Arrays.fill(chunk, (byte) 'x');
        for (int i = 0; i < 3; i++) {
            var r = http.send(HttpRequest.newBuilder(uri("/jobs/" + id + "/logs/0?generation=" + (gen + 1)))
                    .header("Authorization", "Bearer " + api.tokenFor("POST", "/jobs/" + id + "/logs/0?generation=" + gen, null))
                    .POST(HttpRequest.BodyPublishers.ofByteArray(chunk)).build(), HttpResponse.BodyHandlers.ofByteArray());
            assertThat(r.statusCode()).isEqualTo(409);
            assertThat(field(r)).isEqualTo("generation");
        }
    }

    @Test
    void theTailOfAStoppedRunIsStillAccepted() throws Exception {
        long id = api.submit("j", 2, 1);
        long gen = api.awaitState(id, "RUNNING").get("generation").longValue();
        byte[] line = "before\n".getBytes(StandardCharsets.UTF_8);
        byte[] tail = "last words\n".getBytes(StandardCharsets.UTF_8);
        assertThat(post("/jobs/" + id + "/logs/1?generation=" + gen, line).statusCode()).isEqualTo(200);
        JsonNode cancelled = api.ok(api.post("/jobs/" + id + "/cancel", ""));
        assertThat(cancelled.get("generation").longValue()).isGreaterThan(gen);
        // the agent ships what the run printed while it was being stopped: that is what users look for
        assertThat(post("/jobs/" + id + "/logs/1?generation=" + gen, tail).statusCode()).isEqualTo(200);
        assertThat(get("/jobs/" + id + "/logs/1").body()).isEqualTo("before\nlast words\n".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void drainTakesAnOptionalReasonAndRefusesOtherFields() {
        assertThat(api.ok(api.post("/hosts/node-a/drain", "{\"reason\":\"XID 79 on GPU 3\"}")).get("status")
                .stringValue()).isEqualTo("DRAINING");
        api.ok(api.post("/hosts/node-a/resume", ""));
        var bad = api.post("/hosts/node-a/drain", "{\"why\":\"x\"}");
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.field()).isEqualTo("why");
        assertThat(bad.code()).isEqualTo("unknown_field");
        assertThat(api.ok(api.get("/hosts")).get(0).get("status").stringValue()).as("a refused drain changes nothing")
                .isEqualTo("UP");
    }
}
