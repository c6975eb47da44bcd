package gpufleet.server;

import gpufleet.server.control.ControllerOptions;
import gpufleet.testkit.TestDatabases;
import gpufleet.server.ha.HaRole;
import gpufleet.server.ha.Leadership;
import gpufleet.server.store.DatabaseSpec;
import gpufleet.server.store.NotLeaderException;
import gpufleet.server.store.SqlStore;
import gpufleet.server.store.TeamRecord;
import gpufleet.server.view.Usage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Several controllers on one PostgreSQL database: one leads through a lease row, a standby takes the lease
 * over once it runs out, and a leader that was paused past its lease (its rounds held, its clock frozen, so
 * that it still believes it leads) commits nothing after the takeover and steps down.
 */
class LeaderElectionTest {
    private static final Duration LEASE = Duration.ofMillis(1500);
    private static final Duration RENEW = Duration.ofMillis(400);
    private static final Duration POLL = Duration.ofMillis(200);

    @TempDir
    Path dir;
    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : open.reversed()) c.close();
    }

    private <T extends AutoCloseable> T keep(T c) {
        open.add(c);
        return c;
    }

    /** A listener that records what it is told. */
    static final class Events implements Leadership.Listener {
        final List<String> seen = new CopyOnWriteArrayList<>();

        @Override
        public void elected(long epoch) {
            seen.add("elected " + epoch);
        }

        @Override
        public void deposed(long epoch, String why) {
            seen.add("deposed " + epoch + ": " + why);
        }
    }

    @Test
    void aPausedLeadersWritesAreFencedOutOnceAStandbyHasTakenOver() throws Exception {
        TestDatabases.TestDb db = keep(TestDatabases.fresh(TestDatabases.Kind.POSTGRESQL, dir));
        DatabaseSpec spec = DatabaseSpec.postgres(db.jdbcUrl());
        SqlStore storeA = keep(db.open());
        SqlStore storeB = keep(db.open());
        Leadership a = keep(new Leadership(spec, "a", "http://a:1", LEASE, RENEW, POLL, System::nanoTime));
        Leadership b = keep(new Leadership(spec, "b", "http://b:2", LEASE, RENEW, POLL, System::nanoTime));
        Events eventsA = new Events(), eventsB = new Events();
        a.listener(eventsA);
        b.listener(eventsB);
        List<NotLeaderException> fencedA = new CopyOnWriteArrayList<>();

        a.tick();
        assertThat(eventsA.seen).containsExactly("elected 1");
        storeA.fence(a.epoch(), fencedA::add);
        b.tick();
        assertThat(b.epoch()).isEqualTo(-1);
        assertThat(b.leaderAddress()).contains("http://a:1");
        storeB.fence(SqlStore.NOT_LEADING, e -> { });

        storeA.putTeam("alpha", 8);
        assertThatThrownBy(() -> storeB.putTeam("beta", 8)).isInstanceOf(NotLeaderException.class)
                .hasMessageContaining("standby").hasMessageContaining("http://a:1");
        assertThat(storeB.teams()).extracting(TeamRecord::name).contains("alpha").doesNotContain("beta"); // a standby reads

        // renewals keep the lease: the standby finds it in force every time it looks
        long lastRenewal = 0;
        for (int i = 0; i < 5; i++) {
            a.tick();
            lastRenewal = System.nanoTime();
            b.tick();
            assertThat(b.epoch()).isEqualTo(-1);
            Thread.sleep(RENEW.toMillis());
        }
        assertThat(a.leading()).isTrue();

        // the leader stops renewing (paused); the standby takes over once the lease has run out, not before
        long tookOver = awaitTrue("the standby to take the lease over", Duration.ofSeconds(5), () -> {
            b.tick();
            return b.epoch() >= 0;
        });
        assertThat(Duration.ofNanos(tookOver - lastRenewal)).isGreaterThanOrEqualTo(LEASE.minusMillis(100));
        assertThat(b.epoch()).isEqualTo(2);
        assertThat(eventsB.seen).containsExactly("elected 2");
        storeB.fence(b.epoch(), e -> { });
        storeB.putTeam("gamma", 8);

        // the old leader resumes where it was: its store still carries epoch 1, and nothing it writes lands
        assertThatThrownBy(() -> storeA.putTeam("delta", 8)).isInstanceOfSatisfying(NotLeaderException.class, e -> {
            assertThat(e.heldEpoch()).isEqualTo(1);
            assertThat(e.currentEpoch()).isEqualTo(2);
            assertThat(e.leaderAddress()).isEqualTo("http://b:2");
        });
        assertThat(fencedA).hasSize(1);
        assertThat(storeA.teams()).extracting(TeamRecord::name).contains("alpha", "gamma").doesNotContain("beta", "delta");

        // its next round finds the lease gone and steps down; it does not take the lease back
        a.tick();
        assertThat(eventsA.seen).containsExactly("elected 1",
                "deposed 1: another controller took the lease: epoch 2, at http://b:2");
        b.tick();
        a.tick();
        assertThat(a.epoch()).isEqualTo(-1);
        assertThat(a.leaderAddress()).contains("http://b:2");
        assertThat(b.leading()).isTrue();
    }

    @Test
    void ofThreeControllersOneTakesOverAndTheThirdFollowsIt() throws Exception {
        TestDatabases.TestDb db = keep(TestDatabases.fresh(TestDatabases.Kind.POSTGRESQL, dir));
        DatabaseSpec spec = DatabaseSpec.postgres(db.jdbcUrl());
        keep(db.open());
        List<Leadership> all = new ArrayList<>();
        for (String n : List.of("a", "b", "c"))
            all.add(keep(new Leadership(spec, n, "http://" + n + ":1", LEASE, RENEW, POLL, System::nanoTime)));
        for (Leadership l : all) l.tick();
        assertThat(all).extracting(Leadership::epoch).containsExactly(1L, -1L, -1L);

        // a stops; b and c look in turn until one has the lease
        awaitTrue("b or c to take the lease", Duration.ofSeconds(5), () -> {
            all.get(1).tick();
            all.get(2).tick();
            return all.get(1).epoch() >= 0 || all.get(2).epoch() >= 0;
        });
        Leadership winner = all.get(1).epoch() >= 0 ? all.get(1) : all.get(2);
        Leadership other = winner == all.get(1) ? all.get(2) : all.get(1);
        assertThat(winner.epoch()).isEqualTo(2);
        other.tick();
        assertThat(other.epoch()).isEqualTo(-1);
        assertThat(other.leaderAddress()).contains(winner.address());
    }

    @Test
    void aLeaderThatClosesGivesTheLeaseUpAtOnce() throws Exception {
        TestDatabases.TestDb db = keep(TestDatabases.fresh(TestDatabases.Kind.POSTGRESQL, dir));
        DatabaseSpec spec = DatabaseSpec.postgres(db.jdbcUrl());
        keep(db.open()); // the schema
        Leadership a = new Leadership(spec, "a", "http://a:1", Duration.ofSeconds(30), RENEW, POLL, System::nanoTime);
        Leadership b = keep(new Leadership(spec, "b", "http://b:2", Duration.ofSeconds(30), RENEW, POLL, System::nanoTime));
        a.tick();
        b.tick();
        assertThat(b.epoch()).isEqualTo(-1);
        a.close();
        b.tick(); // well inside the 30 s lease
        assertThat(b.epoch()).isEqualTo(2);
    }

    /**
     * What lets a standby take over without reading the store again: a takeover whose transaction got the
     * first id not yet assigned at a quiet watermark proves nothing was written since; any write in between
     * (here by the old leader, just before its lease ran out) takes that id, and the proof fails.
     */
    @Test
    void aTakeoverTellsWhetherAnythingWasWrittenSinceTheStandbysWatermark() throws Exception {
        TestDatabases.TestDb db = keep(TestDatabases.fresh(TestDatabases.Kind.POSTGRESQL, dir));
        DatabaseSpec spec = DatabaseSpec.postgres(db.jdbcUrl());
        SqlStore store = keep(db.open());
        Duration shortLease = Duration.ofMillis(300);
        Duration renew = Duration.ofMillis(100);
        Leadership b = keep(new Leadership(spec, "b", "http://b:2", shortLease, renew, POLL, System::nanoTime));

        int current = 0;
        for (int round = 1; round <= 5 && current == 0; round++) {
            try (Leadership a = new Leadership(spec, "a" + round, "http://a:1", shortLease, renew, POLL, System::nanoTime)) {
                a.tick();
                assertThat(a.epoch()).isPositive();
                a.holdRounds(true); // dies: its lease runs out
                Leadership.Watermark w = b.watermark().orElseThrow();
                Thread.sleep(shortLease.toMillis() + 50);
                b.tick();
                assertThat(b.epoch()).isPositive();
                // nothing written: the takeover got the very next id, unless the server's other databases took one
                if (w.quiet() && b.takeoverXid() == w.xmax()) current++;
                b.close();
            }
            b = keep(new Leadership(spec, "b", "http://b:2", shortLease, renew, POLL, System::nanoTime));
        }
        assertThat(current).as("a takeover with nothing written since the watermark, in 5 tries").isPositive();

        try (Leadership a = new Leadership(spec, "a-last", "http://a:1", shortLease, renew, POLL, System::nanoTime)) {
            a.tick();
            assertThat(a.epoch()).isPositive();
            a.holdRounds(true);
            Leadership.Watermark w = b.watermark().orElseThrow();
            store.putTeam("written-after-the-watermark", 8); // unfenced: as the old leader's last commit
            Thread.sleep(shortLease.toMillis() + 50);
            b.tick();
            assertThat(b.epoch()).isPositive();
            assertThat(b.takeoverXid()).isGreaterThan(w.xmax());
        }
    }

    @Test
    void duringARollingUpgradeTheOlderControllerStepsDownForTheNewerSchema() throws Exception {
        TestDatabases.TestDb db = keep(TestDatabases.fresh(TestDatabases.Kind.POSTGRESQL, dir));
        DatabaseSpec spec = DatabaseSpec.postgres(db.jdbcUrl());
        keep(db.open()); // the schema, at this code's version
        int current = SqlStore.knownSchemaVersion();
        Leadership older = keep(new Leadership(spec, "old", "http://old:1", LEASE, RENEW, POLL, System::nanoTime));
        Leadership newer = keep(new Leadership(spec, "new", "http://new:2", LEASE, RENEW, POLL, System::nanoTime));
        older.knowsSchema(current);
        newer.knowsSchema(current + 1);
        Events events = new Events();
        older.listener(events);
        older.tick();
        newer.tick();
        assertThat(older.epoch()).isEqualTo(1);
        assertThat(newer.epoch()).isEqualTo(-1);

        // the newer controller starts and migrates the database one version further
        try (var c = java.sql.DriverManager.getConnection(db.jdbcUrl()); var st = c.createStatement()) {
            st.execute("INSERT INTO schema_version (version, description, applied_at) VALUES (" + (current + 1)
                    + ", 'next', '2026-12-06T00:00:00Z')");
        }
        older.tick();
        assertThat(events.seen).hasSize(2);
        assertThat(events.seen.get(1)).startsWith("deposed 1: the database's schema is at version " + (current + 1));
        assertThat(older.barred()).isPresent();
        newer.tick(); // at once: the older gave its lease up
        assertThat(newer.epoch()).isEqualTo(2);
        newer.tick();
        older.tick();
        assertThat(older.epoch()).isEqualTo(-1);
        assertThat(older.leaderAddress()).contains("http://new:2");
    }

    /**
     * Controllers A (started first, so it leads) and B on one fresh database; A's clock can be frozen
     * ({@code frozenAt}): paused and resumed, it still believes its lease is fresh.
     */
    private record Pair(GpufleetServer a, GpufleetServer b, Leadership leaseA, Leadership leaseB, AtomicLong frozenAt,
                        String token) {}

    private Pair pair(Duration lease, Duration renew) {
        TestDatabases.TestDb db = keep(TestDatabases.fresh(TestDatabases.Kind.POSTGRESQL, dir));
        DatabaseSpec spec = DatabaseSpec.postgres(db.jdbcUrl());
        AtomicLong frozenAt = new AtomicLong(0);
        Leadership leaseA = new Leadership(spec, "a", null, lease, renew, POLL,
                () -> frozenAt.get() != 0 ? frozenAt.get() : System.nanoTime());
        Leadership leaseB = new Leadership(spec, "b", null, lease, renew, POLL, System::nanoTime);
        GpufleetServer a = keep(start(db, dir.resolve("a"), leaseA));
        assertThat(a.ha().orElseThrow().scheduling()).isTrue();
        String token = Client.readAdminToken(dir.resolve("a"));
        GpufleetServer b = keep(start(db, dir.resolve("b"), leaseB));
        return new Pair(a, b, leaseA, leaseB, frozenAt, token);
    }

    @Test
    void aStandbySendsChangesToTheLeaderAndTakesOverFromAPausedOneWhichThenCommitsNothing() throws Exception {
        Pair p = pair(LEASE, RENEW);
        GpufleetServer a = p.a(), b = p.b();
        Leadership leaseA = p.leaseA();
        AtomicLong frozenAt = p.frozenAt();
        String token = p.token();
        Http toA = new Http(a.port(), token), toB = new Http(b.port(), token);
        String addrA = "http://127.0.0.1:" + a.port(), addrB = "http://127.0.0.1:" + b.port();

        JsonNode health = toB.get("/healthz").json();
        assertThat(health.get("role").stringValue()).isEqualTo("standby");
        assertThat(health.get("leader").stringValue()).isEqualTo(addrA);
        assertThat(toA.get("/healthz").json().get("role").stringValue()).isEqualTo("leader");

        Client api = new Client(a.port(), token);
        api.registerHost("node-a", 8, "r1", "z1");
        long first = api.submit("first", 8, 8);
        api.awaitState(first, "RUNNING");

        // the standby answers reads, and sends changes to the leader
        assertThat(toB.get("/jobs/" + first).status()).isEqualTo(200);
        var moved = toB.post("/jobs", "{\"name\":\"x\",\"gpus\":8,\"command\":[\"true\"]}");
        assertThat(moved.status()).as(moved.body()).isEqualTo(307);
        assertThat(moved.headers().firstValue("Location")).contains(addrA + "/api/v1/jobs");
        assertThat(moved.message()).contains("standby").contains(addrA);

        // A is paused: no lease rounds, its clock stands still; B takes over and schedules
        frozenAt.set(System.nanoTime());
        leaseA.holdRounds(true);
        long paused = System.nanoTime();
        awaitTrue("B to lead", Duration.ofSeconds(10), () -> b.ha().orElseThrow().scheduling());
        Duration takeover = Duration.ofNanos(System.nanoTime() - paused);
        assertThat(takeover).isLessThan(LEASE.plus(Duration.ofSeconds(2)));
        assertThat(toB.get("/healthz").json().get("role").stringValue()).isEqualTo("leader");
        assertThat(a.ha().orElseThrow().scheduling()).as("A still believes it leads").isTrue();

        // A, unaware, takes a change...
        var cancel = toA.post("/jobs/" + first + "/cancel", "{}");
        // ...and its commit is fenced out: the client is sent to B, and A steps down
        assertThat(cancel.status()).as(cancel.body()).isEqualTo(307);
        assertThat(cancel.headers().firstValue("Location")).contains(addrB + "/api/v1/jobs/" + first + "/cancel");
        assertThat(a.ha().orElseThrow().scheduling()).isFalse();
        assertThat(toB.get("/jobs/" + first).json().get("state").stringValue()).isEqualTo("RUNNING");

        long second = new Http(b.port(), token).submit("second", 8);
        // B cancels the first job for real and runs the second on the freed GPUs
        assertThat(toB.post("/jobs/" + first + "/cancel", "{}").status()).isEqualTo(200);
        awaitTrue("B to start the second job", Duration.ofSeconds(10),
                () -> toB.get("/jobs/" + second).json().get("state").stringValue().equals("RUNNING"));

        // A resumes: it stays a standby, answers reads, and sends changes to B
        leaseA.holdRounds(false);
        frozenAt.set(0);
        awaitTrue("A to report B as the leader", Duration.ofSeconds(5),
                () -> addrB.equals(toA.get("/healthz").json().path("leader").stringValue()));
        assertThat(toA.get("/healthz").json().get("role").stringValue()).isEqualTo("standby");
        assertThat(toA.post("/jobs", "{\"name\":\"y\",\"gpus\":8,\"command\":[\"true\"]}").status()).isEqualTo(307);
        assertThat(toA.get("/jobs").json().findValuesAsString("name")).containsExactlyInAnyOrder("first", "second");
        // and A's own loop committed nothing behind B's back: each job was started once
        assertThat(toB.get("/jobs/" + second).json().get("generation").longValue()).isEqualTo(1);
    }

    /**
     * While no controller may be leading (the leader's renewal is late), an agent's heartbeat or long poll
     * that reaches the standby waits there for the election instead of being sent back to the dead leader,
     * and so does a user's submission: once the standby leads it answers them itself, under its own epoch
     * and from its own view.
     */
    @Test
    void anAgentsCallsWaitAtTheStandbyForTheElectionAndTheNewLeaderAnswersThem() throws Exception {
        Pair p = pair(LEASE, RENEW);
        GpufleetServer a = p.a(), b = p.b();
        Leadership leaseA = p.leaseA(), leaseB = p.leaseB();
        AtomicLong frozenAt = p.frozenAt();
        String token = p.token();
        Client api = new Client(a.port(), token);
        JsonNode reg = api.ok(api.post("/hosts/register", "{\"name\":\"node-a\",\"gpus\":8,\"rack\":\"r1\",\"zone\":\"z1\"}"));
        long host = reg.get("id").longValue(), generation = reg.get("generation").longValue();
        long job = api.submit("first", 8, 8);
        api.awaitState(job, "RUNNING");
        long versionAtA = api.ok(api.get("/hosts/" + host + "/assignments?generation=" + generation)).get("version").longValue();
        Http agentToB = new Http(b.port(), api.credential("node-a"));

        frozenAt.set(System.nanoTime());
        leaseA.holdRounds(true);
        awaitTrue("B to see A's renewal late", Duration.ofSeconds(10), leaseB::leaderMayBeGone);
        assertThat(b.ha().orElseThrow().scheduling()).as("B took over already; the test needs the moment before").isFalse();
        var poll = java.util.concurrent.CompletableFuture.supplyAsync(() -> agentToB.get("/hosts/" + host
                + "/assignments?generation=" + generation + "&version=" + versionAtA + "&waitMs=10000"));
        var beat = java.util.concurrent.CompletableFuture.supplyAsync(() -> agentToB.post("/hosts/" + host + "/heartbeat",
                "{\"generation\":" + generation + ",\"tasks\":[{\"job\":" + job + ",\"generation\":1,\"exits\":[]}],"
                        + "\"gpus\":[],\"telemetry\":[]}"));

        // a user's submission waits there too, and is taken by the new leader rather than refused
        var submitted = java.util.concurrent.CompletableFuture.supplyAsync(() -> new Http(b.port(), token).post("/jobs",
                "{\"name\":\"during\",\"gpus\":8,\"tp\":8,\"command\":[\"true\"],\"checkpointDir\":\"/shared/x\"}"));

        Http.Answer polled = poll.get(15, java.util.concurrent.TimeUnit.SECONDS);
        Http.Answer beaten = beat.get(15, java.util.concurrent.TimeUnit.SECONDS);
        Http.Answer submission = submitted.get(15, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(b.ha().orElseThrow().scheduling()).isTrue();
        assertThat(submission.status()).as(submission.body()).isEqualTo(201);
        assertThat(new Http(b.port(), token).get("/jobs/" + submission.json().get("id").longValue()).json()
                .get("name").stringValue()).isEqualTo("during");
        long epochB = leaseB.epoch();
        // neither was sent back to A, nor refused for want of a leader: B answered both as the leader
        assertThat(polled.status()).as(polled.body()).isEqualTo(200);
        assertThat(beaten.status()).as(beaten.body()).isEqualTo(200);
        assertThat(polled.json().get("epoch").longValue()).isEqualTo(epochB).isGreaterThan(leaseA.epoch());
        assertThat(beaten.json().get("epoch").longValue()).isEqualTo(epochB);
        assertThat(polled.json().get("assignments").findValuesAsString("name")).containsExactly("first");
        assertThat(b.ha().orElseThrow().scheduling()).isTrue();
    }

    /**
     * A call waiting at the standby for an election that does not happen (the late leader renews after
     * all) is sent to that leader.
     */
    @Test
    void anAgentsCallWaitingAtTheStandbyIsSentToTheLeaderWhenItRenewsAfterAll() throws Exception {
        // a lease long enough that the late renewal is seen well before the lease runs out
        Pair p = pair(Duration.ofSeconds(4), Duration.ofSeconds(1));
        GpufleetServer a = p.a(), b = p.b();
        Leadership leaseA = p.leaseA(), leaseB = p.leaseB();
        String token = p.token();
        Client api = new Client(a.port(), token);
        JsonNode reg = api.ok(api.post("/hosts/register", "{\"name\":\"node-a\",\"gpus\":8,\"rack\":\"r1\",\"zone\":\"z1\"}"));
        long host = reg.get("id").longValue(), generation = reg.get("generation").longValue();
        Http agentToB = new Http(b.port(), api.credential("node-a"));
        String addrA = "http://127.0.0.1:" + a.port();
        // while A renews on time, B sends the agent to A at once
        var direct = agentToB.get("/hosts/" + host + "/assignments?generation=" + generation + "&waitMs=10000");
        assertThat(direct.status()).as(direct.body()).isEqualTo(307);

        leaseA.holdRounds(true);
        awaitTrue("B to see A's renewal late", Duration.ofSeconds(10), leaseB::leaderMayBeGone);
        var poll = java.util.concurrent.CompletableFuture.supplyAsync(() -> agentToB.get("/hosts/" + host
                + "/assignments?generation=" + generation + "&waitMs=10000"));
        leaseA.holdRounds(false);
        leaseA.tick(); // renews now, before the lease runs out
        Http.Answer polled = poll.get(15, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(polled.status()).as(polled.body()).isEqualTo(307);
        assertThat(polled.headers().firstValue(HaRole.LEADER_HEADER)).contains(addrA);
        assertThat(a.ha().orElseThrow().scheduling()).isTrue();
        assertThat(b.ha().orElseThrow().scheduling()).isFalse();
    }

    private static GpufleetServer start(TestDatabases.TestDb db, Path dataDir, Leadership lease) {
        SqlStore store = db.open();
        return GpufleetServer.start(store, dataDir, "127.0.0.1", 0, Duration.ofMillis(100),
                ControllerOptions.DEFAULTS.withHeartbeatTimeout(Duration.ofSeconds(120)), Usage.DEFAULT_GPU_HOUR_USD,
                Security.defaults(), new HaRole(lease, store));
    }

    /** Polls {@code done} until it holds; returns System.nanoTime() at that moment. */
    static long awaitTrue(String what, Duration limit, BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError("waited " + limit.toSeconds() + " s for " + what);
            Thread.sleep(20);
        }
        return System.nanoTime();
    }

    /** Requests that follow no redirect, so that a test sees the 307 itself. */
    record Http(int port, String token) {
        private static final HttpClient HTTP = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();

        record Answer(int status, String body, java.net.http.HttpHeaders headers) {
            JsonNode json() {
                return Client.JSON.readTree(body);
            }

            String message() {
                return json().get("error").get("message").stringValue();
            }
        }

        Answer get(String path) {
            return send(HttpRequest.newBuilder(uri(path)).GET());
        }

        Answer post(String path, String body) {
            return send(HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body)));
        }

        long submit(String name, int gpus) {
            Answer a = post("/jobs", "{\"name\":\"" + name + "\",\"gpus\":" + gpus + ",\"tp\":" + gpus
                    + ",\"command\":[\"true\"],\"checkpointDir\":\"/shared/x\"}");
            if (a.status() != 201) throw new AssertionError(a.status() + " " + a.body());
            return a.json().get("id").longValue();
        }

        private URI uri(String path) {
            return URI.create("http://127.0.0.1:" + port + "/api/v1" + path);
        }

        private Answer send(HttpRequest.Builder b) {
            try {
                HttpResponse<String> r = HTTP.send(b.header("Authorization", "Bearer " + token)
                        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
                return new Answer(r.statusCode(), r.body(), r.headers());
            } catch (Exception e) {
                throw new AssertionError("request failed: " + e, e);
            }
        }
    }
}
