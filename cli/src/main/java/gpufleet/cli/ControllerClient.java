package gpufleet.cli;

import com.fasterxml.jackson.annotation.JsonInclude;
import gpufleet.protocol.ErrorBody;
import gpufleet.protocol.ErrorCode;
import gpufleet.protocol.Pem;
import picocli.CommandLine.Option;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;

/**
 * The controller's HTTP API as the commands use it. Every failure becomes a {@link Failure} whose
 * message is the one line the user sees: the controller's own error message and field, or
 * why it could not be reached.
 */
final class ControllerClient {
    static final String DEFAULT_SERVER = "http://localhost:8080";
    static final JsonMapper JSON = JsonMapper.builder().build();
    /** Writes requests: an option left unset is left out, as the controller reads absent and null alike. */
    private static final JsonMapper REQUESTS = JsonMapper.builder()
            .changeDefaultPropertyInclusion(i -> i.withValueInclusion(JsonInclude.Include.NON_NULL))
            .build();
    /**
     * Reads answers into the protocol's views. A newer controller may send fields this side does not
     * know, and an older one may lack some: those read as null (0 for a number that is always there).
     */
    private static final JsonMapper VIEWS = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .disable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .build();
    /** Reads refusals; a newer controller may say more than the error body this side knows. */
    private static final JsonMapper ERRORS = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    /**
     * A refusal, or no answer. Main prints the message and exits 2. {@code code} is the controller's
     * {@link ErrorCode} for a refusal; null for no answer, or an answer that is not the controller's.
     */
    static final class Failure extends IllegalStateException {
        private final ErrorCode code;

        Failure(String message) {
            this(null, message);
        }

        Failure(ErrorCode code, String message) {
            super(message);
            this.code = code;
        }

        ErrorCode code() { return code; }
    }

    /** {@code --server}, {@code --token}, {@code --ca-cert} (and {@code --help}), for every command that talks to the controller. */
    static final class Server {
        @Option(names = "--server", paramLabel = "URL",
                description = "the controller (default: $GPUFLEET_SERVER, else the one you logged in to, else " + DEFAULT_SERVER + ")")
        String url;

        @Option(names = "--token", paramLabel = "TOKEN",
                description = "the token to present (default: $GPUFLEET_TOKEN, else the one saved by gpufleet login, "
                        + "else a local controller's ./gpufleet-data/admin-token)")
        String token;

        @Option(names = "--ca-cert", paramLabel = "PEM",
                description = "the CA certificate that signed an https controller's certificate (default: $GPUFLEET_CA_CERT)")
        String caCert;

        @Option(names = {"-h", "--help"}, usageHelp = true, description = "show this help")
        boolean help;

        Credentials credentials() {
            return Credentials.resolve(url, token, caCert, System.getenv(), Path.of(""));
        }

        ControllerClient client() {
            Credentials c = credentials();
            return new ControllerClient(c.server(), c.token(), c.caCert());
        }
    }

    enum Format { table, json }

    /** {@code -o}: a table for people or the controller's JSON for scripts. */
    static final class Output {
        @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", description = "table (default) or json")
        Format format = Format.table;

        boolean json() { return format == Format.json; }

        void print(JsonNode n) {
            System.out.println(JSON.writeValueAsString(n));
        }
    }

    /** The controllers named, in the order given; {@link #server} is the one the last call reached. */
    private final java.util.List<String> servers;
    private volatile String server;
    private final String token;
    private final HttpClient http;

    ControllerClient(String server) {
        this(server, null, null);
    }

    /**
     * {@code server}: one controller's URL, or several separated by commas (controllers sharing one
     * database: each is tried in turn, and a standby's redirect to the leader is followed). {@code token}
     * null: none presented; {@code caCert} null: the JDK's certificate authorities.
     */
    ControllerClient(String server, String token, String caCert) {
        java.util.List<String> list = new java.util.ArrayList<>();
        for (String one : server.split(",")) {
            if (one.isBlank()) continue;
            list.add(normalize(one, server));
        }
        if (list.isEmpty()) throw new IllegalArgumentException("--server must be an http:// or https:// URL, got '" + server + "'");
        this.servers = java.util.List.copyOf(list);
        this.server = servers.getFirst();
        this.token = token;
        this.http = caCert == null ? HTTP
                : HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).sslContext(Pem.trusting(Path.of(caCert))).build();
    }

    /** {@code one} without trailing slashes or {@code /api/v1}; refused unless an http(s) URL. */
    private static String normalize(String one, String given) {
        String s = one.strip();
        while (s.endsWith("/")) s = s.substring(0, s.length() - 1);
        if (s.endsWith("/api/v1")) s = s.substring(0, s.length() - "/api/v1".length());
        URI u;
        try {
            u = new URI(s);
        } catch (java.net.URISyntaxException e) {
            u = null;
        }
        if (u == null || u.getHost() == null || !("http".equals(u.getScheme()) || "https".equals(u.getScheme())))
            throw new IllegalArgumentException("--server must be an http:// or https:// URL (or several, separated by commas), got '"
                    + given + "'");
        return s;
    }

    /** {@code answer} as the view {@code type}; an answer of another shape is a {@link Failure}. */
    <T extends Record> T view(JsonNode answer, Class<T> type) {
        if (answer == null || !answer.isObject())
            throw new Failure("the answer from " + server + " is not a " + type.getSimpleName() + " (a JSON object); is it a gpufleet controller?");
        try {
            return VIEWS.treeToValue(answer, type);
        } catch (JacksonException e) {
            String field = field(e.getPath());
            // Jackson's message names its own classes; the field and the view say enough
            throw new Failure("the answer from " + server + " does not read as a " + type.getSimpleName()
                    + (field.isEmpty() ? "" : ": field '" + field + "' has a value of another type")
                    + "; is this gpufleet older than the controller?");
        }
    }

    /** A path into the answer as {@code placement[0].gpus}. */
    private static String field(java.util.List<JacksonException.Reference> refs) {
        StringBuilder sb = new StringBuilder();
        for (JacksonException.Reference r : refs) {
            if (r.getPropertyName() != null) {
                if (!sb.isEmpty()) sb.append('.');
                sb.append(r.getPropertyName());
            } else if (r.getIndex() >= 0) {
                sb.append('[').append(r.getIndex()).append(']');
            }
        }
        return sb.toString();
    }

    /** {@code answer}, a JSON array, as a list of the view {@code type}. */
    <T extends Record> java.util.List<T> views(JsonNode answer, Class<T> type) {
        if (answer == null || !answer.isArray())
            throw new Failure("the answer from " + server + " is not a list of " + type.getSimpleName() + "; is it a gpufleet controller?");
        java.util.List<T> out = new java.util.ArrayList<>(answer.size());
        for (JsonNode n : answer) out.add(view(n, type));
        return out;
    }

    /** Bytes of a log and the log's total size. */
    record Bytes(byte[] body, long size) {}

    JsonNode get(String path) {
        return json(send(path, true, HttpRequest.Builder::GET));
    }

    /** POSTs {@code body}, one of the protocol's request types, as JSON; nothing when it is null. */
    JsonNode post(String path, Record body) {
        HttpRequest.BodyPublisher p = body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(REQUESTS.writeValueAsString(body));
        return json(send(path, false, b -> b.header("Content-Type", "application/json").POST(p)));
    }

    /** GETs raw bytes, with the size from {@code X-Log-Size}. */
    Bytes bytes(String path) {
        HttpResponse<byte[]> r = send(path, true, HttpRequest.Builder::GET);
        long size = r.headers().firstValueAsLong("X-Log-Size").orElse(-1);
        return new Bytes(r.body(), size);
    }

    /** {@code s} as one path segment: a host name cannot reach another route. */
    static String segment(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** {@code ?k=v&...} of the pairs whose value is not null; empty when none is. */
    static String query(String... pairs) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i + 1 < pairs.length; i += 2) {
            if (pairs[i + 1] == null) continue;
            sb.append(sb.isEmpty() ? '?' : '&').append(pairs[i]).append('=')
                    .append(URLEncoder.encode(pairs[i + 1], StandardCharsets.UTF_8));
        }
        return sb.toString();
    }

    /** PUTs {@code body}, one of the protocol's request types, as JSON. */
    JsonNode put(String path, Record body) {
        return json(send(path, false, b -> b.header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString(REQUESTS.writeValueAsString(body)))));
    }

    private HttpRequest.Builder request(String server, String path) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server + "/api/v1" + path)).timeout(TIMEOUT);
        if (token != null) b.header("Authorization", "Bearer " + token);
        return b;
    }

    /**
     * Sends to the controller that answered last, then to the others in the order named: a standby's
     * {@code 307} is followed to the leader it names, and a controller that cannot be reached gives way to
     * the next. A change ({@code safe} false) moves on only when it cannot have arrived (the connection was
     * never made): one that timed out may have been carried out, and is not sent twice.
     */
    private HttpResponse<byte[]> send(String path, boolean safe, java.util.function.UnaryOperator<HttpRequest.Builder> method) {
        java.util.Deque<String> next = new java.util.ArrayDeque<>();
        next.add(server);
        for (String s : servers) if (!s.equals(server)) next.add(s);
        java.util.Set<String> tried = new java.util.HashSet<>();
        java.util.List<String> unreachable = new java.util.ArrayList<>();
        HttpResponse<byte[]> last = null;
        while (!next.isEmpty()) {
            String at = next.poll();
            if (!tried.add(at)) continue;
            HttpResponse<byte[]> r;
            try {
                r = http.send(method.apply(request(at, path)).build(), HttpResponse.BodyHandlers.ofByteArray());
            } catch (IOException e) {
                unreachable.add(at + ": " + why(e));
                if (!safe && !neverConnected(e)) {
                    server = at;
                    throw new Failure("cannot reach the controller at " + at + ": " + why(e));
                }
                continue;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new Failure("interrupted while waiting for the controller at " + at);
            }
            last = r;
            server = at;
            if (r.statusCode() == 307 || r.statusCode() == 308) {
                String leader = r.headers().firstValue("X-Gpufleet-Leader").orElse(null);
                if (leader != null && !tried.contains(leader)) {
                    next.addFirst(leader);
                    continue;
                }
            }
            // a standby while no controller leads: another named one may lead by now
            if (r.statusCode() == 503 && next.stream().anyMatch(s -> !tried.contains(s))
                    && new String(r.body(), StandardCharsets.UTF_8).contains("standby"))
                continue;
            if (r.statusCode() / 100 != 2) throw refusal(r);
            return r;
        }
        if (last != null) throw refusal(last);
        throw new Failure(unreachable.size() == 1 ? "cannot reach the controller at " + unreachable.getFirst()
                : "cannot reach any of the controllers: " + String.join("; ", unreachable));
    }

    /** Whether the request cannot have reached the controller: no connection was made. */
    private static boolean neverConnected(IOException e) {
        for (Throwable t = e; t != null; t = t.getCause())
            if (t instanceof ConnectException || t instanceof HttpConnectTimeoutException || t instanceof UnresolvedAddressException
                    || t instanceof javax.net.ssl.SSLHandshakeException)
                return true;
        return false;
    }

    private JsonNode json(HttpResponse<byte[]> r) {
        try {
            return JSON.readTree(r.body());
        } catch (JacksonException e) {
            throw new Failure("the answer from " + server + " is not JSON; is it a gpufleet controller?");
        }
    }

    /**
     * The controller's error message (field {@code field}) with its code, or the status and a glimpse of
     * what else answered.
     */
    private Failure refusal(HttpResponse<byte[]> r) {
        String text = new String(r.body(), StandardCharsets.UTF_8);
        try {
            ErrorBody body = ERRORS.readValue(text, ErrorBody.class);
            if (body != null && body.error() != null && body.error().message() != null) {
                ErrorCode code = body.code();
                String field = body.error().field();
                return new Failure(code, body.error().message() + (field != null ? " (field " + field + ")" : "")
                        + (code == ErrorCode.UNAUTHENTICATED ? hint() : ""));
            }
        } catch (JacksonException e) {
            // not the controller's error shape: describe the answer below
        }
        String glimpse = text.strip().replaceAll("\\s+", " ");
        if (glimpse.length() > 120) glimpse = glimpse.substring(0, 120) + "...";
        return new Failure(server + " answered HTTP " + r.statusCode()
                + (glimpse.isEmpty() ? "" : ": " + glimpse));
    }

    /** What to do about a 401: which token was sent, and where a good one comes from. */
    private String hint() {
        return token == null
                ? " (no token was sent: give --token, set GPUFLEET_TOKEN or run gpufleet login; an admin makes one with"
                  + " gpufleet token create)"
                : " (the token sent is not accepted: get a new one from an admin, then gpufleet login)";
    }

    private static String why(IOException e) {
        for (Throwable t = e; t != null; t = t.getCause())
            if (t instanceof javax.net.ssl.SSLHandshakeException) {
                String m = t.getMessage() == null ? "" : t.getMessage();
                String what = m.contains("PKIX") || m.contains("certification path")
                        ? "the controller's certificate is not signed by a CA this client trusts"
                        : m.contains("subject alternative") ? "the controller's certificate is not for this host name"
                        : m.replaceAll("[a-z][\\w.]*\\.[A-Z]\\w*(Exception|Error):?\\s*", "");
                return "TLS handshake failed: " + what + "; if the controller's certificate comes from your own CA, give it"
                        + " with --ca-cert";
            }
        if (e instanceof HttpConnectTimeoutException) return "connection timed out";
        if (e instanceof HttpTimeoutException) return "no answer within " + TIMEOUT.toSeconds() + " s";
        // the JDK's HttpClient says neither "refused" nor "unknown host": its ConnectException has no
        // message, and only the cause (a closed channel, an unresolved address) tells the two apart
        boolean connect = false;
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof UnresolvedAddressException) return "unknown host";
            if (t instanceof ConnectException) {
                if (t.getMessage() != null) return t.getMessage().toLowerCase(Locale.ROOT);
                connect = true;
            }
        }
        if (connect) return "connection refused";
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }
}
