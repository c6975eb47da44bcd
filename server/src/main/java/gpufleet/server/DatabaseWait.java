package gpufleet.server;

import com.sun.net.httpserver.HttpServer;
import gpufleet.server.store.DatabaseSpec;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Optional;
import java.util.Properties;
import java.util.function.LongConsumer;

/**
 * A controller started while its PostgreSQL server cannot be reached waits for it rather than exiting:
 * data centres restart machines in any order, and a controller up before its database is the common case,
 * not an error. It tries a plain connection (no pool, whose failed start logs a stack trace), says
 * "database unreachable: WHY; retrying in N s", and tries again with a growing pause. A refusal that
 * waiting cannot mend (a wrong password, a database that does not exist) ends the wait at once.
 *
 * <p>Meanwhile, when it can, it answers on its port: {@code /api/v1/healthz} with {@code 503} and
 * {@code "status": "database unreachable"}, everything else with {@code 503} and {@code Retry-After}, so
 * that probes, agents and the CLI see why there is no controller yet rather than a refused connection.
 */
public final class DatabaseWait {
    /** The first pause between tries; it doubles up to {@link #MAX_PAUSE}. */
    static final Duration FIRST_PAUSE = Duration.ofSeconds(1);
    static final Duration MAX_PAUSE = Duration.ofSeconds(10);

    /** What a try found: empty when the database answered, else why not and whether waiting may help. */
    record Refusal(String why, boolean waitable) {}

    private final DatabaseSpec db;
    private final PrintStream out;
    private final LongConsumer sleep;
    /** Why the last try failed, as the stand-in server says it. */
    private volatile String why = "";

    DatabaseWait(DatabaseSpec db, PrintStream out, LongConsumer sleepMillis) {
        this.db = db;
        this.out = out;
        this.sleep = sleepMillis;
    }

    /**
     * Returns once the database answers, or the refusal that waiting cannot mend. {@code host}/{@code port}:
     * where to answer meanwhile ({@code port} 0 or {@code tls}: nowhere, since the real server's port or
     * scheme could not be kept).
     */
    Optional<Refusal> await(String host, int port, boolean tls) {
        Optional<Refusal> first = attempt();
        if (first.isEmpty() || !first.get().waitable()) return first;
        why = first.get().why();
        HttpServer standIn = port == 0 || tls ? null : standIn(host, port);
        try {
            long pause = FIRST_PAUSE.toMillis();
            Optional<Refusal> r = first;
            while (r.isPresent() && r.get().waitable()) {
                why = r.get().why();
                out.println("gpufleet server: database unreachable: " + r.get().why() + "; retrying in "
                        + pause / 1000 + " s");
                out.flush();
                sleep.accept(pause);
                pause = Math.min(pause * 2, MAX_PAUSE.toMillis());
                r = attempt();
            }
            if (r.isEmpty()) out.println("gpufleet server: database reachable; starting");
            return r;
        } finally {
            if (standIn != null) standIn.stop(0);
        }
    }

    /** One try at a connection. */
    Optional<Refusal> attempt() {
        Properties p = new Properties();
        if (db.user() != null) p.setProperty("user", db.user());
        if (db.password() != null) p.setProperty("password", db.password());
        // whatever the URL says, a try must end soon: the pause between tries is the wait
        p.setProperty("connectTimeout", "5");
        p.setProperty("socketTimeout", "10");
        try (Connection c = DriverManager.getConnection(db.jdbcUrl(), p)) {
            return Optional.empty();
        } catch (SQLException e) {
            return Optional.of(new Refusal(message(e), transientState(e.getSQLState())));
        }
    }

    /**
     * Whether waiting may mend a refusal with this SQLSTATE: no connection (class 08), the server starting
     * or shutting down (57P), too many connections (53300). Not a bad login (28) or a missing database (3D).
     */
    static boolean transientState(String state) {
        if (state == null) return true;
        return state.startsWith("08") || state.startsWith("57P") || state.equals("53300");
    }

    private static String message(SQLException e) {
        String m = e.getMessage() == null ? e.toString() : e.getMessage();
        Throwable cause = e.getCause();
        // "Connection to 127.0.0.1:5432 refused. Check that ..." says it; a timeout's cause says more
        if (cause != null && cause.getMessage() != null && !m.contains(cause.getMessage())) m += " (" + cause.getMessage() + ")";
        return m.lines().findFirst().orElse(m).strip();
    }

    private HttpServer standIn(String host, int port) {
        HttpServer s;
        try {
            s = HttpServer.create(new InetSocketAddress(host, port), 64);
        } catch (IOException taken) {
            return null; // the real start says what holds the port
        }
        s.createContext("/", ex -> {
            boolean health = ex.getRequestURI().getPath().equals("/api/v1/healthz");
            String message = "database unreachable: " + why + "; the controller starts once it answers";
            String body = health
                    ? "{\"status\":\"database unreachable\",\"error\":{\"code\":\"unavailable\",\"message\":" + quote(message) + ",\"field\":null}}"
                    : "{\"error\":{\"code\":\"unavailable\",\"message\":" + quote(message) + ",\"field\":null}}";
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            ex.getRequestBody().readAllBytes();
            ex.getResponseHeaders().set("Content-Type", "application/json");
            ex.getResponseHeaders().set("Retry-After", "2");
            ex.sendResponseHeaders(503, bytes.length);
            try (OutputStream o = ex.getResponseBody()) {
                o.write(bytes);
            }
        });
        s.setExecutor(null);
        s.start();
        return s;
    }

    static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                default -> {
                    if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
                    else b.append(c);
                }
            }
        }
        return b.append('"').toString();
    }
}
