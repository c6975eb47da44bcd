package gpufleet.server;

import gpufleet.server.store.SqlStore;
import gpufleet.render.Script;
import gpufleet.render.Style;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The dashboard's routes: its pages and assets, the fleet and usage views, chart fragments and the event stream. */
class DashboardApiTest {
    @TempDir
    Path dir;
    GpufleetServer server;
    Client api;
    final HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void start() {
        server = GpufleetServer.start(SqlStore.sqlite(dir), dir, "127.0.0.1", 0, Duration.ofMillis(50), Duration.ofHours(1));
        api = new Client(server.port(), dir);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private HttpResponse<String> raw(String path) {
        try {
            // as a browser signed in with the admin token
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                            .header("Cookie", "gpufleet_session=" + api.adminToken).build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** Registers a host and returns it as stored (id, generation). */
    private JsonNode host(String name, String rack, String zone) {
        return api.ok(api.post("/hosts/register", "{\"name\":\"%s\",\"gpus\":8,\"rack\":\"%s\",\"zone\":\"%s\"}"
                .formatted(name, rack, zone)));
    }

    private void gpuFails(JsonNode host, int gpu) {
        api.ok(api.post("/hosts/" + host.get("id").longValue() + "/heartbeat", ("{\"generation\":%d,\"tasks\":[],"
                + "\"gpus\":[{\"index\":%d,\"healthy\":false,\"xid\":79,\"detail\":\"XID 79: fell off the bus\"}]}")
                .formatted(host.get("generation").longValue(), gpu)));
    }

    private static String hostOf(JsonNode job) {
        return job.get("placement").get(0).get("host").stringValue();
    }

    @Test
    void everyPageIsTheSameDocumentAndTheAssetsAreTheReportsOwn() {
        for (String page : List.of("/", "/jobs", "/jobs/42", "/teams", "/scheduler")) {
            HttpResponse<String> r = raw(page);
            assertThat(r.statusCode()).as(page).isEqualTo(200);
            assertThat(r.headers().firstValue("content-type").orElse("")).startsWith("text/html");
            assertThat(r.body()).contains("<main id=\"main\"", "/ui/dashboard.js");
        }
        assertThat(raw("/ui/gpufleet.css").body()).isEqualTo(Style.css());
        assertThat(raw("/ui/gpufleet.js").body()).isEqualTo(Script.js());
        assertThat(raw("/ui/dashboard.js").headers().firstValue("content-type").orElse("")).startsWith("text/javascript");
        assertThat(raw("/ui/dashboard.css").statusCode()).isEqualTo(200);
        assertThat(raw("/no-such-page").statusCode()).isEqualTo(404);
        assertThat(raw("/ui/fragments/jobs/7/timeline").statusCode()).isEqualTo(404);
        assertThat(raw("/ui/fragments/jobs/x/timeline").statusCode()).isEqualTo(400);
        assertThat(api.ok(api.get("/openapi.json")).get("paths").propertyNames()).contains("/fleet", "/usage", "/events");
    }

    @Test
    void theFleetViewGroupsHostsAndCountsGpusByState() {
        Map<String, JsonNode> hosts = Map.of("a", host("a", "r2", "z1"), "b", host("b", "r10", "z1"), "c", host("c", "r1", "z2"));
        long id = api.submit("train", 8, 8);
        String busy = hostOf(api.awaitState(id, "RUNNING"));
        List<String> idle = new ArrayList<>(List.of("a", "b", "c"));
        idle.remove(busy);
        api.ok(api.post("/hosts/" + idle.get(0) + "/drain", "{}"));
        gpuFails(hosts.get(idle.get(1)), 2);

        JsonNode f = api.ok(api.get("/fleet"));
        assertThat(f.get("hostCount").intValue()).isEqualTo(3);
        assertThat(f.get("gpuCount").intValue()).isEqualTo(24);
        assertThat(f.get("gpus").get("busy").intValue()).isEqualTo(8);
        // one model for GPUs and hosts: the drained host's 8 are draining; the failed GPU and its host's 7 idle
        // others are out of service with their unhealthy host, not "draining" beside "1 host drained"
        assertThat(f.get("gpus").get("draining").intValue()).isEqualTo(8);
        assertThat(f.get("gpus").get("unhealthy").intValue()).isEqualTo(1 + 7);
        assertThat(f.get("gpus").get("free").intValue()).isZero();
        assertThat(f.get("hosts").get("busy").intValue()).isEqualTo(1);
        assertThat(f.get("hosts").get("draining").intValue()).isEqualTo(1);
        assertThat(f.get("hosts").get("unhealthy").intValue()).isEqualTo(1);
        // zones, then racks in natural order (r2 before r10)
        assertThat(f.get("zones").get(0).get("name").stringValue()).isEqualTo("z1");
        assertThat(f.get("zones").get(0).get("racks").get(0).get("name").stringValue()).isEqualTo("r2");
        assertThat(f.get("zones").get(0).get("racks").get(1).get("name").stringValue()).isEqualTo("r10");
        assertThat(f.get("zones").get(1).get("racks").get(0).get("hosts").get(0).get("name").stringValue()).isEqualTo("c");
        JsonNode busyHost = null;
        for (JsonNode z : f.get("zones")) for (JsonNode r : z.get("racks")) for (JsonNode h : r.get("hosts"))
            if (h.get("name").stringValue().equals(busy)) busyHost = h;
        assertThat(busyHost.get("state").stringValue()).isEqualTo("busy");
        assertThat(busyHost.get("owners")).hasSize(8).allSatisfy(o -> assertThat(o.longValue()).isEqualTo(id));
        assertThat(f.get("jobs").get(Long.toString(id)).get("name").stringValue()).isEqualTo("train");
    }

    @Test
    void usageThisMonthIsPricedPerGpuHour() throws Exception {
        host("a", "r1", "z1");
        api.ok(api.put("/teams/default", "{\"quotaGpus\": 16}"));
        api.awaitState(api.submit("train", 8, 8), "RUNNING");
        Thread.sleep(300);
        JsonNode u = api.ok(api.get("/usage"));
        assertThat(u.get("gpuHourUsd").doubleValue()).isEqualTo(4.916);
        JsonNode d = u.get("teams").get(0);
        assertThat(d.get("team").stringValue()).isEqualTo("default");
        assertThat(d.get("quotaGpus").intValue()).isEqualTo(16);
        assertThat(d.get("gpusInUse").intValue()).isEqualTo(8);
        assertThat(d.get("runningJobs").intValue()).isEqualTo(1);
        // at least the 0.3 s slept, on 8 GPUs
        assertThat(d.get("gpuHours").doubleValue()).isGreaterThan(8 * 0.3 / 3600);
        assertThat(d.get("costUsd").doubleValue()).isCloseTo(d.get("gpuHours").doubleValue() * 4.916, within(1e-9));
        assertThat(u.get("periodStart").doubleValue()).isLessThanOrEqualTo(u.get("time").doubleValue());
        assertThat(raw("/ui/fragments/usage").body()).contains("<svg class=\"chart\"", "default");
    }

    @Test
    void theTimelineMarksEachInterruptionWithItsCause() {
        JsonNode a = host("a", "r1", "z1");
        long id = api.submit("train", 8, 8);
        api.awaitState(id, "RUNNING");
        gpuFails(a, 0);
        api.awaitState(id, "RESTARTING");
        String html = raw("/ui/fragments/jobs/" + id + "/timeline").body();
        assertThat(html).contains("<div class=\"legend\">", "aria-label=\"Timeline of job " + id + "\"", "class=\"marker\"",
                "GPU_FAILED: a GPU 0: XID 79: fell off the bus", "restarting ·", "running ·");
    }

    @Test
    void theEventStreamNudgesOnEveryCommittedChange() throws Exception {
        host("a", "r1", "z1");
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        HttpRequest events = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/api/v1/events"))
                .header("Accept", "text/event-stream").header("Cookie", "gpufleet_session=" + api.adminToken).build();
        Thread reader = Thread.ofVirtual().start(() -> {
            try {
                http.send(events, HttpResponse.BodyHandlers.ofLines()).body().filter(l -> !l.isBlank()).forEach(lines::add);
            } catch (Exception closed) {
                // the test is over
            }
        });
        try {
            assertThat(next(lines, "event: hello")).isNotNull();
            api.ok(api.post("/hosts/a/drain", "{}"));
            assertThat(next(lines, "event: host")).isNotNull();
            assertThat(lines.poll(5, TimeUnit.SECONDS)).startsWith("data: {\"id\":1,");
            long id = api.submit("train", 8, 8);
            assertThat(next(lines, "event: job")).isNotNull();
            assertThat(lines.poll(5, TimeUnit.SECONDS)).contains("\"id\":" + id, "\"kind\":\"SUBMITTED\"");
        } finally {
            reader.interrupt();
        }
    }

    private HttpResponse<String> anonymous(String method, String path, String body, String... headers) {
        try {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                    .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
            if (headers.length > 0) b.headers(headers);
            return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void thePagesAreForAnyoneTheirDataForASignedInBrowserAndTheSessionOnlyReads() {
        host("a", "r1", "z1");
        for (String page : List.of("/", "/jobs/3", "/ui/dashboard.js", "/ui/gpufleet.css"))
            assertThat(anonymous("GET", page, null).statusCode()).as(page).isEqualTo(200);
        for (String data : List.of("/api/v1/fleet", "/api/v1/usage", "/api/v1/events", "/ui/fragments/usage", "/metrics",
                "/api/v1/jobs", "/api/v1/whoami"))
            assertThat(anonymous("GET", data, null).statusCode()).as(data).isEqualTo(401);

        String viewer = api.ok(api.post("/tokens", "{\"name\":\"wall screen\",\"role\":\"viewer\"}")).get("token").stringValue();
        HttpResponse<String> in = anonymous("POST", "/api/v1/session", "{\"token\":\"" + viewer + "\"}");
        assertThat(in.statusCode()).as(in.body()).isEqualTo(200);
        String cookie = in.headers().firstValue("Set-Cookie").orElseThrow();
        assertThat(cookie).startsWith("gpufleet_session=" + viewer + ";").contains("HttpOnly").contains("SameSite=Strict")
                .contains("Path=/").contains("Max-Age=");
        String session = "gpufleet_session=" + viewer;
        assertThat(anonymous("GET", "/api/v1/fleet", null, "Cookie", session).statusCode()).isEqualTo(200);
        assertThat(anonymous("GET", "/metrics", null, "Cookie", session).statusCode()).isEqualTo(200);
        // a viewer reads no logs, in the browser as in the API
        assertThat(anonymous("GET", "/api/v1/jobs/1/logs/0", null, "Cookie", session).statusCode()).isIn(403, 404);
        // the cookie is for reads: another site cannot make a signed-in browser change anything, even as admin
        HttpResponse<String> write = anonymous("POST", "/api/v1/hosts/a/drain", "{}", "Cookie", "gpufleet_session=" + api.adminToken,
                "Content-Type", "application/json");
        assertThat(write.statusCode()).isEqualTo(401);
        assertThat(api.ok(api.get("/hosts")).get(0).get("status").stringValue()).isEqualTo("UP");

        assertThat(anonymous("POST", "/api/v1/session", "{\"token\":\"gft_0000000000_" + "a".repeat(43) + "\"}").statusCode())
                .isEqualTo(401);
        assertThat(anonymous("POST", "/api/v1/session", "{\"token\":\"" + api.credential("a") + "\"}").statusCode())
                .as("a host's credential is not for browsers").isEqualTo(403);
        HttpResponse<String> out = anonymous("DELETE", "/api/v1/session", null, "Cookie", session);
        assertThat(out.statusCode()).isEqualTo(200);
        assertThat(out.headers().firstValue("Set-Cookie").orElseThrow()).startsWith("gpufleet_session=;").contains("Max-Age=0");
    }

    @Test
    void theDashboardsButtonsChangeThingsOnlyWithTheSessionsCsrfTokenAndTheAuditLogNamesWhoDid() {
        host("a", "r1", "z1");
        String alice = api.ok(api.post("/tokens", "{\"name\":\"alice\",\"role\":\"admin\"}")).get("token").stringValue();
        String viewer = api.ok(api.post("/tokens", "{\"name\":\"wall\",\"role\":\"viewer\"}")).get("token").stringValue();
        String session = "gpufleet_session=" + alice;
        HttpResponse<String> t = anonymous("GET", "/ui/csrf", null, "Cookie", session);
        assertThat(t.statusCode()).isEqualTo(200);
        String csrf = Client.JSON.readTree(t.body()).get("token").stringValue();
        String viewersCsrf = Client.JSON.readTree(anonymous("GET", "/ui/csrf", null, "Cookie", "gpufleet_session=" + viewer).body()).get("token").stringValue();
        assertThat(csrf).isNotBlank().isNotEqualTo(viewersCsrf);
        assertThat(anonymous("GET", "/ui/csrf", null).statusCode()).as("no session, no token").isEqualTo(401);

        // without the token, with another session's, or with a forged one: refused, and nothing changes
        for (String[] h : List.of(new String[]{"Cookie", session}, new String[]{"Cookie", session, "X-CSRF-Token", viewersCsrf},
                new String[]{"Cookie", session, "X-CSRF-Token", csrf.substring(1) + "A"})) {
            String[] all = java.util.stream.Stream.concat(java.util.Arrays.stream(h), java.util.stream.Stream.of("Content-Type", "application/json"))
                    .toArray(String[]::new);
            HttpResponse<String> r = anonymous("POST", "/api/v1/hosts/a/drain", "{}", all);
            assertThat(r.statusCode()).as(String.join(" ", h)).isEqualTo(401);
            assertThat(r.body()).contains("X-CSRF-Token");
        }
        assertThat(api.ok(api.get("/hosts")).get(0).get("status").stringValue()).isEqualTo("UP");
        // a viewer's session with its own token is who it is: a viewer, who may not drain
        assertThat(anonymous("POST", "/api/v1/hosts/a/drain", "{}", "Cookie", "gpufleet_session=" + viewer,
                "X-CSRF-Token", viewersCsrf, "Content-Type", "application/json").statusCode()).isEqualTo(403);

        HttpResponse<String> ok = anonymous("POST", "/api/v1/hosts/a/drain", "{\"reason\":\"cable swap\"}", "Cookie", session,
                "X-CSRF-Token", csrf, "Content-Type", "application/json");
        assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
        assertThat(api.ok(api.get("/hosts")).get(0).get("status").stringValue()).isEqualTo("DRAINING");
        JsonNode acts = Client.JSON.readTree(anonymous("GET", "/api/v1/hosts/a/actions", null, "Cookie", "gpufleet_session=" + viewer).body());
        assertThat(acts.size()).as(acts.toString()).isEqualTo(1);
        assertThat(acts.get(0).get("actor").stringValue()).isEqualTo("alice");
        assertThat(acts.get(0).get("action").stringValue()).isEqualTo("POST /api/v1/hosts/a/drain");
        assertThat(acts.get(0).get("target").stringValue()).isEqualTo("host a: cable swap");
        assertThat(acts.get(0).has("tokenId")).as("a viewer sees who, not their token").isFalse();
        // another host's actions are not this one's, even where the name is a prefix
        host("a2", "r1", "z1");
        assertThat(Client.JSON.readTree(anonymous("GET", "/api/v1/hosts/a2/actions", null, "Cookie", session).body()).size()).isZero();
    }

    @Test
    void heartbeatsCarryPerGpuTelemetryThatTheHostPanelReadsWithTheXidHistory() {
        JsonNode a = host("a", "r1", "z1");
        String beat = "/hosts/" + a.get("id").longValue() + "/heartbeat";
        long gen = a.get("generation").longValue();
        api.ok(api.post(beat, ("{\"generation\":%d,\"tasks\":[],\"gpus\":[],\"telemetry\":["
                + "{\"index\":0,\"utilizationPct\":93,\"memoryUsedBytes\":64000000000,\"memoryTotalBytes\":85899345920,"
                + "\"powerW\":655,\"temperatureC\":71,\"eccErrors\":0},"
                + "{\"index\":1,\"temperatureC\":36,\"utilizationPct\":null}]}").formatted(gen)));
        // the XID is in three heartbeats in a row: one error, recorded once
        for (int i = 0; i < 3; i++) gpuFails(a, 1);
        api.ok(api.post(beat, "{\"generation\":%d,\"tasks\":[],\"gpus\":[],\"telemetry\":[{\"index\":0,\"utilizationPct\":95}]}"
                .formatted(gen)));

        JsonNode t = api.ok(api.get("/hosts/a/gpus"));
        assertThat(t.get("gpus").size()).isEqualTo(2);
        JsonNode g0 = t.get("gpus").get(0);
        assertThat(g0.get("utilizationPct").intValue()).isEqualTo(95);
        assertThat(g0.get("history").size()).isEqualTo(2);
        assertThat(g0.get("history").get(0).get("powerW").intValue()).isEqualTo(655);
        assertThat(t.get("gpus").get(1).get("utilizationPct").isNull()).as("a figure the agent could not read").isTrue();
        assertThat(t.get("xids").size()).isEqualTo(1);
        assertThat(t.get("xids").get(0).get("gpu").intValue()).isEqualTo(1);
        assertThat(t.get("xids").get(0).get("xid").intValue()).isEqualTo(79);
        assertThat(api.ok(api.get("/hosts/nobody/gpus")).get("gpus").size()).isZero();
        // nonsense is refused with the field named, as anywhere in the API
        var bad = api.post(beat, "{\"generation\":%d,\"telemetry\":[{\"index\":0,\"utilizationPct\":250}]}".formatted(gen));
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.field()).isEqualTo("telemetry[0].utilizationPct");
    }

    @Test
    void theHistoryHasAPointFromTheStartAndItsChartsAPageOfTheirOwn() {
        host("a", "r1", "z1");
        // the controller samples at once on start, then every 10 s
        JsonNode h = api.ok(api.get("/history?range=1h"));
        assertThat(h.size()).isGreaterThanOrEqualTo(1);
        assertThat(h.get(0).has("allocation")).isTrue();
        assertThat(h.get(0).get("waitingJobs").doubleValue()).isZero();
        var bad = api.get("/history?range=forever");
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.field()).isEqualTo("range");
        assertThat(bad.message()).contains("1h, 6h, 24h, 7d, 90d");
        HttpResponse<String> charts = raw("/ui/fragments/history?range=6h");
        assertThat(charts.statusCode()).isEqualTo(200);
        assertThat(charts.body()).contains("id=\"history-meta\"");
        assertThat(anonymous("GET", "/history", null).statusCode()).as("the page, like every page").isEqualTo(200);
    }

    private static String next(BlockingQueue<String> lines, String wanted) throws InterruptedException {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (System.nanoTime() < deadline) {
            String l = lines.poll(100, TimeUnit.MILLISECONDS);
            if (wanted.equals(l)) return l;
        }
        throw new AssertionError("no '" + wanted + "' on the event stream within 5 s");
    }
}
