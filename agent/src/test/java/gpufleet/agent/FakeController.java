package gpufleet.agent;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import gpufleet.protocol.Assignment;
import gpufleet.protocol.Heartbeat;
import gpufleet.protocol.HeartbeatReply;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A controller that speaks just enough of the agent protocol for one host: it registers it, answers
 * heartbeats and assignment polls with the assignments the test sets, and records every heartbeat and
 * every log chunk it is sent. A test drives a real {@link Agent} against it and looks at what the
 * agent told the controller.
 */
final class FakeController implements AutoCloseable {
    /** One log chunk as it arrived. */
    record Chunk(long job, int rank, long generation, byte[] bytes) {}

    private static final Pattern LOGS = Pattern.compile("/api/v1/jobs/(\\d+)/logs/(\\d+)");
    private static final Pattern GENERATION = Pattern.compile("generation=(\\d+)");
    private static final Pattern VERSION = Pattern.compile("version=(-?\\d+)");

    private final HttpServer http;
    private final List<Heartbeat> heartbeats = new ArrayList<>(); // guarded by this
    private final List<Chunk> chunks = new ArrayList<>(); // guarded by this
    private List<Assignment> assignments = List.of(); // guarded by this
    private long version = 1; // guarded by this
    private long epoch = 0; // guarded by this
    /** The refusal every request whose path ends with the key gets instead of its answer. */
    private final Map<String, Refusal> refusals = new ConcurrentHashMap<>();
    private final AtomicInteger refused = new AtomicInteger();

    /** An error answer in the controller's shape. */
    record Refusal(int status, String code, String message) {}

    FakeController() throws IOException {
        http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        http.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        http.createContext("/", this::handle);
        http.start();
    }

    URI url() {
        return URI.create("http://127.0.0.1:" + http.getAddress().getPort());
    }

    /** What the host must run from now on. */
    synchronized void assign(Assignment... now) {
        assignments = List.of(now);
        version++;
        notifyAll();
    }

    /**
     * Answers from now on as a newly elected leader would: epoch {@code newEpoch}, its own version count
     * starting at {@code firstVersion} (lower or higher than the old leader's), listing {@code now}.
     */
    synchronized void failOver(long newEpoch, long firstVersion, Assignment... now) {
        epoch = newEpoch;
        version = firstVersion;
        assignments = List.of(now);
        notifyAll();
    }

    /** From now on, answers requests whose path ends with {@code pathEnd} with {@code r}; null answers them again. */
    void refuse(String pathEnd, Refusal r) {
        if (r == null) refusals.remove(pathEnd);
        else refusals.put(pathEnd, r);
    }

    /** How many requests have been refused so far. */
    int refused() {
        return refused.get();
    }

    synchronized List<Heartbeat> heartbeats() {
        return List.copyOf(heartbeats);
    }

    synchronized List<Chunk> chunks() {
        return List.copyOf(chunks);
    }

    /** Waits for a heartbeat, sent after this call, that matches; fails after {@code timeout}. */
    Heartbeat awaitHeartbeat(Predicate<Heartbeat> match, Duration timeout, String what) throws InterruptedException {
        int seen;
        synchronized (this) {
            seen = heartbeats.size();
        }
        return awaitHeartbeatFrom(seen, match, timeout, what);
    }

    /** As {@link #awaitHeartbeat}, looking at every heartbeat from the {@code seen}-th on (0: since the first). */
    Heartbeat awaitHeartbeatFrom(int seen, Predicate<Heartbeat> match, Duration timeout, String what) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (this) {
            while (true) {
                for (; seen < heartbeats.size(); seen++) if (match.test(heartbeats.get(seen))) return heartbeats.get(seen);
                long left = deadline - System.nanoTime();
                if (left <= 0) throw new AssertionError("no heartbeat " + what + " within " + timeout + "; last: "
                        + (heartbeats.isEmpty() ? "none" : heartbeats.getLast()));
                wait(Math.max(1, left / 1_000_000));
            }
        }
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String path = ex.getRequestURI().getPath();
            String query = ex.getRequestURI().getRawQuery() == null ? "" : ex.getRequestURI().getRawQuery();
            byte[] body = ex.getRequestBody().readAllBytes();
            Matcher logs = LOGS.matcher(path);
            Refusal refusal = refusals.entrySet().stream().filter(e -> path.endsWith(e.getKey()))
                    .map(Map.Entry::getValue).findFirst().orElse(null);
            if (refusal != null) {
                byte[] b = ControllerClient.JSON.writeValueAsBytes(Map.of("error", Map.of(
                        "code", refusal.code(), "message", refusal.message())));
                ex.getResponseHeaders().set("Content-Type", "application/json");
                ex.sendResponseHeaders(refusal.status(), b.length);
                ex.getResponseBody().write(b);
                refused.incrementAndGet();
            } else if (path.equals("/api/v1/hosts/register")) {
                reply(ex, "{\"id\":1,\"generation\":1,\"status\":\"UP\"}");
            } else if (path.equals("/api/v1/hosts/1/heartbeat")) {
                Heartbeat hb = ControllerClient.JSON.readValue(body, Heartbeat.class);
                HeartbeatReply r;
                synchronized (this) {
                    heartbeats.add(hb);
                    notifyAll();
                    r = current();
                }
                reply(ex, ControllerClient.JSON.writeValueAsString(r));
            } else if (path.equals("/api/v1/hosts/1/assignments")) {
                Matcher v = VERSION.matcher(query);
                long known = v.find() ? Long.parseLong(v.group(1)) : -1;
                HeartbeatReply r;
                synchronized (this) {
                    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
                    while (version == known && System.nanoTime() < deadline) wait(100);
                    r = current();
                }
                reply(ex, ControllerClient.JSON.writeValueAsString(r));
            } else if (logs.matches()) {
                Matcher g = GENERATION.matcher(query);
                synchronized (this) {
                    chunks.add(new Chunk(Long.parseLong(logs.group(1)), Integer.parseInt(logs.group(2)),
                            g.find() ? Long.parseLong(g.group(1)) : -1, body));
                }
                reply(ex, "{}");
            } else {
                ex.sendResponseHeaders(404, -1);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private HeartbeatReply current() {
        return new HeartbeatReply(1, 1, "UP", version, assignments, epoch);
    }

    private static void reply(HttpExchange ex, String json) throws IOException {
        byte[] b = json.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(200, b.length);
        ex.getResponseBody().write(b);
    }

    /** Every chunk of {@code job}'s {@code rank}, joined in the order they arrived. */
    synchronized byte[] shipped(long job, int rank) {
        var out = new ByteArrayOutputStream();
        for (Chunk c : chunks) if (c.job() == job && c.rank() == rank) out.writeBytes(c.bytes());
        return out.toByteArray();
    }

    @Override
    public void close() {
        http.stop(0);
    }
}
