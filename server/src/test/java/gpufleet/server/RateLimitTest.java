package gpufleet.server;

import gpufleet.server.auth.RateLimiter;
import gpufleet.testkit.TestDatabases;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/** A client that floods, or sends too much, is refused; the others are served as if nothing happened. */
class RateLimitTest {
    static final double RATE = 20;
    static final double BURST = 20;

    @TempDir
    Path dir;
    TestDatabases.TestDb db;
    GpufleetServer server;
    Client admin;
    String flooder, bystander;
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @BeforeEach
    void start() {
        db = TestDatabases.fresh(TestDatabases.Kind.SQLITE, dir);
        server = GpufleetServer.start(db.open(), dir, "127.0.0.1", 0, Duration.ofMillis(200), Duration.ofSeconds(30),
                Security.defaults().withRate(RATE, BURST));
        admin = new Client(server.port(), dir);
        flooder = admin.ok(admin.post("/tokens", "{\"name\":\"flood\",\"role\":\"viewer\"}")).get("token").stringValue();
        bystander = admin.ok(admin.post("/tokens", "{\"name\":\"calm\",\"role\":\"viewer\"}")).get("token").stringValue();
    }

    @AfterEach
    void stop() {
        try {
            if (server != null) server.close();
        } finally {
            if (db != null) db.close();
        }
    }

    private HttpResponse<String> get(String token, String path) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(admin.base() + path)).timeout(Duration.ofSeconds(10));
        if (token != null) b.header("Authorization", "Bearer " + token);
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aFloodingClientGets429WhileAnotherIsServed() throws Exception {
        AtomicBoolean flooding = new AtomicBoolean(true);
        AtomicInteger ok = new AtomicInteger(), limited = new AtomicInteger();
        ConcurrentLinkedQueue<String> odd = new ConcurrentLinkedQueue<>();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++)
            threads.add(Thread.ofVirtual().start(() -> {
                while (flooding.get()) {
                    try {
                        HttpResponse<String> r = get(flooder, "/jobs");
                        if (r.statusCode() == 200) ok.incrementAndGet();
                        else if (r.statusCode() == 429) {
                            limited.incrementAndGet();
                            if (!r.headers().firstValue("Retry-After").isPresent() || !r.body().contains("too many requests")
                                    || !r.body().contains("\"code\":\"rate_limited\""))
                                odd.add(r.headers().map() + " " + r.body());
                        } else odd.add(r.statusCode() + " " + r.body());
                    } catch (Exception e) {
                        odd.add(e.toString());
                    }
                }
            }));
        Thread.sleep(300);
        // the bystander asks at a polite pace (well under the limit) all through the flood
        List<Integer> served = new ArrayList<>();
        long t0 = System.nanoTime();
        for (int i = 0; i < 15; i++) {
            served.add(get(bystander, "/jobs").statusCode());
            Thread.sleep(100);
        }
        double seconds = (System.nanoTime() - t0) / 1e9 + 0.3;
        flooding.set(false);
        for (Thread t : threads) t.join();

        assertThat(odd).isEmpty();
        assertThat(served).containsOnly(200);
        assertThat(limited.get()).as("the flood was limited").isGreaterThan(ok.get());
        // what the flooder got through is what the bucket allows: the burst plus the refill, and no more
        assertThat((double) ok.get()).isLessThanOrEqualTo(BURST + RATE * (seconds + 1));
        System.out.println("flood: " + ok.get() + " served, " + limited.get() + " refused in " + String.format("%.1f", seconds)
                + " s; bystander: " + served.size() + " of " + served.size() + " served");
    }

    @Test
    void requestsWithoutAValidTokenAreLimitedByAddressWithoutTouchingTokenHolders() throws Exception {
        int refused = 0;
        for (int i = 0; i < 3 * BURST; i++) {
            int s = get("gft_0123456789_" + "x".repeat(43), "/jobs").statusCode();
            assertThat(s).isIn(401, 429);
            if (s == 429) refused++;
        }
        assertThat(refused).as("guessing tokens is rate-limited").isGreaterThan(0);
        assertThat(get(bystander, "/jobs").statusCode()).isEqualTo(200);
    }

    @Test
    void anOversizedBodyIsRefusedAndAnotherClientIsServedMeanwhile() throws Exception {
        String before = db.dumpTables();
        AtomicLong bigStatus = new AtomicLong();
        Thread big = Thread.ofVirtual().start(() -> {
            try {
                String body = "{\"name\":\"" + "x".repeat(4 << 20) + "\",\"role\":\"viewer\"}";
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(admin.base() + "/tokens"))
                        .header("Authorization", "Bearer " + admin.adminToken).header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
                bigStatus.set(r.statusCode());
            } catch (Exception e) {
                // the server may close the connection while the body is still coming: that is a refusal too
                bigStatus.set(-1);
            }
        });
        assertThat(get(bystander, "/jobs").statusCode()).isEqualTo(200);
        big.join();
        assertThat(bigStatus.get()).isIn(413L, -1L);
        assertThat(db.dumpTables()).isEqualTo(before);
        assertThat(get(bystander, "/teams").statusCode()).isEqualTo(200);
    }

    @Test
    void aBucketRefillsAtItsRateAndNeverHoldsMoreThanTheBurst() {
        AtomicLong now = new AtomicLong();
        RateLimiter l = new RateLimiter(10, 5, now::get);
        for (int i = 0; i < 5; i++) assertThat(l.tryAcquire("a")).isTrue();
        assertThat(l.tryAcquire("a")).isFalse();
        assertThat(l.tryAcquire("b")).as("another client has its own bucket").isTrue();
        now.addAndGet(100_000_000); // 0.1 s: one more request
        assertThat(l.tryAcquire("a")).isTrue();
        assertThat(l.tryAcquire("a")).isFalse();
        now.addAndGet(10_000_000_000L);
        for (int i = 0; i < 5; i++) assertThat(l.tryAcquire("a")).as("never more than the burst").isTrue();
        assertThat(l.tryAcquire("a")).isFalse();
        assertThat(RateLimiter.OFF.tryAcquire("x")).isTrue();
    }
}
