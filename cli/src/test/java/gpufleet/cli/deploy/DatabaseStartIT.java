package gpufleet.cli.deploy;

import gpufleet.testkit.TestDatabases;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A controller started (with the shipped launcher) while its PostgreSQL server cannot be reached waits
 * for it: it says "database unreachable: WHY; retrying", answers {@code /healthz} with 503 meanwhile, and
 * starts by itself once the database answers. The database "comes up" when this test starts forwarding
 * the controller's port to the test database: to the controller, a server that starts listening.
 */
class DatabaseStartIT {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final Pattern HOST_PORT = Pattern.compile("^(jdbc:postgresql://)([^/:?]+):(\\d+)(.*)$");

    @TempDir
    Path dir;
    private TestDatabases.TestDb db;
    private Process controller;
    private ServerSocket forwarder;

    @BeforeEach
    void database() {
        db = TestDatabases.fresh(TestDatabases.Kind.POSTGRESQL, dir);
    }

    @AfterEach
    void stop() throws IOException {
        if (controller != null) controller.destroyForcibly();
        if (forwarder != null) forwarder.close();
        if (db != null) db.close();
    }

    @Test
    void aControllerStartedBeforeItsDatabaseWaitsForItAndThenStarts() throws Exception {
        Matcher m = HOST_PORT.matcher(db.jdbcUrl());
        assertThat(m.matches()).as(db.jdbcUrl()).isTrue();
        int dbPort = freePort(), port = freePort();
        String spec = (m.group(1) + "127.0.0.1:" + dbPort + m.group(4)).replaceFirst("^jdbc:", "");
        Path log = dir.resolve("ctl.log");
        controller = Launcher.start(dir, Map.of(), log, "server", "--db", spec, "--data-dir", dir.resolve("ctl").toString(),
                "--port", Integer.toString(port));
        String url = "http://127.0.0.1:" + port + "/api/v1/healthz";

        await("the controller to say it waits", Duration.ofSeconds(60), () -> read(log),
                t -> t.contains("database unreachable: ") && t.contains("; retrying in "));
        JsonNode waiting = await("/healthz to answer 503", Duration.ofSeconds(30), () -> health(url),
                h -> h.path("code").intValue() == 503);
        assertThat(waiting.path("body").path("status").stringValue()).isEqualTo("database unreachable");
        assertThat(waiting.path("body").path("error").path("message").stringValue()).contains("database unreachable");
        assertThat(controller.isAlive()).isTrue();

        forwarder = forward(dbPort, m.group(2), Integer.parseInt(m.group(3)));
        JsonNode up = await("the controller to start once the database answers", Duration.ofSeconds(60), () -> health(url),
                h -> h.path("code").intValue() == 200);
        assertThat(up.path("body").path("status").stringValue()).isEqualTo("ok");
        assertThat(up.path("body").path("role").stringValue()).isEqualTo("leader");
        String out = read(log);
        assertThat(out).contains("database reachable; starting").contains("gpufleet controller on http://");
        assertThat(out).as("no stack trace").doesNotContain("\tat ").doesNotContain("Exception in thread");
    }

    @Test
    void aDatabaseThatDoesNotExistEndsTheStartAtOnce() {
        Matcher m = HOST_PORT.matcher(db.jdbcUrl());
        assertThat(m.matches()).as(db.jdbcUrl()).isTrue();
        // the server answers, and says no: waiting would not help
        String spec = (m.group(1) + m.group(2) + ":" + m.group(3) + "/no_such_database" + m.group(4).replaceFirst("^/[^?]*", ""))
                .replaceFirst("^jdbc:", "");
        Launcher.Result r = Launcher.run(dir, Map.of(), Duration.ofSeconds(60), "server", "--db", spec, "--data-dir",
                dir.resolve("ctl").toString(), "--port", "0");
        assertThat(r.code()).as(r.both()).isEqualTo(1);
        assertThat(r.err()).contains("gpufleet server: cannot open database").contains("no_such_database")
                .doesNotContain("retrying").doesNotContain("\tat ");
    }

    private static JsonNode health(String url) {
        try {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString());
            return JSON.createObjectNode().put("code", r.statusCode()).set("body", JSON.readTree(r.body()));
        } catch (IOException | RuntimeException e) {
            return JSON.createObjectNode().put("code", 0).put("error", e.toString());
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    private static String read(Path log) {
        try {
            return Files.exists(log) ? Files.readString(log) : "";
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** Accepts on {@code port} and pipes each connection to {@code host:to}, both ways. */
    private static ServerSocket forward(int port, String host, int to) throws IOException {
        ServerSocket s = new ServerSocket(port, 50, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().start(() -> {
            while (!s.isClosed()) {
                try {
                    Socket in = s.accept();
                    Socket out = new Socket(host, to);
                    Thread.ofVirtual().start(() -> pipe(in, out));
                    Thread.ofVirtual().start(() -> pipe(out, in));
                } catch (IOException closed) {
                    return;
                }
            }
        });
        return s;
    }

    private static void pipe(Socket from, Socket to) {
        try (InputStream i = from.getInputStream(); OutputStream o = to.getOutputStream()) {
            i.transferTo(o);
        } catch (IOException gone) {
            // one side hung up
        } finally {
            try {
                from.close();
                to.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }

    private <T> T await(String what, Duration limit, java.util.function.Supplier<T> value, Predicate<T> ok)
            throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        T v = value.get();
        while (!ok.test(v)) {
            if (System.nanoTime() > deadline)
                throw new AssertionError("timed out waiting for " + what + "; last: " + v + "\nlog:\n" + read(dir.resolve("ctl.log")));
            Thread.sleep(200);
            v = value.get();
        }
        return v;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
