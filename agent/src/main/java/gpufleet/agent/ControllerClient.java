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

    private final URI base;
    private final HttpClient http;
    /** The bearer token every request presents: the join token until the host has its credential. */
    private volatile String token;

    public ControllerClient(URI server) {
        this(server, null);
    }

    /** {@code tls} verifies an https controller; null trusts the JDK's certificate authorities. */
    public ControllerClient(URI server, SSLContext tls) {
        String s = server.toString();
        this.base = URI.create(s.endsWith("/") ? s : s + "/");
        HttpClient.Builder b = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5));
        if (tls != null) b.sslContext(tls);
        this.http = b.build();
    }

    public void token(String token) {
        this.token = token;
    }

    public URI server() { return base; }

    public RegistrationReply register(Registration r) throws Failure, InterruptedException {
        return JSON.readValue(send(post("api/v1/hosts/register", JSON.writeValueAsString(r)), Duration.ofSeconds(30)),
                RegistrationReply.class);
    }

    public HeartbeatReply heartbeat(long hostId, Heartbeat hb) throws Failure, InterruptedException {
        return JSON.readValue(send(post("api/v1/hosts/" + hostId + "/heartbeat", JSON.writeValueAsString(hb)),
                Duration.ofSeconds(30)), HeartbeatReply.class);
    }

    /** Waits up to {@code waitMs} for the host's assignments to differ from {@code version}. */
    public HeartbeatReply awaitAssignments(long hostId, long generation, long version, long waitMs)
            throws Failure, InterruptedException {
        var req = HttpRequest.newBuilder(base.resolve("api/v1/hosts/" + hostId + "/assignments?generation=" + generation
                + "&version=" + version + "&waitMs=" + waitMs)).GET();
        return JSON.readValue(send(req, Duration.ofMillis(waitMs + 30_000)), HeartbeatReply.class);
    }

    /** Appends {@code bytes} to the controller's copy of a rank's log. */
    public void shipLog(long job, int rank, long generation, byte[] bytes) throws Failure, InterruptedException {
        var req = HttpRequest.newBuilder(base.resolve("api/v1/jobs/" + job + "/logs/" + rank + "?generation=" + generation))
                .header("Content-Type", "text/plain; charset=utf-8")
                .POST(HttpRequest.BodyPublishers.ofByteArray(bytes));
        send(req, Duration.ofSeconds(30));
    }

    private HttpRequest.Builder post(String path, String json) {
        return HttpRequest.newBuilder(base.resolve(path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json));
    }

    private String send(HttpRequest.Builder b, Duration timeout) throws Failure, InterruptedException {
        HttpResponse<String> r;
        String t = token;
        if (t != null) b.header("Authorization", "Bearer " + t);
        try {
            r = http.send(b.timeout(timeout).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new Failure(0, null, "cannot reach the controller at " + base + ": " + e);
        }
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
}
