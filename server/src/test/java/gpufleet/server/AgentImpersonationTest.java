package gpufleet.server;

import gpufleet.testkit.TestDatabases;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Only a host's own credential acts for it: nobody else can register it, heartbeat for it, report its
 * ranks' exit codes or ship its logs, and once an admin revokes the credential the host is fenced at
 * once. Every refusal leaves the stored state as it was (the audit log aside).
 */
class AgentImpersonationTest {
    @TempDir
    Path dir;
    TestDatabases.TestDb db;
    GpufleetServer server;
    Client admin;
    long hostA, hostB, job;
    String credA, credB, member, viewer;

    @BeforeEach
    void start() {
        db = TestDatabases.fresh(TestDatabases.Kind.SQLITE, dir);
        server = GpufleetServer.start(db.open(), dir, "127.0.0.1", 0, Duration.ofMillis(100), Duration.ofHours(1));
        admin = new Client(server.port(), dir);
        hostA = admin.registerHost("host-a", 8, "r1", "z1");
        hostB = admin.registerHost("host-b", 8, "r1", "z1");
        credA = admin.credential("host-a");
        credB = admin.credential("host-b");
        member = admin.ok(admin.post("/tokens", "{\"name\":\"m\",\"role\":\"member\",\"team\":\"default\"}")).get("token").stringValue();
        viewer = admin.ok(admin.post("/tokens", "{\"name\":\"v\",\"role\":\"viewer\"}")).get("token").stringValue();
        admin.ok(admin.post("/hosts/host-b/drain", ""));
        job = admin.submit("j", 8, 8);
        assertThat(admin.awaitState(job, "RUNNING").get("placement").get(0).get("host").stringValue()).isEqualTo("host-a");
        admin.ok(admin.post("/hosts/host-b/resume", ""));
    }

    @AfterEach
    void stop() {
        try {
            if (server != null) server.close();
        } finally {
            if (db != null) db.close();
        }
    }

    private Client.Response call(String token, String method, String path, String body) {
        return admin.send(token, HttpRequest.newBuilder(URI.create(admin.base() + path))
                .header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body)));
    }

    private String stateWithoutAudit() {
        server.controller().cycle();
        return db.dumpTables().replaceAll("(?s)== audit_log \\([^)]*\\)\n.*?(?=\n== |\\z)", "");
    }

    private String exit(long hostId, int code) {
        long g = admin.job(job).get("generation").longValue();
        long hg = host(hostId).get("generation").longValue();
        return "{\"generation\":" + hg + ",\"tasks\":[{\"job\":" + job + ",\"generation\":" + g
                + ",\"exits\":[{\"rank\":0,\"code\":" + code + "}]}]}";
    }

    private JsonNode host(long id) {
        for (JsonNode h : admin.ok(admin.get("/hosts"))) if (h.get("id").longValue() == id) return h;
        throw new AssertionError("no host " + id);
    }

    @Test
    void noOneButTheHostsOwnCredentialCanRegisterItHeartbeatForItOrReportItsExits() {
        String before = stateWithoutAudit();
        String reg = "{\"name\":\"host-a\",\"gpus\":8,\"rack\":\"r1\",\"zone\":\"z1\"}";
        Map<String, String> others = new LinkedHashMap<>();
        others.put("no token", null);
        others.put("a made-up token", "gft_0123456789_" + "x".repeat(43));
        others.put("a garbled header", "not-a-token");
        others.put("the admin token", admin.adminToken);
        others.put("a member token", member);
        others.put("a viewer token", viewer);
        others.put("host-b's credential", credB);
        for (var e : others.entrySet()) {
            String who = e.getKey();
            int r = call(e.getValue(), "POST", "/hosts/register", reg).status();
            assertThat(r).as("register host-a with " + who).isIn(401, 403);
            int hb = call(e.getValue(), "POST", "/hosts/" + hostA + "/heartbeat", exit(hostA, 1)).status();
            assertThat(hb).as("heartbeat for host-a with " + who).isIn(401, 403);
            int poll = call(e.getValue(), "GET", "/hosts/" + hostA + "/assignments?waitMs=0&generation=1", null).status();
            assertThat(poll).as("assignments of host-a with " + who).isIn(401, 403);
            int log = call(e.getValue(), "POST", "/jobs/" + job + "/logs/0?generation=" + admin.job(job).get("generation"),
                    "forged line\n").status();
            assertThat(log).as("log of host-a's job with " + who).isIn(401, 403);
        }
        // a join token makes credentials for new hosts only: host-a has one
        var join = call(admin.joinToken, "POST", "/hosts/register", reg);
        assertThat(join.status()).isEqualTo(409);
        assertThat(join.message()).contains("has joined already");
        assertThat(join.code()).isEqualTo("already_joined");
        // host-b speaking for itself may still not report a rank of host-a's job
        var sideways = call(credB, "POST", "/hosts/" + hostB + "/heartbeat", exit(hostB, 1));
        assertThat(sideways.status()).isEqualTo(200);

        assertThat(stateWithoutAudit()).as("nothing changed").isEqualTo(before);
        assertThat(admin.job(job).get("state").stringValue()).isEqualTo("RUNNING");
        assertThat(admin.get("/jobs/" + job + "/logs/0").body()).as("no forged line was written").isEmpty();
        assertThat(server.controller().gpuOwners()).containsOnlyKeys("host-a");

        // and the host's own credential is heard: its rank's failure restarts the job
        assertThat(call(credA, "POST", "/hosts/" + hostA + "/heartbeat", exit(hostA, 1)).status()).isEqualTo(200);
        JsonNode restarted = admin.job(job);
        assertThat(restarted.get("restarts").intValue()).isEqualTo(1);
        assertThat(restarted.get("events").toString()).contains("RANK_FAILED");
    }

    @Test
    void aRevokedCredentialFencesItsHostAtOnceAndTheHostCanJoinAgainOnlyWithAJoinToken() {
        String id = credA.substring(4, 14);
        JsonNode revoked = admin.ok(admin.post("/tokens/" + id + "/revoke", ""));
        assertThat(revoked.get("state").stringValue()).isEqualTo("revoked");
        assertThat(host(hostA).get("status").stringValue()).isEqualTo("DOWN");
        assertThat(host(hostA).get("statusReason").stringValue()).contains("credential " + id + " revoked");
        JsonNode j = admin.job(job);
        assertThat(j.get("state").stringValue()).isIn("RESTARTING", "RUNNING");
        assertThat(j.get("events").toString()).contains("HOST_LOST").contains("fenced");

        var hb = call(credA, "POST", "/hosts/" + hostA + "/heartbeat", "{\"generation\":1}");
        assertThat(hb.status()).isEqualTo(401);
        assertThat(hb.message()).contains("revoked");
        assertThat(hb.code()).isEqualTo("unauthenticated");
        assertThat(call(credA, "POST", "/hosts/register", "{\"name\":\"host-a\",\"gpus\":8}").status()).isEqualTo(401);
        // the job moved to host-b, the only host left
        assertThat(admin.awaitState(job, "RUNNING").get("placement").get(0).get("host").stringValue()).isEqualTo("host-b");

        var rejoin = call(admin.joinToken, "POST", "/hosts/register", "{\"name\":\"host-a\",\"gpus\":8,\"rack\":\"r1\",\"zone\":\"z1\"}");
        assertThat(rejoin.status()).isEqualTo(200);
        String fresh = rejoin.json().get("credential").stringValue();
        assertThat(fresh).isNotEqualTo(credA).startsWith("gft_");
        assertThat(rejoin.json().get("status").stringValue()).isEqualTo("UP");
        assertThat(call(fresh, "POST", "/hosts/" + hostA + "/heartbeat",
                "{\"generation\":" + rejoin.json().get("generation").longValue() + "}").status()).isEqualTo(200);
    }

    @Test
    void aHostShipsLogsOnlyForRunsItHeldIncludingOnesThatHaveEnded() {
        long gen = admin.job(job).get("generation").longValue();
        String path = "/jobs/" + job + "/logs/0?generation=" + gen;
        assertThat(call(credA, "POST", path, "from a\n").status()).isEqualTo(200);
        assertThat(call(credB, "POST", path, "from b\n").status()).isEqualTo(403);
        // a generation host-a never ran, even of its own job
        assertThat(call(credA, "POST", "/jobs/" + job + "/logs/0?generation=" + (gen - 1), "old\n").status()).isEqualTo(403);
        admin.ok(admin.post("/jobs/" + job + "/cancel", ""));
        assertThat(call(credA, "POST", path, "last words\n").status()).as("the tail of a stopped run").isEqualTo(200);
        var text = admin.send(admin.adminToken, HttpRequest.newBuilder(URI.create(admin.base() + "/jobs/" + job + "/logs/0")).GET());
        assertThat(text.body()).isEqualTo("from a\nlast words\n");
    }

    @Test
    void tokensOfOtherKindsCannotBeMadeIntoHostCredentials() {
        var r = admin.post("/tokens", "{\"name\":\"fake-host\",\"role\":\"agent\"}");
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.field()).isEqualTo("role");
        assertThat(r.code()).isEqualTo("invalid_field");
        // a credential's secret is never listed
        String listing = admin.ok(admin.get("/tokens")).toString();
        assertThat(listing).contains("host:host-a").doesNotContain(credA.substring(15)).doesNotContain("hash");
        assertThat(Arrays.stream(new String[] {credA, credB, admin.joinToken, member, viewer})
                .noneMatch(t -> db.dumpTables().contains(t.substring(15)))).as("no secret is stored").isTrue();
    }
}
