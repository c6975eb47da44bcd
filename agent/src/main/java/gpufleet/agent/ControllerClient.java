package gpufleet.agent;

import gpufleet.protocol.ErrorBody;
import gpufleet.protocol.ErrorCode;
import gpufleet.protocol.Heartbeat;
import gpufleet.protocol.HeartbeatReply;
import gpufleet.protocol.Registration;
import gpufleet.protocol.RegistrationReply;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.json.JsonMapper;

import javax.net.ssl.SSLContext;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/** The agent's side of the protocol in docs/agent-protocol.md, over the JDK's HTTP client. */
public final class ControllerClient {
    /**
     * A refusal from the controller (a 4xx or 5xx answer), or no answer at all ({@code status} 0).
     * {@code code} is the refusal's {@link ErrorCode}: null when there was no answer, the answer was not
     * the controller's error body (a proxy's page, say), or its code is one this agent does not know.
     */
    public static final class Failure extends Exception {
        private final int status;
        private final ErrorCode code;

        Failure(int status, ErrorCode code, String message) {
            super(message);
            this.status = status;
            this.code = code;
        }

        public int status() { return status; }
        public ErrorCode code() { return code; }
    }

    static final JsonMapper JSON = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    /** The controllers named, in order; {@link #base} is the one that answered last. */
    private final List<URI> bases;
    private volatile URI base;
    private final HttpClient http;
    /** The bearer token every request presents: the join token until the host has its credential. */
    private volatile String token;

    public ControllerClient(URI server) {
        this(server, null);
    }

    /** {@code tls} verifies an https controller; null trusts the JDK's certificate authorities. */
    public ControllerClient(URI server, SSLContext tls) {
        this(List.of(server), tls);
    }

    /**
     * Several controllers sharing one database: a call goes to the one that answered last, then to the
     * others in turn; a standby's redirect to the leader is followed.
     */
    public ControllerClient(List<URI> servers, SSLContext tls) {
        if (servers.isEmpty()) throw new IllegalArgumentException("no controller named");
        this.bases = servers.stream().map(ControllerClient::asBase).toList();
        this.base = bases.getFirst();
        HttpClient.Builder b = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5));
        if (tls != null) b.sslContext(tls);
        this.http = b.build();
    }

    private static URI asBase(URI server) {
        String s = server.toString();
        return URI.create(s.endsWith("/") ? s : s + "/");
    }

    public void token(String token) {
        this.token = token;
    }

    public URI server() { return base; }

    public RegistrationReply register(Registration r) throws Failure, InterruptedException {
        return JSON.readValue(send(post("api/v1/hosts/register", JSON.writeValueAsString(r)), Duration.ofSeconds(30), true),
                RegistrationReply.class);
    }

    /**
     * How long a heartbeat waits for its answer: well inside the controller's heartbeat timeout (30 s), so
     * that an agent whose controller hangs (stopped, not dead: its kernel still accepts connections) turns
     * to the next one named in time to be heard there.
     */
    static final Duration HEARTBEAT_TIMEOUT = Duration.ofSeconds(10);

    public HeartbeatReply heartbeat(long hostId, Heartbeat hb) throws Failure, InterruptedException {
        // a heartbeat sent twice does no harm: it says what runs, and the controller acts on each exit once
        return JSON.readValue(send(post("api/v1/hosts/" + hostId + "/heartbeat", JSON.writeValueAsString(hb)),
                HEARTBEAT_TIMEOUT, true), HeartbeatReply.class);
    }

    /** Waits up to {@code waitMs} for the host's assignments to differ from {@code version}. */
    public HeartbeatReply awaitAssignments(long hostId, long generation, long version, long waitMs)
            throws Failure, InterruptedException {
        Function<URI, HttpRequest.Builder> req = at -> HttpRequest.newBuilder(at.resolve("api/v1/hosts/" + hostId
                + "/assignments?generation=" + generation + "&version=" + version + "&waitMs=" + waitMs)).GET();
        return JSON.readValue(send(req, Duration.ofMillis(waitMs + 30_000), true), HeartbeatReply.class);
    }

    /** Appends {@code bytes} to the controller's copy of a rank's log. */
    public void shipLog(long job, int rank, long generation, byte[] bytes) throws Failure, InterruptedException {
        Function<URI, HttpRequest.Builder> req = at -> HttpRequest.newBuilder(at.resolve("api/v1/jobs/" + job + "/logs/" + rank
                        + "?generation=" + generation))
                .header("Content-Type", "text/plain; charset=utf-8")
                .POST(HttpRequest.BodyPublishers.ofByteArray(bytes));
        // appended bytes sent twice would be in the log twice: another controller only if this one never got them
        send(req, Duration.ofSeconds(30), false);
    }

    private static Function<URI, HttpRequest.Builder> post(String path, String json) {
        return at -> HttpRequest.newBuilder(at.resolve(path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json));
    }

    /**
     * Sends to the controller that answered last, then to the others; follows a standby's {@code 307} to
     * the leader it names. {@code again}: the call may reach the controller twice, so it also moves on
     * after an answer that did not come; otherwise only when no connection was made.
     */
    private String send(Function<URI, HttpRequest.Builder> request, Duration timeout, boolean again)
            throws Failure, InterruptedException {
        Deque<URI> next = new ArrayDeque<>();
        next.add(base);
        for (URI u : bases) if (!u.equals(base)) next.add(u);
        Set<URI> tried = new HashSet<>();
        HttpResponse<String> r = null;
        IOException unreachable = null;
        URI at = base;
        while (!next.isEmpty()) {
            URI u = next.poll();
            if (!tried.add(u)) continue;
            HttpRequest.Builder b = request.apply(u);
            String t = token;
            if (t != null) b.header("Authorization", "Bearer " + t);
            try {
                r = http.send(b.timeout(timeout).build(), HttpResponse.BodyHandlers.ofString());
            } catch (IOException e) {
                r = null;
                unreachable = e;
                at = u;
                if (!again && !neverConnected(e)) break;
                continue;
            }
            at = u;
            base = u;
            if (r.statusCode() == 307 || r.statusCode() == 308) {
                var leader = r.headers().firstValue("X-Gpufleet-Leader");
                if (leader.isPresent()) {
                    next.addFirst(asBase(URI.create(leader.get())));
                    continue;
                }
            }
            // a standby while no controller leads: one of the others may lead by now
            if (r.statusCode() == 503 && r.body().contains("standby") && next.stream().anyMatch(x -> !tried.contains(x)))
                continue;
            break;
        }
        if (r == null)
            throw new Failure(0, null, "cannot reach the controller at " + (bases.size() == 1 ? at : bases.toString()) + ": "
                    + unreachable);
        if (r.statusCode() / 100 != 2) {
            String msg = r.body();
            ErrorCode code = null;
            try {
                ErrorBody e = JSON.readValue(r.body(), ErrorBody.class);
                if (e != null && e.error() != null) {
                    code = e.code();
                    if (e.error().message() != null) msg = e.error().message();
                }
            } catch (RuntimeException notTheControllers) {
                // a proxy's page, say: keep the raw body
            }
            throw new Failure(r.statusCode(), code, "controller answered " + r.statusCode() + ": " + msg);
        }
        return r.body();
    }

    /** Whether the request cannot have reached the controller: no connection was made. */
    private static boolean neverConnected(IOException e) {
        for (Throwable x = e; x != null; x = x.getCause())
            if (x instanceof java.net.ConnectException || x instanceof java.net.http.HttpConnectTimeoutException
                    || x instanceof java.nio.channels.UnresolvedAddressException)
                return true;
        return false;
    }
}
