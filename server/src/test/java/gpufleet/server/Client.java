package gpufleet.server;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** A small JSON client for the API, over the JDK's HttpClient. */
final class Client {
    static final JsonMapper JSON = JsonMapper.builder().build();

    record Response(int status, String body) {
        JsonNode json() {
            return JSON.readTree(body);
        }
    }

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final String base;

    Client(int port) {
        this.base = "http://127.0.0.1:" + port + "/api/v1";
    }

    Response get(String path) {
        return send(HttpRequest.newBuilder(URI.create(base + path)).GET());
    }

    Response post(String path, String body) {
        // a large body asks first (as curl does), so a 413 arrives before the body is sent
        return send(HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type", "application/json")
                .expectContinue(body.length() > 65536).POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    Response put(String path, String body) {
        return send(HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString(body)));
    }

    Response send(HttpRequest.Builder b) {
        try {
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
