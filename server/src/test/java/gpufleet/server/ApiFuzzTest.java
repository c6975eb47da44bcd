package gpufleet.server;

import gpufleet.protocol.ErrorCode;
import gpufleet.testkit.TestDatabases;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Generated request bodies, mutated from valid ones ({@link JsonFuzz}), sent to every route that
 * takes a body, with the token that route wants, and generated path segments and query values sent
 * to the routes that read them. For every input: no 5xx, no stack trace or exception name in the
 * answer, an answer within the client's timeout (no hang), a JSON error body for every 4xx, and, when
 * the request is refused, every row of every table exactly as before.
 *
 * <p>The count of inputs per route is {@code -Dgpufleet.fuzz.inputs=N} (default 250 on SQLite, a
 * quarter of that on PostgreSQL); the seed is {@code -Dgpufleet.fuzz.seed}. The totals are printed.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ParameterizedClass(name = "{0}")
@EnumSource(TestDatabases.Kind.class)
class ApiFuzzTest {
    static final int INPUTS = Integer.getInteger("gpufleet.fuzz.inputs", 250);
    static final long SEED = Long.getLong("gpufleet.fuzz.seed", 20261130L);
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Pattern LEAK = Pattern.compile("(?s).*(\tat |Exception|Error:|tools\\.jackson|java\\.lang|"
            + "org\\.eclipse|gpufleet\\.server\\.).*");

    @Parameter
    TestDatabases.Kind kind;
    @TempDir
    static Path dir;
    TestDatabases.TestDb db;
    GpufleetServer server;
    Client admin;
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    long hostA, job;
    String member;
    final Map<String, int[]> tally = new TreeMap<>();

    @BeforeParameterizedClassInvocation
    void start() {
        tally.clear();
        Path data = dir.resolve(kind.name());
        db = TestDatabases.fresh(kind, data);
        server = GpufleetServer.start(db.open(), data, "127.0.0.1", 0, Duration.ofMillis(200), Duration.ofHours(1),
                Security.defaults().withRate(0, 0));
        admin = new Client(server.port(), data);
        hostA = admin.registerHost("host-a", 8, "r1", "z1");
        admin.registerHost("host-b", 8, "r1", "z1");
        admin.registerHost("host-c", 8, "r2", "z1");
        member = admin.ok(admin.post("/tokens", "{\"name\":\"m\",\"role\":\"member\",\"team\":\"default\"}")).get("token").stringValue();
        admin.ok(admin.post("/hosts/host-b/drain", ""));
        admin.ok(admin.post("/hosts/host-c/drain", ""));
        job = admin.submit("resident", 8, 8);
        admin.awaitState(job, "RUNNING");
        admin.ok(admin.post("/hosts/host-b/resume", ""));
    }

    @AfterParameterizedClassInvocation
    void stop() {
        int total = tally.values().stream().mapToInt(t -> t[0]).sum();
        StringBuilder sb = new StringBuilder("API fuzzing on " + kind + ": " + total + " inputs");
        tally.forEach((route, t) -> sb.append("\n  ").append(route).append(": ").append(t[0]).append(" inputs, ")
                .append(t[1]).append(" accepted, ").append(t[0] - t[1]).append(" refused"));
        System.out.println(sb);
        try {
            if (server != null) server.close();
        } finally {
            if (db != null) db.close();
        }
    }

    private int inputs() {
        return kind == TestDatabases.Kind.SQLITE ? INPUTS : Math.max(1, INPUTS / 4);
    }

    private JsonNode seed(String json) {
        return JSON.readTree(json);
    }

    /** Where a route's inputs go, with which token, and the valid body their mutations start from. */
    record Aim(String path, String token, JsonNode seed) {}

    /** One route with a body; {@code aim} is asked again every few inputs, as accepted ones move the state on. */
    record Target(String name, String method, String contentType, Supplier<Aim> aim) {}

    private List<Target> targets() {
        AtomicInteger names = new AtomicInteger();
        return List.of(
                new Target("POST /jobs (admin)", "POST", "application/json", () -> new Aim("/jobs", admin.adminToken,
                        seed("{\"name\":\"j\",\"team\":\"default\",\"gpus\":8,\"tp\":8,\"pp\":1,\"cp\":1,\"priority\":1,"
                                + "\"command\":[\"python\",\"train.py\",\"--lr\",\"3e-4\"],\"maxRestarts\":3,\"checkpointDir\":\"/ckpt/j\"}"))),
                new Target("POST /jobs (member)", "POST", "application/json", () -> new Aim("/jobs", member,
                        seed("{\"name\":\"j\",\"gpus\":2,\"command\":[\"true\"]}"))),
                new Target("POST /hosts/register", "POST", "application/json", () -> new Aim("/hosts/register", admin.joinToken,
                        seed("{\"name\":\"fz-" + names.incrementAndGet() + "\",\"gpus\":4,\"rack\":\"r3\",\"zone\":\"z1\","
                                + "\"address\":\"10.0.0.9\",\"gpuInfo\":[{\"index\":0,\"uuid\":\"GPU-1\",\"model\":\"H100\","
                                + "\"memoryMiB\":81559}]}"))),
                new Target("POST /hosts/{id}/heartbeat", "POST", "application/json", () -> {
                    JsonNode j = admin.job(job);
                    return new Aim("/hosts/" + hostA + "/heartbeat", admin.credential("host-a"),
                            seed("{\"generation\":" + host("host-a").get("generation").longValue() + ",\"tasks\":[{\"job\":"
                                    + job + ",\"generation\":" + j.get("generation").longValue() + ",\"exits\":[{\"rank\":0,"
                                    + "\"code\":0}],\"checkpointTime\":1.5}],\"gpus\":[{\"index\":0,\"healthy\":true,"
                                    + "\"xid\":79,\"detail\":\"fine\"}]}"));
                }),
                new Target("POST /hosts/{name}/drain", "POST", "application/json", () -> new Aim("/hosts/host-c/drain",
                        admin.adminToken, seed("{\"reason\":\"XID 79 on GPU 3\"}"))),
                new Target("PUT /teams/{name}", "PUT", "application/json", () -> new Aim("/teams/fuzzed", admin.adminToken,
                        seed("{\"quotaGpus\":64}"))),
                new Target("POST /session", "POST", "application/json", () -> new Aim("/session", null,
                        seed("{\"token\":\"" + member + "\"}"))),
                new Target("POST /tokens", "POST", "application/json", () -> new Aim("/tokens", admin.adminToken,
                        seed("{\"name\":\"x\",\"role\":\"member\",\"team\":\"default\",\"ttlSeconds\":3600}"))),
                new Target("POST /jobs/{id}/logs/{rank}", "POST", "text/plain", () -> {
                    JsonNode j = admin.job(job);
                    if (!j.get("state").stringValue().equals("RUNNING") || admin.credential(host(j).orElseThrow()) == null) {
                        // the heartbeat inputs may have failed it (exit codes) and drained its host (GPU errors); an
                        // 8-GPU job lands on one of the hosts this test registered, not on a fuzzed 4-GPU one
                        for (String h : List.of("host-a", "host-b", "host-c")) admin.ok(admin.post("/hosts/" + h + "/resume", ""));
                        job = admin.submit("logger", 8, 8, 1000); // the fuzzed jobs hold the GPUs: preempt them
                        j = admin.awaitState(job, "RUNNING");
                    }
                    return new Aim("/jobs/" + job + "/logs/0?generation=" + j.get("generation").longValue(),
                            admin.credential(host(j).orElse("host-a")), seed("{\"line\":\"step 1 loss 2.3\"}"));
                }));
    }

    private JsonNode host(String name) {
        for (JsonNode h : admin.ok(admin.get("/hosts"))) if (h.get("name").stringValue().equals(name)) return h;
        throw new AssertionError("no host " + name);
    }

    private static java.util.Optional<String> host(JsonNode job) {
        JsonNode p = job.get("placement");
        return p.isEmpty() ? java.util.Optional.empty() : java.util.Optional.of(p.get(0).get("host").stringValue());
    }

    @Test
    void mutatedBodiesNeverBreakTheControllerOrChangeStateWhenRefused() {
        JsonFuzz fuzz = new JsonFuzz(SEED ^ kind.ordinal());
        for (Target t : targets()) {
            int[] count = tally.computeIfAbsent(t.name(), k -> new int[2]);
            Aim aim = t.aim().get();
            for (int i = 0; i < inputs(); i++) {
                if (i % 25 == 24) aim = t.aim().get();
                byte[] body = fuzz.mutate(aim.seed());
                String path = aim.path();
                server.controller().cycle(); // what an accepted input set going is settled before the state is read
                String before = db.dumpTables();
                HttpResponse<String> r = send(t.method(), path, aim.token(), t.contentType(), body);
                count[0]++;
                check(t.name(), body, r);
                if (r.statusCode() / 100 == 2) {
                    count[1]++;
                } else {
                    assertThat(withoutAudit(db.dumpTables())).as("%s refused %s with %d but changed state",
                            t.name(), show(body), r.statusCode()).isEqualTo(withoutAudit(before));
                }
            }
        }
    }

    @Test
    void generatedPathSegmentsAndQueryValuesNeverBreakTheController() {
        JsonFuzz fuzz = new JsonFuzz(SEED * 31 + kind.ordinal());
        String cred = admin.credential("host-a");
        Map<String, Supplier<String>> routes = new LinkedHashMap<>();
        routes.put("GET /jobs?state&team", () -> "/jobs?state=" + q(fuzz.segment()) + "&team=" + q(fuzz.segment()));
        routes.put("GET /jobs/{id}", () -> "/jobs/" + q(fuzz.segment()));
        routes.put("GET /jobs/{id}/logs/{rank}?offset", () -> "/jobs/" + (fuzz.nextInt(2) == 0 ? job : q(fuzz.segment()))
                + "/logs/" + q(fuzz.segment()) + "?offset=" + q(fuzz.segment()));
        routes.put("POST /jobs/{id}/cancel", () -> "/jobs/" + q(fuzz.segment()) + "/cancel");
        routes.put("GET /hosts/{id}/assignments", () -> "/hosts/" + (fuzz.nextInt(2) == 0 ? hostA : q(fuzz.segment()))
                + "/assignments?waitMs=0&generation=" + q(fuzz.segment()) + "&version=" + q(fuzz.segment()));
        routes.put("POST /hosts/{name}/resume", () -> "/hosts/" + q(fuzz.segment()) + "/resume");
        routes.put("POST /tokens/{id}/revoke", () -> "/tokens/" + q(fuzz.segment()) + "/revoke");
        routes.put("GET /audit?since&actor&limit", () -> "/audit?since=" + q(fuzz.segment()) + "&actor=" + q(fuzz.segment())
                + "&limit=" + q(fuzz.segment()));
        for (var e : routes.entrySet()) {
            int[] count = tally.computeIfAbsent(e.getKey(), k -> new int[2]);
            String method = e.getKey().substring(0, e.getKey().indexOf(' '));
            String token = e.getKey().contains("assignments") ? cred : admin.adminToken;
            for (int i = 0; i < inputs() / 2; i++) {
                String path = e.getValue().get();
                server.controller().cycle();
                String before = method.equals("GET") ? null : db.dumpTables();
                HttpResponse<String> r = send(method, path, token, "application/json", new byte[0]);
                count[0]++;
                check(e.getKey() + " " + path, new byte[0], r);
                if (r.statusCode() / 100 == 2) count[1]++;
                else if (before != null)
                    assertThat(withoutAudit(db.dumpTables())).as("%s refused with %d but changed state", path, r.statusCode())
                            .isEqualTo(withoutAudit(before));
            }
        }
    }

    private static String q(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private HttpResponse<String> send(String method, String path, String token, String contentType, byte[] body) {
        try {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(admin.base() + path)).timeout(Duration.ofSeconds(15))
                    .header("Content-Type", contentType)
                    .method(method, HttpRequest.BodyPublishers.ofByteArray(body));
            if (token != null) b.header("Authorization", "Bearer " + token);
            return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
            throw new AssertionError(method + " " + path + " with " + show(body) + ": no answer (" + e + ")", e);
        }
    }

    private static void check(String what, byte[] body, HttpResponse<String> r) {
        String ctx = what + " with " + show(body) + " -> " + r.statusCode() + " " + abbreviate(r.body());
        assertThat(r.statusCode()).as(ctx).isBetween(200, 499);
        assertThat(LEAK.matcher(r.body()).matches()).as("internals in the answer: " + ctx).isFalse();
        if (r.statusCode() >= 400) {
            JsonNode e;
            try {
                e = JSON.readTree(r.body());
            } catch (RuntimeException notJson) {
                throw new AssertionError("the refusal is not JSON: " + ctx, notJson);
            }
            JsonNode err = e.get("error");
            assertThat(err != null && err.isObject()).as(ctx).isTrue();
            assertThat(ErrorCode.fromWire(err.path("code").stringValue())).as("a known code: " + ctx).isNotNull();
            assertThat(err.path("message").isString()).as(ctx).isTrue();
        }
    }

    private static String withoutAudit(String dump) {
        return dump.replaceAll("(?s)== audit_log \\([^)]*\\)\n.*?(?=\n== |\\z)", "");
    }

    private static String show(byte[] body) {
        return abbreviate(new String(body, StandardCharsets.UTF_8));
    }

    private static String abbreviate(String s) {
        return s.length() > 300 ? s.substring(0, 300) + "...(" + s.length() + " chars)" : s;
    }
}
