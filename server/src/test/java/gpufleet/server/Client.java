package gpufleet.server;

import gpufleet.server.auth.Tokens;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A small JSON client for the API, over the JDK's HttpClient. It presents the token a well-behaved
 * caller would: the admin token for people's routes, a join token to register a new host, and the
 * host's own credential (kept from its registration) for that host's agent routes and for the logs of
 * jobs placed on it. Tests of who may do what send their own tokens through {@link #send(String, HttpRequest.Builder)}.
 */
final class Client {
    static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Pattern HOST_ROUTE = Pattern.compile("/hosts/([^/]+)/(heartbeat|assignments).*");
    private static final Pattern LOG_APPEND = Pattern.compile("/jobs/(\\d+)/logs/.*");

    record Response(int status, String body) {
        JsonNode json() {
            return JSON.readTree(body);
        }

        /** The refusal's {@code {"code", "message", "field"}}; fails unless the body has that shape. */
        JsonNode error() {
            JsonNode e = json().get("error");
            if (e == null || !e.isObject() || !e.path("code").isString() || !e.path("message").isString()
                    || !e.has("field"))
                throw new AssertionError("not an error body: " + body);
            return e;
        }

        String code() { return error().get("code").stringValue(); }
        String message() { return error().get("message").stringValue(); }
        /** The field at fault, or null when the refusal names none. */
        String field() { return error().get("field").isNull() ? null : error().get("field").stringValue(); }
    }

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final String base;
    final String adminToken;
    final String joinToken;
    private final Map<Long, String> credentialById = new ConcurrentHashMap<>();
    private final Map<String, String> credentialByName = new ConcurrentHashMap<>();

    /** A client of a controller whose data directory is {@code dataDir}: it reads the admin token written there. */
    Client(int port, Path dataDir) {
        this(port, readAdminToken(dataDir));
    }

    Client(int port, String adminToken) {
        this.base = "http://127.0.0.1:" + port + "/api/v1";
        this.adminToken = adminToken;
        this.joinToken = adminToken == null ? null
                : ok(send(adminToken, HttpRequest.newBuilder(URI.create(base + "/tokens"))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"test agents\",\"role\":\"join\"}"))))
                        .get("token").stringValue();
    }

    static String readAdminToken(Path dataDir) {
        try {
            return Files.readString(dataDir.resolve(Tokens.ADMIN_TOKEN_FILE)).strip();
        } catch (IOException e) {
            throw new UncheckedIOException("no admin token in " + dataDir, e);
        }
    }

    String base() {
        return base;
    }

    /** The credential of a host this client registered. */
    String credential(String hostName) {
        return credentialByName.get(hostName);
    }

    Response get(String path) {
        return send(tokenFor("GET", path, null), HttpRequest.newBuilder(URI.create(base + path)).GET());
    }

    Response post(String path, String body) {
        // a large body asks first (as curl does), so a 413 arrives before the body is sent
        Response r = send(tokenFor("POST", path, body), HttpRequest.newBuilder(URI.create(base + path))
                .header("Content-Type", "application/json")
                .expectContinue(body.length() > 65536).POST(HttpRequest.BodyPublishers.ofString(body)));
        if (path.equals("/hosts/register") && r.status() == 200) {
            JsonNode n = r.json();
            if (n.has("credential")) {
                credentialById.put(n.get("id").longValue(), n.get("credential").stringValue());
                credentialByName.put(n.get("name").stringValue(), n.get("credential").stringValue());
            }
        }
        return r;
    }

    Response put(String path, String body) {
        return send(tokenFor("PUT", path, body), HttpRequest.newBuilder(URI.create(base + path))
                .header("Content-Type", "application/json").PUT(HttpRequest.BodyPublishers.ofString(body)));
    }

    /** The token a well-behaved caller of {@code path} presents. */
    String tokenFor(String method, String path, String body) {
        if (adminToken == null) return null;
        if (path.equals("/hosts/register")) {
            try {
                JsonNode n = body == null || body.isBlank() ? null : JSON.readTree(body);
                JsonNode name = n == null || !n.isObject() ? null : n.get("name");
                String own = name != null && name.isString() ? credentialByName.get(name.stringValue()) : null;
                return own != null ? own : joinToken;
            } catch (RuntimeException malformed) {
                return joinToken;
            }
        }
        Matcher h = HOST_ROUTE.matcher(path);
        if (h.matches()) {
            String c = h.group(1).matches("\\d{1,18}") ? credentialById.get(Long.parseLong(h.group(1))) : null;
            return c != null ? c : anyCredential();
        }
        Matcher l = LOG_APPEND.matcher(path);
        if (l.matches() && method.equals("POST")) {
            Response job = send(adminToken, HttpRequest.newBuilder(URI.create(base + "/jobs/" + l.group(1))).GET());
            if (job.status() == 200)
                for (JsonNode p : job.json().get("placement")) {
                    String c = credentialByName.get(p.get("host").stringValue());
                    if (c != null) return c;
                }
            return anyCredential();
        }
        return adminToken;
    }

    private String anyCredential() {
        return credentialById.values().stream().findFirst().orElse(adminToken);
    }

    Response send(HttpRequest.Builder b) {
        return send(adminToken, b);
    }

    /** Sends with {@code token} as the bearer (none when null). */
    Response send(String token, HttpRequest.Builder b) {
        try {
            if (token != null) b.header("Authorization", "Bearer " + token);
            HttpResponse<String> r = http.send(b.timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            return new Response(r.statusCode(), r.body());
        } catch (Exception e) {
            throw new AssertionError("request failed: " + e, e);
        }
    }

    JsonNode ok(Response r) {
        if (r.status() / 100 != 2) throw new AssertionError("expected 2xx, got " + r.status() + ": " + r.body());
        return r.json();
    }

    long registerHost(String name, int gpus, String rack, String zone) {
        return ok(post("/hosts/register", "{\"name\":\"%s\",\"gpus\":%d,\"rack\":\"%s\",\"zone\":\"%s\"}"
                .formatted(name, gpus, rack, zone))).get("id").longValue();
    }

    long submit(String name, int gpus, int tp) {
        return submit(name, gpus, tp, 1);
    }

    long submit(String name, int gpus, int tp, int priority) {
        return ok(post("/jobs", ("{\"name\":\"%s\",\"team\":\"default\",\"gpus\":%d,\"tp\":%d,\"priority\":%d,"
                + "\"command\":[\"python\",\"train.py\"]}").formatted(name, gpus, tp, priority))).get("id").longValue();
    }

    JsonNode job(long id) {
        return ok(get("/jobs/" + id));
    }

    /** Polls until the job is in {@code state}; fails after 10 s. */
    JsonNode awaitState(long id, String state) {
        long deadline = System.nanoTime() + 10_000_000_000L;
        JsonNode j = job(id);
        while (!j.get("state").stringValue().equals(state)) {
            if (System.nanoTime() > deadline)
                throw new AssertionError("job " + id + " still " + j.get("state") + " (" + j.get("reason") + "), wanted " + state);
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
            j = job(id);
        }
        return j;
    }
}
