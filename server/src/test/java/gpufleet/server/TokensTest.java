package gpufleet.server;

import gpufleet.server.auth.Tokens;
import gpufleet.testkit.TestDatabases;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Tokens from the first admin one on: made, shown once, stored hashed, listed, expired, revoked, audited. */
class TokensTest {
    @TempDir
    Path dir;
    TestDatabases.TestDb db;
    GpufleetServer server;

    private Client start() {
        if (db == null) db = TestDatabases.fresh(TestDatabases.Kind.SQLITE, dir);
        server = GpufleetServer.start(db.open(), dir, "127.0.0.1", 0, Duration.ofMillis(200));
        return new Client(server.port(), dir);
    }

    @AfterEach
    void stop() {
        try {
            if (server != null) server.close();
        } finally {
            if (db != null) db.close();
        }
    }

    private static Client.Response as(Client c, String token, String method, String path, String body) {
        return c.send(token, HttpRequest.newBuilder(URI.create(c.base() + path)).header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body)));
    }

    @Test
    void theFirstStartWritesAnAdminTokenOnlyItsUserCanReadAndStoresOnlyItsHash() throws Exception {
        Client c = start();
        Path file = dir.resolve(Tokens.ADMIN_TOKEN_FILE);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        String token = Files.readString(file).strip();
        assertThat(token).matches("gft_[a-z0-9]{10}_[A-Za-z0-9_-]{43}");
        assertThat(server.newAdminTokenFile()).contains(file);
        String dump = db.dumpTables();
        assertThat(dump).doesNotContain(token.substring(15)).contains(token.substring(4, 14));
        JsonNode me = c.ok(as(c, token, "GET", "/whoami", null));
        assertThat(me.get("role").stringValue()).isEqualTo("ADMIN");
        assertThat(me.get("name").stringValue()).isEqualTo("admin");

        // a restart keeps the token and writes no new one
        server.close();
        Files.setLastModifiedTime(file, java.nio.file.attribute.FileTime.fromMillis(0));
        c = start();
        assertThat(server.newAdminTokenFile()).isEmpty();
        assertThat(Files.getLastModifiedTime(file).toMillis()).isZero();
        assertThat(c.ok(as(c, token, "GET", "/whoami", null)).get("tokenId").stringValue()).isEqualTo(token.substring(4, 14));
    }

    @Test
    void aTokenIsShownOnceListedWithoutItsSecretAndRefusedOnceRevokedOrExpired() throws Exception {
        Client c = start();
        var made = c.post("/tokens", "{\"name\":\"alice\",\"role\":\"member\",\"team\":\"default\",\"ttlSeconds\":3600}");
        assertThat(made.status()).isEqualTo(201);
        JsonNode t = made.json();
        String alice = t.get("token").stringValue();
        assertThat(t.get("role").stringValue()).isEqualTo("MEMBER");
        assertThat(t.get("expiresAt").doubleValue() - t.get("createdAt").doubleValue()).isEqualTo(3600.0);

        JsonNode list = c.ok(c.get("/tokens"));
        assertThat(list.toString()).contains(t.get("id").stringValue()).contains("alice")
                .doesNotContain(alice.substring(15)).doesNotContain("\"token\"").doesNotContain("hash");
        assertThat(list.findValuesAsString("state")).containsOnly("active");

        assertThat(as(c, alice, "GET", "/jobs", null).status()).isEqualTo(200);
        assertThat(c.ok(c.post("/tokens/" + t.get("id").stringValue() + "/revoke", "")).get("state").stringValue())
                .isEqualTo("revoked");
        var refused = as(c, alice, "GET", "/jobs", null);
        assertThat(refused.status()).isEqualTo(401);
        assertThat(refused.message()).contains("revoked");
        assertThat(refused.code()).isEqualTo("unauthenticated");

        String brief = c.ok(c.post("/tokens", "{\"name\":\"brief\",\"role\":\"viewer\",\"ttlSeconds\":1}")).get("token").stringValue();
        assertThat(as(c, brief, "GET", "/jobs", null).status()).isEqualTo(200);
        // the token's one second runs on the controller's clock: wait for it to refuse, with a deadline
        long deadline = System.nanoTime() + 10_000_000_000L;
        var late = as(c, brief, "GET", "/jobs", null);
        while (late.status() == 200 && System.nanoTime() < deadline) {
            Thread.sleep(50); // poll interval
            late = as(c, brief, "GET", "/jobs", null);
        }
        assertThat(late.status()).isEqualTo(401);
        assertThat(late.message()).contains("expired");
        assertThat(c.ok(c.get("/tokens")).findValuesAsString("state")).contains("expired", "revoked", "active");
    }

    @Test
    void badTokenRequestsAreRefusedAndTheLastAdminTokenCannotBeRevoked() {
        Client c = start();
        String before = db.dumpTables();
        record Bad(String body, String field) {}
        for (Bad b : List.of(new Bad("{\"name\":\"x\",\"role\":\"member\"}", "team"),
                new Bad("{\"name\":\"x\",\"role\":\"member\",\"team\":\"nope\"}", "team"),
                new Bad("{\"name\":\"x\",\"role\":\"viewer\",\"team\":\"default\"}", "team"),
                new Bad("{\"name\":\"x\",\"role\":\"root\"}", "role"),
                new Bad("{\"name\":\"x\",\"role\":\"admin\",\"ttlSeconds\":0}", "ttlSeconds"),
                new Bad("{\"name\":\"x\",\"role\":\"admin\",\"ttlSeconds\":1e20}", "ttlSeconds"),
                new Bad("{\"role\":\"admin\"}", "name"),
                new Bad("{\"name\":\"x\",\"role\":\"admin\",\"secret\":\"mine\"}", "secret"))) {
            var r = c.post("/tokens", b.body());
            assertThat(r.status()).as(b.body()).isEqualTo(400);
            assertThat(r.field()).as(b.body()).isEqualTo(b.field());
        }
        String adminId = c.adminToken.substring(4, 14);
        var last = c.post("/tokens/" + adminId + "/revoke", "");
        assertThat(last.status()).isEqualTo(409);
        assertThat(last.message()).contains("last usable admin token");
        assertThat(last.code()).isEqualTo("last_admin");
        assertThat(c.post("/tokens/nosuchtoken/revoke", "").status()).isEqualTo(404);
        assertThat(db.dumpTables()).isEqualTo(before);

        // with a second admin token the first may go
        String second = c.ok(c.post("/tokens", "{\"name\":\"ops\",\"role\":\"admin\"}")).get("token").stringValue();
        assertThat(as(c, second, "POST", "/tokens/" + adminId + "/revoke", null).status()).isEqualTo(200);
        assertThat(as(c, c.adminToken, "GET", "/whoami", null).status()).isEqualTo(401);
    }

    @Test
    void theAuditLogSaysWhoDidWhatWhenAndFromWhereAndNeverHoldsASecret() {
        Client c = start();
        double t0 = System.currentTimeMillis() / 1000.0 - 1;
        String bob = c.ok(c.post("/tokens", "{\"name\":\"bob\",\"role\":\"member\",\"team\":\"default\"}")).get("token").stringValue();
        c.registerHost("node-a", 8, "r1", "z1");
        var job = as(c, bob, "POST", "/jobs", "{\"name\":\"j\",\"gpus\":8,\"command\":[\"true\"]}");
        assertThat(job.status()).isEqualTo(201);
        long id = job.json().get("id").longValue();
        assertThat(as(c, bob, "POST", "/hosts/node-a/drain", "{}").status()).isEqualTo(403);
        assertThat(as(c, bob, "POST", "/jobs/" + id + "/cancel", null).status()).isEqualTo(200);
        c.ok(c.post("/hosts/node-a/heartbeat".replace("node-a", "1"), "{\"generation\":1}"));

        JsonNode log = c.ok(c.get("/audit?limit=50"));
        List<String> lines = new ArrayList<>();
        for (JsonNode e : log) {
            assertThat(e.get("address").stringValue()).isEqualTo("127.0.0.1");
            assertThat(e.get("time").doubleValue()).isGreaterThan(t0);
            lines.add(e.get("actor").stringValue() + " " + e.get("action").stringValue() + " " + e.get("target").stringValue()
                    + " " + e.get("status").intValue());
        }
        assertThat(lines).containsSubsequence(
                "admin POST /api/v1/tokens " + "token " + bob.substring(4, 14) + " (bob, member of team default) 201",
                "test agents POST /api/v1/hosts/register host node-a 200",
                "bob POST /api/v1/jobs job " + id + " (team default, 8 GPUs) 201",
                "bob POST /api/v1/hosts/node-a/drain  403",
                "bob POST /api/v1/jobs/" + id + "/cancel job " + id + " 200");
        assertThat(lines).noneMatch(l -> l.contains("heartbeat"));
        assertThat(log.toString()).doesNotContain(bob.substring(15)).doesNotContain(c.joinToken.substring(15));

        JsonNode bobs = c.ok(c.get("/audit?actor=bob"));
        assertThat(bobs.findValuesAsString("actor")).containsOnly("bob").hasSize(3);
        assertThat(c.ok(c.get("/audit?since=" + (System.currentTimeMillis() / 1000.0 + 60)))).isEmpty();
        assertThat(c.get("/audit?since=soon").status()).isEqualTo(400);
        assertThat(c.ok(c.get("/audit?limit=1"))).hasSize(1);
    }

    @Test
    void authenticationCanBeTurnedOffOnlyOnLoopbackAndThenNoTokensExist() throws Exception {
        db = TestDatabases.fresh(TestDatabases.Kind.SQLITE, dir);
        assertThatThrownBy(() -> GpufleetServer.start(db.open(), dir, "0.0.0.0", 0, Duration.ofMillis(200),
                Duration.ofSeconds(30), Security.defaults().withAuth(false)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("loopback");
        server = GpufleetServer.start(db.open(), dir, "127.0.0.1", 0, Duration.ofMillis(200), Duration.ofSeconds(30),
                Security.defaults().withAuth(false));
        Client open = new Client(server.port(), (String) null);
        assertThat(open.ok(open.get("/whoami")).get("authentication").booleanValue()).isFalse();
        assertThat(open.post("/tokens", "{\"name\":\"x\",\"role\":\"admin\"}").status()).isEqualTo(409);
        assertThat(dir.resolve(Tokens.ADMIN_TOKEN_FILE)).doesNotExist();
    }

    @Test
    void theControllerCommandRefusesUnsafeCombinationsAndSaysWhereTheAdminTokenIs() throws Exception {
        Process noAuthOnNetwork = serverMain("--bind", "0.0.0.0", "--no-auth");
        Process plainOnNetwork = serverMain("--bind", "0.0.0.0");
        Process halfTls = serverMain("--tls-cert", "/nonexistent.pem");
        for (Process p : List.of(noAuthOnNetwork, plainOnNetwork, halfTls)) {
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).isEqualTo(2);
        }
        assertThat(stderr(noAuthOnNetwork)).contains("--no-auth is allowed only on a loopback address");
        assertThat(stderr(plainOnNetwork)).contains("--tls-cert").contains("--allow-plaintext");
        assertThat(stderr(halfTls)).contains("--tls-cert and --tls-key go together");

        Process ok = serverMain("--port", "0");
        try {
            var out = new java.io.BufferedReader(new java.io.InputStreamReader(ok.getInputStream(), StandardCharsets.UTF_8));
            List<String> lines = new ArrayList<>();
            for (int i = 0; i < 3; i++) lines.add(out.readLine());
            assertThat(lines.get(1)).isEqualTo("admin token written to " + dir.resolve("data/admin-token").toAbsolutePath()
                    + " (readable by this user only); gpufleet commands on this machine find it there");
            assertThat(lines.get(2)).isEqualTo("TLS off: plain HTTP, on loopback only");
        } finally {
            ok.destroy();
            ok.waitFor(30, TimeUnit.SECONDS);
        }
    }

    private Process serverMain(String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                ServerMain.class.getName(), "--port", "0", "--data-dir", dir.resolve("data").toString()));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).start();
    }

    private static String stderr(Process p) throws IOException {
        return new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    }
}
