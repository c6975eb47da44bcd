package gpufleet.server;

import gpufleet.server.store.SqlStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A controller on PostgreSQL outlives a restart of its database: while the database is stopped every
 * request is answered 503 {@code unavailable} with a message that names the database, and once it is
 * started again the controller serves and schedules as before, with nothing lost. The test owns the
 * PostgreSQL server (a cluster of its own in a temporary directory) so that it can stop and start it.
 */
class DatabaseOutageTest {
    private static final Path BIN = Path.of("/usr/lib/postgresql/15/bin");

    @TempDir
    Path dir;
    Path base;
    int port;
    GpufleetServer server;

    @BeforeEach
    void initCluster() throws Exception {
        if (!"root".equals(System.getProperty("user.name")))
            throw new AssertionError("this test runs PostgreSQL as the postgres user and must run as root; it ran as "
                    + System.getProperty("user.name"));
        if (!Files.isExecutable(BIN.resolve("initdb")) || !Files.isExecutable(BIN.resolve("pg_ctl")))
            throw new AssertionError("no PostgreSQL server binaries in " + BIN
                    + ": install them (Debian/Ubuntu: apt-get install -y postgresql)");
        base = Files.createTempDirectory("gpufleet-outage-pg");
        Files.setOwner(base, base.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("postgres"));
        asPostgres(BIN.resolve("initdb") + " -D " + base.resolve("data") + " -A trust -U app -N -E UTF8 --locale=C");
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        pgCtl("start");
    }

    @AfterEach
    void stopAll() throws Exception {
        if (server != null) server.close();
        if (base != null) {
            asPostgres(BIN.resolve("pg_ctl") + " -D " + base.resolve("data") + " -m immediate stop || true");
            asPostgres("rm -rf " + base);
        }
    }

    @Test
    void aRestartOfPostgresqlIsRidOutWithoutLosingAnything() throws Exception {
        var store = new SqlStore("jdbc:postgresql://127.0.0.1:" + port + "/postgres", "app", null);
        server = GpufleetServer.start(store, dir, "127.0.0.1", 0, Duration.ofMillis(100), Duration.ofSeconds(120));
        Client api = new Client(server.port(), dir);
        api.registerHost("node-a", 8, "r1", "z1");
        long before = api.submit("before", 4, 4);
        api.awaitState(before, "RUNNING");

        pgCtl("-m fast stop");

        // every kind of request is refused as "the database is away", quickly, and the process stays up
        Client.Response health = await("healthz to answer 503", () -> api.get("/healthz"), r -> r.status() == 503);
        assertUnavailable(health);
        for (Client.Response r : new Client.Response[] {api.get("/jobs/" + before), api.get("/hosts"),
                api.post("/jobs", "{\"name\":\"lost\",\"gpus\":1,\"command\":[\"true\"]}")}) {
            long began = System.nanoTime();
            assertUnavailable(r);
            assertThat(Duration.ofNanos(System.nanoTime() - began)).isLessThan(Duration.ofSeconds(5));
        }
        // several cycles of the scheduling loop run into the outage; none may stop the loop or the server
        Thread.sleep(1000);
        assertUnavailable(api.get("/healthz"));

        pgCtl("start");

        Client.Response back = await("healthz to answer 200 after PostgreSQL is back", () -> api.get("/healthz"),
                r -> r.status() == 200);
        assertThat(back.json().get("status").stringValue()).isEqualTo("ok");
        JsonNode job = api.job(before);
        assertThat(job.get("state").stringValue()).isEqualTo("RUNNING");
        assertThat(job.get("generation").longValue()).isEqualTo(1);
        assertThat(api.ok(api.get("/hosts")).findValuesAsString("name")).containsExactly("node-a");
        // the refused submission left nothing behind: the next id is the one after the first job
        long after = api.submit("after", 4, 4);
        assertThat(after).isEqualTo(before + 1);
        api.awaitState(after, "RUNNING");
        assertThat(server.controller().gpuOwners()).isEqualTo(ServerApiTest.storedOwners(api));
    }

    private static void assertUnavailable(Client.Response r) {
        assertThat(r.status()).as(r.body()).isEqualTo(503);
        JsonNode e = r.json().get("error");
        assertThat(e.get("code").stringValue()).isEqualTo("unavailable");
        assertThat(e.get("message").stringValue()).contains("database unreachable").contains("PostgreSQL at 127.0.0.1:")
                .doesNotContain("internal error");
    }

    private static Client.Response await(String what, java.util.function.Supplier<Client.Response> call,
                                         Predicate<Client.Response> done) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        Client.Response r = call.get();
        while (!done.test(r)) {
            if (System.nanoTime() > deadline)
                throw new AssertionError("waited 10 s for " + what + "; last answer " + r.status() + " " + r.body());
            Thread.sleep(50);
            r = call.get();
        }
        return r;
    }

    private void pgCtl(String action) throws IOException, InterruptedException {
        asPostgres(BIN.resolve("pg_ctl") + " -D " + base.resolve("data") + " -l " + base.resolve("server.log")
                + " -w -t 20 -o '-p " + port + " -k " + base + " -c listen_addresses=127.0.0.1 -c fsync=off' " + action);
    }

    private void asPostgres(String command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("su", "postgres", "-c", command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0)
            throw new AssertionError("'" + command + "' failed: " + out);
    }
}
