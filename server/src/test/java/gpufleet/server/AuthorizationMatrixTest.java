package gpufleet.server;

import gpufleet.protocol.ErrorCode;
import gpufleet.testkit.TestDatabases;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import tools.jackson.databind.JsonNode;

import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Who may do what, against a running controller: every route, called with every kind of token
 * (none, a made-up one, an expired one, a revoked one, admin, viewer, members of two teams, the
 * credentials of two hosts, a join token), on objects of one team and one host, so that each member
 * column and each agent column is once "own" and once "other".
 *
 * <p>Each cell is one real request. Where it is allowed it must succeed (2xx), which shows the
 * request was well-formed and the refusals elsewhere are the policy's, not a typo's. Where it is
 * refused, nothing stored may change, except that a 403 adds one line to the audit log naming the
 * caller. A last test checks that the matrix names every route the controller documents; the
 * dashboard's pages, fragments and the metrics, outside the API, have rows of their own.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ParameterizedClass(name = "{0}")
@EnumSource(TestDatabases.Kind.class)
class AuthorizationMatrixTest {
    /** The columns, in the order the expectations below list them. */
    static final List<String> PRINCIPALS = List.of("none", "made-up", "expired", "revoked", "admin", "viewer",
            "member(a)", "member(b)", "agent(host-a)", "agent(host-b)", "join");

    @Parameter
    TestDatabases.Kind kind;
    @TempDir
    static Path dir;
    TestDatabases.TestDb db;
    GpufleetServer server;
    Client admin;
    final Map<String, String> tokens = new LinkedHashMap<>();
    final Map<String, String> names = new LinkedHashMap<>();
    long jobOnA;
    final AtomicInteger fresh = new AtomicInteger();
    int cells;

    @BeforeParameterizedClassInvocation
    void start() throws Exception {
        cells = 0;
        Path data = dir.resolve(kind.name());
        db = TestDatabases.fresh(kind, data);
        // no agents heartbeat here: hosts must not be declared lost while the matrix runs
        server = GpufleetServer.start(db.open(), data, "127.0.0.1", 0, Duration.ofMillis(200), Duration.ofHours(1));
        admin = new Client(server.port(), data);
        admin.ok(admin.put("/teams/team-a", "{}"));
        admin.ok(admin.put("/teams/team-b", "{}"));
        tokens.put("none", null);
        tokens.put("made-up", "gft_abcdefghij_" + "A".repeat(43));
        tokens.put("expired", token("{\"name\":\"short-lived\",\"role\":\"admin\",\"ttlSeconds\":1}"));
        String revoked = token("{\"name\":\"former\",\"role\":\"admin\"}");
        tokens.put("revoked", revoked);
        tokens.put("admin", admin.adminToken);
        tokens.put("viewer", token("{\"name\":\"vic\",\"role\":\"viewer\"}"));
        tokens.put("member(a)", token("{\"name\":\"alice\",\"role\":\"member\",\"team\":\"team-a\"}"));
        tokens.put("member(b)", token("{\"name\":\"bob\",\"role\":\"member\",\"team\":\"team-b\"}"));
        admin.registerHost("host-a", 8, "r1", "z1");
        admin.registerHost("host-b", 8, "r1", "z1");
        admin.registerHost("host-c", 8, "r2", "z1");
        tokens.put("agent(host-a)", admin.credential("host-a"));
        tokens.put("agent(host-b)", admin.credential("host-b"));
        tokens.put("join", admin.joinToken);
        for (var e : tokens.entrySet())
            if (e.getValue() != null && !e.getKey().equals("made-up") && !e.getKey().equals("expired"))
                names.put(e.getKey(), admin.ok(admin.send(e.getValue(), request("GET", "/whoami", null))).get("name").stringValue());
        admin.ok(admin.post("/tokens/" + revoked.substring(4, 14) + "/revoke", ""));

        // host-c is drained while the jobs start, so the two big ones land on host-a and host-b
        admin.ok(admin.post("/hosts/host-c/drain", ""));
        long a = submit("team-a", 8, 8);
        long b = submit("team-b", 8, 8);
        JsonNode ja = admin.awaitState(a, "RUNNING");
        admin.awaitState(b, "RUNNING");
        jobOnA = ja.get("placement").get(0).get("host").stringValue().equals("host-a") ? a : b;
        admin.ok(admin.post("/hosts/host-c/resume", ""));
        // until the short-lived token's second is up on the controller's clock (10 s at most)
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (admin.send(tokens.get("expired"), request("GET", "/whoami", null)).status() != 401) {
            assertThat(System.nanoTime()).as("the 1 s token still accepted after 10 s").isLessThan(deadline);
            Thread.sleep(50); // poll interval
        }
    }

    @AfterParameterizedClassInvocation
    void stop() {
        System.out.println("authorization matrix on " + kind + ": " + cells + " cells");
        try {
            if (server != null) server.close();
        } finally {
            if (db != null) db.close();
        }
    }

    private String token(String body) {
        return admin.ok(admin.post("/tokens", body)).get("token").stringValue();
    }

    private long submit(String team, int gpus, int tp) {
        return admin.ok(admin.post("/jobs", "{\"name\":\"m\",\"team\":\"" + team + "\",\"gpus\":" + gpus + ",\"tp\":" + tp
                + ",\"command\":[\"true\"]}")).get("id").longValue();
    }

    private JsonNode host(String name) {
        for (JsonNode h : admin.ok(admin.get("/hosts"))) if (h.get("name").stringValue().equals(name)) return h;
        throw new AssertionError("no host " + name);
    }

    /** {@code ~/x} is {@code /x} at the server's root (the dashboard, /metrics); anything else is under /api/v1. */
    private URI uri(String path) {
        return URI.create(path.startsWith("~") ? "http://127.0.0.1:" + server.port() + path.substring(1) : admin.base() + path);
    }

    private HttpRequest.Builder request(String method, String path, String body) {
        return HttpRequest.newBuilder(uri(path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .header("Content-Type", "application/json");
    }

    /** A request made afresh for each cell (so that one cell's cancel or revoke leaves the next its own object). */
    record Req(String method, String path, String body) {}

    /**
     * One row: a route called on a stated object, and what each column gets: {@code Y} success (2xx),
     * or the refusal's status. {@code route} is the route as documented.
     */
    record Row(String route, String on, Supplier<Req> req, String expected) {
        List<String> cells() {
            List<String> out = List.of(expected.strip().split("\\s+"));
            if (out.size() != PRINCIPALS.size()) throw new IllegalStateException(route + ": " + out.size() + " cells");
            return out;
        }
    }

    // the columns:      none made-up expired revoked admin viewer member(a) member(b) agent(a) agent(b) join
    static final String PUBLIC = "Y    Y   Y   Y   Y   Y   Y   Y   Y   Y   Y";
    static final String ANY = "   401 401 401 401 Y   Y   Y   Y   Y   Y   Y";
    static final String READ = "  401 401 401 401 Y   Y   Y   Y   403 403 403";
    static final String TEAM_A = "401 401 401 401 Y   403 Y   403 403 403 403";
    static final String OWN = "   401 401 401 401 Y   403 Y   Y   403 403 403";
    static final String ADMIN = " 401 401 401 401 Y   403 403 403 403 403 403";
    static final String HOST_A = "401 401 401 401 403 403 403 403 Y   403 403";
    static final String JOIN = "  401 401 401 401 403 403 403 403 403 403 Y";
    static final String REJOIN = "401 401 401 401 403 403 403 403 Y   403 409";

    List<Row> rows() {
        return List.of(
                new Row("GET /healthz", "", () -> new Req("GET", "/healthz", null), PUBLIC),
                new Row("GET /openapi.json", "", () -> new Req("GET", "/openapi.json", null), READ),
                new Row("GET /whoami", "", () -> new Req("GET", "/whoami", null), ANY),
                new Row("GET /jobs", "", () -> new Req("GET", "/jobs", null), READ),
                new Row("GET /jobs/{id}", "a team-a job", () -> new Req("GET", "/jobs/" + jobOnA, null), READ),
                new Row("POST /jobs", "for team-a", () -> new Req("POST", "/jobs",
                        "{\"name\":\"x\",\"team\":\"team-a\",\"gpus\":1,\"command\":[\"true\"]}"), TEAM_A),
                new Row("POST /jobs", "no team: the caller's own", () -> new Req("POST", "/jobs",
                        "{\"name\":\"x\",\"gpus\":1,\"command\":[\"true\"]}"), OWN),
                new Row("POST /jobs/{id}/cancel", "a team-a job", () -> new Req("POST", "/jobs/" + submit("team-a", 1, 1)
                        + "/cancel", null), TEAM_A),
                new Row("GET /jobs/{id}/logs/{rank}", "a team-a job", () -> new Req("GET", "/jobs/" + jobOnA + "/logs/0", null),
                        TEAM_A),
                new Row("POST /jobs/{id}/logs/{rank}", "a run on host-a", () -> new Req("POST", "/jobs/" + jobOnA
                        + "/logs/0?generation=" + admin.job(jobOnA).get("generation").longValue(), "line\n"), HOST_A),
                new Row("POST /hosts/register", "a new host", () -> new Req("POST", "/hosts/register",
                        "{\"name\":\"new-" + fresh.incrementAndGet() + "\",\"gpus\":1,\"rack\":\"r9\",\"zone\":\"z1\"}"), JOIN),
                new Row("POST /hosts/{id}/heartbeat", "host-a", () -> {
                    JsonNode h = host("host-a");
                    return new Req("POST", "/hosts/" + h.get("id").longValue() + "/heartbeat",
                            "{\"generation\":" + h.get("generation").longValue() + "}");
                }, HOST_A),
                new Row("GET /hosts/{id}/assignments", "host-a", () -> {
                    JsonNode h = host("host-a");
                    return new Req("GET", "/hosts/" + h.get("id").longValue() + "/assignments?waitMs=0&generation="
                            + h.get("generation").longValue(), null);
                }, HOST_A),
                new Row("GET /hosts", "", () -> new Req("GET", "/hosts", null), READ),
                new Row("POST /hosts/{name}/drain", "host-c", () -> new Req("POST", "/hosts/host-c/drain", null), ADMIN),
                new Row("POST /hosts/{name}/resume", "host-c", () -> new Req("POST", "/hosts/host-c/resume", null), ADMIN),
                new Row("GET /teams", "", () -> new Req("GET", "/teams", null), READ),
                new Row("PUT /teams/{name}", "a new team", () -> new Req("PUT", "/teams/t" + fresh.incrementAndGet(),
                        "{\"quotaGpus\":8}"), ADMIN),
                new Row("GET /tokens", "", () -> new Req("GET", "/tokens", null), ADMIN),
                new Row("POST /tokens", "a viewer token", () -> new Req("POST", "/tokens",
                        "{\"name\":\"v" + fresh.incrementAndGet() + "\",\"role\":\"viewer\"}"), ADMIN),
                new Row("POST /tokens/{id}/revoke", "another viewer's token", () -> new Req("POST", "/tokens/"
                        + token("{\"name\":\"doomed\",\"role\":\"viewer\"}").substring(4, 14) + "/revoke", null), ADMIN),
                new Row("GET /audit", "", () -> new Req("GET", "/audit", null), ADMIN),
                new Row("GET /fleet", "", () -> new Req("GET", "/fleet", null), READ),
                new Row("GET /usage", "", () -> new Req("GET", "/usage", null), READ),
                new Row("GET /history", "", () -> new Req("GET", "/history?range=1h", null), READ),
                new Row("GET /queue/forecast", "", () -> new Req("GET", "/queue/forecast", null), READ),
                new Row("GET /events", "", () -> new Req("GET", "/events", null), READ),
                new Row("GET /jobs/{id}/actions", "a team-a job", () -> new Req("GET", "/jobs/" + jobOnA + "/actions", null), READ),
                new Row("GET /hosts/{name}/actions", "host-c", () -> new Req("GET", "/hosts/host-c/actions", null), READ),
                new Row("GET /hosts/{name}/gpus", "host-c", () -> new Req("GET", "/hosts/host-c/gpus", null), READ),
                new Row("POST /session", "signing in with the admin token", () -> new Req("POST", "/session",
                        "{\"token\":\"" + admin.adminToken + "\"}"), PUBLIC),
                new Row("DELETE /session", "", () -> new Req("DELETE", "/session", null), PUBLIC),
                // outside the API: the dashboard's pages and code, its drawn fragments, the metrics
                new Row("GET ~/", "a dashboard page", () -> new Req("GET", "~/jobs/1", null), PUBLIC),
                new Row("GET ~/ui/dashboard.js", "", () -> new Req("GET", "~/ui/dashboard.js", null), PUBLIC),
                new Row("GET ~/ui/fragments/usage", "", () -> new Req("GET", "~/ui/fragments/usage", null), READ),
                new Row("GET ~/ui/csrf", "", () -> new Req("GET", "~/ui/csrf", null), READ),
                new Row("GET ~/ui/fragments/history", "", () -> new Req("GET", "~/ui/fragments/history?range=6h", null), READ),
                new Row("GET ~/ui/fragments/jobs/{id}/timeline", "a team-a job", () -> new Req("GET",
                        "~/ui/fragments/jobs/" + jobOnA + "/timeline", null), READ),
                new Row("GET ~/metrics", "", () -> new Req("GET", "~/metrics", null), READ),
                // last: re-registering host-a restarts the job running there
                new Row("POST /hosts/register", "host-a again", () -> new Req("POST", "/hosts/register",
                        "{\"name\":\"host-a\",\"gpus\":8,\"rack\":\"r1\",\"zone\":\"z1\"}"), REJOIN));
    }

    @TestFactory
    List<DynamicTest> everyRouteWithEveryKindOfToken() {
        List<DynamicTest> out = new ArrayList<>();
        for (Row row : rows()) {
            List<String> expected = row.cells();
            for (int i = 0; i < PRINCIPALS.size(); i++) {
                String who = PRINCIPALS.get(i);
                String want = expected.get(i);
                out.add(DynamicTest.dynamicTest(row.route() + (row.on().isEmpty() ? "" : " [" + row.on() + "]") + " as "
                        + who + " -> " + want, () -> cell(row, who, want)));
            }
        }
        return out;
    }

    private void cell(Row row, String who, String want) {
        Req q = row.req().get();
        server.controller().cycle(); // whatever the preparation started is decided before the state is read
        String before = db.dumpTables();
        Client.Response r = q.path().equals("/events") ? stream(tokens.get(who), q.path())
                : admin.send(tokens.get(who), request(q.method(), q.path(), q.body()));
        cells++;
        String what = q.method() + " " + q.path() + " as " + who + ": " + r.status() + " " + r.body();
        assertThat(r.status()).as(what).isLessThan(500);
        if (want.equals("Y")) {
            assertThat(r.status() / 100).as(what).isEqualTo(2);
            return;
        }
        assertThat(r.status()).as(what).isEqualTo(Integer.parseInt(want));
        assertThat(r.message()).as(what).isNotBlank().doesNotContain("Exception");
        assertThat(ErrorCode.fromWire(r.code())).as(what).isNotNull()
                .extracting(ErrorCode::status).as(what + ": the code's status").isEqualTo(r.status());
        String after = db.dumpTables();
        assertThat(withoutAudit(after)).as("a refused request changes nothing: " + what).isEqualTo(withoutAudit(before));
        List<String> added = new ArrayList<>(audit(after));
        added.removeAll(audit(before));
        if (r.status() == 403) {
            assertThat(added).as("a 403 is audited: " + what).singleElement().asString()
                    .contains(names.get(who)).contains(q.method() + " " + (q.path().startsWith("~") ? q.path().substring(1)
                            : "/api/v1" + q.path()).replaceAll("\\?.*", ""))
                    .endsWith("| 403");
        } else {
            assertThat(added).as("only permission refusals are audited: " + what).isEmpty();
        }
    }

    /** An event stream answers its status and then streams for good: read the status, then hang up. */
    private Client.Response stream(String token, String path) {
        try {
            HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).timeout(java.time.Duration.ofSeconds(10));
            if (token != null) b.header("Authorization", "Bearer " + token);
            var r = java.net.http.HttpClient.newHttpClient().send(b.build(), java.net.http.HttpResponse.BodyHandlers.ofInputStream());
            try (var in = r.body()) {
                String body = r.statusCode() == 200 ? "" : new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
                return new Client.Response(r.statusCode(), body);
            }
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static final Pattern AUDIT = Pattern.compile("(?s)== audit_log \\([^)]*\\)\n(.*?)(?=\n== |\\z)");

    private static String withoutAudit(String dump) {
        return AUDIT.matcher(dump).replaceAll("== audit_log\n");
    }

    private static List<String> audit(String dump) {
        Matcher m = AUDIT.matcher(dump);
        return m.find() ? List.of(m.group(1).split("\n")) : List.of();
    }

    @Test
    void theMatrixCoversEveryDocumentedRoute() {
        JsonNode doc = admin.ok(admin.get("/openapi.json"));
        Set<String> documented = new HashSet<>();
        for (String path : doc.get("paths").propertyNames())
            for (String method : doc.get("paths").get(path).propertyNames())
                documented.add(method.toUpperCase(Locale.ROOT) + " " + path);
        Set<String> covered = new HashSet<>();
        for (Row r : rows()) if (!r.route().contains(" ~/")) covered.add(r.route());
        assertThat(covered).isEqualTo(documented);
    }
}
