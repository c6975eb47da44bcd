package gpufleet.server;

import gpufleet.server.store.SqlStore;
import gpufleet.server.store.StoreException;
import gpufleet.server.store.TeamRecord;
import gpufleet.testkit.TestDatabases;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@code --db}: the ways of naming a PostgreSQL database, and what an operator sees when it is wrong. */
class DatabaseOptionTest {
    @TempDir
    Path dir;

    @Test
    void everyFormOfTheUrlReachesTheSameDatabase() {
        try (TestDatabases.TestDb db = TestDatabases.fresh(TestDatabases.Kind.POSTGRESQL, dir)) {
            String jdbc = db.jdbcUrl(); // jdbc:postgresql://127.0.0.1:PORT/NAME?user=...
            String plain = jdbc.substring("jdbc:".length());
            String libpqStyle = "postgres://" + plain.substring("postgresql://".length());
            int version;
            try (SqlStore s = SqlStore.open(jdbc, dir)) {
                s.putTeam("written-via-jdbc-url", 4);
                version = s.schemaVersion();
            }
            assertThat(version).isPositive();
            for (String spec : List.of(plain, libpqStyle))
                try (SqlStore s = SqlStore.open(spec, dir)) {
                    assertThat(s.schemaVersion()).as(spec).isEqualTo(version);
                    assertThat(s.teams()).as(spec).contains(new TeamRecord("written-via-jdbc-url", 4));
                }
            assertThat(dir.resolve("gpufleet.db")).as("no SQLite file when PostgreSQL is named").doesNotExist();
        }
    }

    @Test
    void anUnreachableServerIsNamedAndThePasswordIsNot() throws IOException {
        int port = closedPort();
        assertThatThrownBy(() -> SqlStore.open("postgresql://127.0.0.1:" + port + "/fleet?user=ops&password=hunter2", dir))
                .isInstanceOf(StoreException.class)
                .hasMessageContaining("127.0.0.1:" + port)
                .hasMessageContaining("refused")
                .message().doesNotContain("hunter2");
    }

    @Test
    void serverMainReportsABadDatabaseInOneLineAndExitsAndWaitsForAnUnreachableOne() throws Exception {
        int port = closedPort();
        Process malformed = serverMain("--db", "postgresql://db.example:5432?user=ops&password=hunter2");
        Process unreachable = serverMain("--db", "postgresql://127.0.0.1:" + port + "/fleet?user=ops&password=hunter2");
        try {
            assertThat(malformed.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(malformed.exitValue()).isEqualTo(2);
            assertThat(stderr(malformed)).singleElement().asString()
                    .startsWith("gpufleet server: bad database 'postgresql://db.example:5432?user=ops&password=***'")
                    .contains("no database name");

            // a database that is not up yet is waited for, in one line a try, with nothing secret in it
            var err = new java.io.BufferedReader(new java.io.InputStreamReader(unreachable.getErrorStream(), StandardCharsets.UTF_8));
            String first = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    return err.readLine();
                } catch (IOException e) {
                    return e.toString();
                }
            }).get(60, TimeUnit.SECONDS);
            assertThat(first).startsWith("gpufleet server: database unreachable: ").contains("refused")
                    .endsWith("; retrying in 1 s").doesNotContain("hunter2");
            assertThat(unreachable.isAlive()).as("still waiting for its database").isTrue();
        } finally {
            unreachable.destroyForcibly();
        }
    }

    private Process serverMain(String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "-cp", System.getProperty("java.class.path"), ServerMain.class.getName(), "--port", "0",
                "--data-dir", dir.resolve("unused").toString()));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    }

    private static List<String> stderr(Process p) throws IOException {
        return new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8).lines().toList();
    }

    /** A local port nothing listens on (a moment ago something did, so nothing else is likely to start). */
    private static int closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
