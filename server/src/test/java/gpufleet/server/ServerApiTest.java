package gpufleet.server;

import gpufleet.testkit.TestDatabases;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import tools.jackson.databind.JsonNode;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

@ParameterizedClass(name = "{0}")
@EnumSource(TestDatabases.Kind.class)
class ServerApiTest {
    @Parameter
    TestDatabases.Kind kind;
    @TempDir
    Path dir;
    TestDatabases.TestDb db;
    GpufleetServer server;
    Client api;

    @BeforeEach
    void start() {
        db = TestDatabases.fresh(kind, dir);
        server = GpufleetServer.start(db.open(), dir, "127.0.0.1", 0, Duration.ofMillis(200));
        api = new Client(server.port(), dir);
    }

    @AfterEach
    void stop() {
        try {
            if (server != null) server.close();
        } finally {
            if (db != null) db.close();
        }
    }

    /** host → GPU → job, from the stored placements of RUNNING jobs; fails if a GPU is held twice. */
    static Map<String, Map<Integer, Integer>> storedOwners(Client api) {
        Map<String, Map<Integer, Integer>> out = new HashMap<>();
        for (JsonNode j : api.ok(api.get("/jobs?state=RUNNING")))
            for (JsonNode hg : j.get("placement"))
                for (JsonNode g : hg.get("gpus")) {
                    Integer was = out.computeIfAbsent(hg.get("host").stringValue(), k -> new HashMap<>())
                            .put(g.intValue(), j.get("id").intValue());
                    assertThat(was).as("GPU %s of %s held twice", g, hg.get("host")).isNull();
                }
        return out;
    }

    @Test
    void submittedJobIsPlacedOnRegisteredHostsWithTensorGroupsInsideHosts() {
        api.registerHost("node-a", 8, "r1", "z1");
        api.registerHost("node-b", 8, "r1", "z1");
        api.registerHost("node-c", 8, "r2", "z1");
        long big = api.submit("big", 12, 4);
        long small = api.submit("small", 6, 2);

        JsonNode b = api.awaitState(big, "RUNNING");
        JsonNode s = api.awaitState(small, "RUNNING");
        for (JsonNode j : new JsonNode[] {b, s}) {
            int total = 0;
            int tp = j.get("tp").intValue();
            for (JsonNode hg : j.get("placement")) {
                assertThat(hg.get("gpus").size() % tp).as("TP groups stay inside a host").isZero();
                total += hg.get("gpus").size();
            }
            assertThat(total).isEqualTo(j.get("gpus").intValue());
            assertThat(j.get("generation").longValue()).isEqualTo(1);
            assertThat(j.get("startTime").isNumber()).isTrue();
            assertThat(j.get("events").findValuesAsString("kind")).containsExactly("SUBMITTED", "STARTED");
        }
        Map<String, Map<Integer, Integer>> stored = storedOwners(api);
        assertThat(stored.values().stream().mapToInt(Map::size).sum()).isEqualTo(18);
        assertThat(server.controller().gpuOwners()).isEqualTo(stored);
    }

    @Test
    void pendingJobsWaitInOrderWithAReasonAndCancelFreesTheirGpus() {
        api.registerHost("node-a", 8, "r1", "z1");
        api.registerHost("node-b", 8, "r1", "z1");
        long first = api.submit("first", 16, 8);
        api.awaitState(first, "RUNNING");
        long second = api.submit("second", 8, 8);
        long third = api.submit("third", 8, 8);
        server.controller().cycle();

        JsonNode pending = api.ok(api.get("/jobs?state=PENDING"));
        assertThat(pending.findValuesAsString("name")).containsExactly("second", "third");
        for (JsonNode j : pending) assertThat(j.get("reason").stringValue()).startsWith("waiting for free GPUs");
        assertThat(pending.get(0).get("reason").stringValue()).contains("reservation");
        // the reason's code, the scheduler's status, comes next to it: in the list and in the detail
        assertThat(pending.findValuesAsString("reasonCode")).containsExactly("HOLDS_RESERVATION", "NO_FREE_GPUS");
        List<String> fields = new ArrayList<>();
        pending.get(0).propertyNames().forEach(fields::add);
        assertThat(fields.get(fields.indexOf("reason") + 1)).isEqualTo("reasonCode");
        assertThat(api.ok(api.get("/jobs/" + second)).get("reasonCode").stringValue()).isEqualTo("HOLDS_RESERVATION");
        assertThat(api.ok(api.get("/jobs/" + first)).get("reasonCode").isNull()).as("a running job does not wait").isTrue();

        JsonNode cancelled = api.ok(api.post("/jobs/" + first + "/cancel", ""));
        assertThat(cancelled.get("state").stringValue()).isEqualTo("CANCELLED");
        assertThat(cancelled.get("placement").isEmpty()).isTrue();
        assertThat(cancelled.get("generation").longValue()).isEqualTo(2);

        api.awaitState(second, "RUNNING");
        assertThat(api.awaitState(third, "RUNNING").get("reasonCode").isNull()).isTrue();
        assertThat(server.controller().gpuOwners()).isEqualTo(storedOwners(api));
        assertThat(server.controller().gpuOwners().values().stream().flatMap(m -> m.values().stream()))
                .doesNotContain((int) first);
        assertThat(api.post("/jobs/" + first + "/cancel", "").status()).isEqualTo(409);
    }

    @Test
    void listFiltersByStateAndTeam() {
        api.registerHost("node-a", 8, "r1", "z1");
        api.ok(api.put("/teams/vision", "{\"quotaGpus\":4}"));
        long d = api.submit("d", 2, 1);
        long v = api.ok(api.post("/jobs", "{\"name\":\"v\",\"team\":\"vision\",\"gpus\":8,\"command\":[\"x\"]}"))
                .get("id").longValue();
        api.awaitState(d, "RUNNING");
        server.controller().cycle();
        assertThat(api.ok(api.get("/jobs?team=vision")).findValuesAsString("name")).containsExactly("v");
        assertThat(api.job(v).get("reason").stringValue()).startsWith("team quota");
        assertThat(api.ok(api.get("/jobs?state=running")).findValuesAsString("name")).containsExactly("d");
        assertThat(api.get("/jobs?state=bogus").status()).isEqualTo(400);
    }

    @Test
    void drainedHostTakesNoNewWorkAndResumeReturnsIt() {
        api.registerHost("node-a", 8, "r1", "z1");
        assertThat(api.ok(api.post("/hosts/node-a/drain", "")).get("status").stringValue()).isEqualTo("DRAINING");
        long j = api.submit("j", 8, 8);
        server.controller().cycle();
        assertThat(api.job(j).get("state").stringValue()).isEqualTo("PENDING");
        api.ok(api.post("/hosts/node-a/resume", ""));
        api.awaitState(j, "RUNNING");
        assertThat(api.post("/hosts/nope/drain", "").status()).isEqualTo(404);
    }

    @Test
    void heartbeatIsFencedByGeneration() {
        long id = api.registerHost("node-a", 8, "r1", "z1");
        assertThat(api.ok(api.post("/hosts/" + id + "/heartbeat", "{\"generation\":1}")).get("generation").longValue())
                .isEqualTo(1);
        JsonNode again = api.ok(api.post("/hosts/register", "{\"name\":\"node-a\",\"gpus\":8,\"rack\":\"r1\",\"zone\":\"z1\"}"));
        assertThat(again.get("id").longValue()).isEqualTo(id);
        assertThat(again.get("generation").longValue()).isEqualTo(2);
        var stale = api.post("/hosts/" + id + "/heartbeat", "{\"generation\":1}");
        assertThat(stale.status()).isEqualTo(409);
        assertThat(stale.field()).isEqualTo("generation");
        assertThat(stale.code()).isEqualTo("stale_generation");
        var unknown = api.post("/hosts/999/heartbeat", "{\"generation\":1}");
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(unknown.code()).isEqualTo("not_found");
    }

    /**
     * Regression: a poll's timeout completed the host's shared wait, so once one poll had timed out
     * every later poll with the same version was answered at once and agents polled in a tight loop,
     * spending their rate limit until their heartbeats were refused and their hosts declared lost.
     */
    @Test
    void aPollThatTimedOutLeavesTheNextOneWaiting() {
        long id = api.registerHost("node-a", 8, "r1", "z1");
        String path = "/hosts/" + id + "/assignments?generation=1&version=";
        long version = api.ok(api.get(path + "-1&waitMs=0")).get("version").longValue();
        long t0 = System.nanoTime();
        api.ok(api.get(path + version + "&waitMs=300"));
        assertThat((System.nanoTime() - t0) / 1e6).as("the first poll waits its time").isGreaterThanOrEqualTo(250);
        t0 = System.nanoTime();
        api.ok(api.get(path + version + "&waitMs=1000"));
        assertThat((System.nanoTime() - t0) / 1e6).as("and so does the next").isGreaterThanOrEqualTo(900);
        // a change still ends a wait: the poll asks for a minute, and the client gives up after 10 s,
        // so only a woken poll answers at all
        long job = api.submit("wake", 8, 8);
        JsonNode woken = api.ok(api.get(path + version + "&waitMs=60000"));
        assertThat(woken.get("assignments").findValuesAsString("name")).contains("wake");
        assertThat(job).isPositive();
    }

    @Test
    void teamsAreListedInCodePointOrderOnEveryDatabase() {
        for (String t : new String[] {"b", "Vision", "a-c", "ab", "B", "a.z"})
            api.ok(api.put("/teams/" + t, "{\"quotaGpus\":8}"));
        // the order SQLite gives; a linguistic collation would put "B" after "b" and "Vision" last
        assertThat(api.ok(api.get("/teams")).findValuesAsString("name"))
                .containsExactly("B", "Vision", "a-c", "a.z", "ab", "b", "default");
    }

    @Test
    void healthAndOpenApiDescribeTheRoutes() {
        JsonNode health = api.ok(api.get("/healthz"));
        assertThat(health.get("schemaVersion").intValue()).isEqualTo(9);
        assertThat(health.get("role").stringValue()).isEqualTo("leader"); // the only controller on its database
        JsonNode doc = api.ok(api.get("/openapi.json"));
        assertThat(doc.get("openapi").stringValue()).startsWith("3.");
        Set<String> paths = new HashSet<>(doc.get("paths").propertyNames());
        assertThat(paths).contains("/jobs", "/jobs/{id}", "/jobs/{id}/cancel", "/hosts/register",
                "/hosts/{id}/heartbeat", "/hosts/{id}/assignments", "/hosts", "/hosts/{name}/drain",
                "/hosts/{name}/resume", "/healthz", "/openapi.json", "/jobs/{id}/logs/{rank}");
    }

    @Test
    void aRegistrationRepeatedByTheSameAgentRunKeepsTheHostsJobs() {
        String reg = "{\"name\":\"node-r\",\"gpus\":8,\"rack\":\"r1\",\"zone\":\"z1\",\"incarnation\":\"%s\"}";
        JsonNode first = api.ok(api.post("/hosts/register", reg.formatted("run-1")));
        long job = api.submit("j", 8, 8);
        JsonNode running = api.awaitState(job, "RUNNING");

        // the agent's first answer was lost, say: it asks again, and nothing is restarted
        JsonNode again = api.ok(api.post("/hosts/register", reg.formatted("run-1")));
        assertThat(again.get("generation").longValue()).isEqualTo(first.get("generation").longValue());
        JsonNode still = api.job(job);
        assertThat(still.get("state").stringValue()).isEqualTo("RUNNING");
        assertThat(still.get("generation").longValue()).isEqualTo(running.get("generation").longValue());

        // a new run of the agent: its predecessor's ranks are gone, so the job restarts
        JsonNode other = api.ok(api.post("/hosts/register", reg.formatted("run-2")));
        assertThat(other.get("generation").longValue()).isEqualTo(first.get("generation").longValue() + 1);
        JsonNode restarted = api.job(job);
        assertThat(restarted.get("restarts").intValue()).isEqualTo(1);
        assertThat(restarted.get("events").toString()).contains("AGENT_RESTARTED");
    }
}
