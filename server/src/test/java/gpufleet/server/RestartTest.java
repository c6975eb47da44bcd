package gpufleet.server;

import gpufleet.testkit.TestDatabases;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import tools.jackson.databind.JsonNode;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** A controller stopped without any shutdown work comes back with every job as it was committed. */
@ParameterizedClass(name = "{0}")
@EnumSource(TestDatabases.Kind.class)
class RestartTest {
    @Parameter
    TestDatabases.Kind kind;
    @TempDir
    Path dir;
    TestDatabases.TestDb db;

    private GpufleetServer start() {
        if (db == null) db = TestDatabases.fresh(kind, dir);
        return GpufleetServer.start(db.open(), dir, "127.0.0.1", 0, Duration.ofMillis(200));
    }

    @AfterEach
    void dropDatabase() {
        if (db != null) db.close();
    }

    @Test
    void restartAfterCrashRecoversEveryJobWithItsPlacement() {
        GpufleetServer first = start();
        Client api = new Client(first.port(), dir);
        api.registerHost("node-a", 8, "r1", "z1");
        api.registerHost("node-b", 8, "r1", "z1");
        api.registerHost("node-c", 4, "r2", "z1");
        long wide = api.submit("wide", 16, 8);
        long narrow = api.submit("narrow", 2, 2);
        api.awaitState(wide, "RUNNING");
        api.awaitState(narrow, "RUNNING");
        long queued = api.submit("queued", 8, 8);
        long gone = api.submit("gone", 1, 1);
        api.awaitState(gone, "RUNNING");
        api.ok(api.post("/jobs/" + gone + "/cancel", ""));
        api.ok(api.post("/hosts/node-c/drain", ""));
        first.controller().cycle();
        assertThat(api.job(queued).get("state").stringValue()).isEqualTo("PENDING");

        JsonNode jobsBefore = api.ok(api.get("/jobs"));
        JsonNode hostsBefore = api.ok(api.get("/hosts"));
        Map<String, Map<Integer, Integer>> ownersBefore = first.controller().gpuOwners();
        assertThat(ownersBefore).isEqualTo(ServerApiTest.storedOwners(api));

        first.crash(); // no store close, no flush: only what was committed survives

        GpufleetServer second = start();
        try {
            Client again = new Client(second.port(), dir);
            assertThat(again.ok(again.get("/jobs"))).isEqualTo(jobsBefore);
            // heartbeat times live in memory: a restarted controller has heard from nobody yet
            assertThat(withoutHeartbeats(again.ok(again.get("/hosts")))).isEqualTo(withoutHeartbeats(hostsBefore));
            assertThat(second.controller().gpuOwners()).isEqualTo(ownersBefore);

            // the recovered controller keeps scheduling: freeing the wide job lets the queued one run
            again.ok(again.post("/jobs/" + wide + "/cancel", ""));
            JsonNode q = again.awaitState(queued, "RUNNING");
            assertThat(q.get("generation").longValue()).isEqualTo(1);
            assertThat(second.controller().gpuOwners()).isEqualTo(ServerApiTest.storedOwners(again));
            // node-c was drained before the crash: it keeps the job it had and takes no new one
            assertThat(q.get("placement").findValuesAsString("host")).doesNotContain("node-c");
            assertThat(second.controller().gpuOwners().get("node-c")).containsOnlyKeys(0, 1).containsValue((int) narrow);
        } finally {
            second.close();
        }
    }

    @Test
    void hostsRegisteringOverTimeCarryRunningJobsOver() {
        try (GpufleetServer s = start()) {
            Client api = new Client(s.port(), dir);
            api.registerHost("node-m", 8, "r5", "z2");
            long j = api.submit("early", 8, 8);
            JsonNode before = api.awaitState(j, "RUNNING");
            // new hosts sort before and after node-m in the layout, so the core's host ids all change
            api.registerHost("node-a", 8, "r1", "z1");
            api.registerHost("node-z", 8, "r9", "z9");
            api.registerHost("node-4", 4, "r1", "z1");
            assertThat(api.job(j).get("placement")).isEqualTo(before.get("placement"));
            assertThat(s.controller().gpuOwners()).isEqualTo(Map.of("node-m",
                    Map.of(0, (int) j, 1, (int) j, 2, (int) j, 3, (int) j, 4, (int) j, 5, (int) j, 6, (int) j, 7, (int) j)));
            long wide = api.submit("wide", 16, 8);
            api.awaitState(wide, "RUNNING");
            assertThat(s.controller().gpuOwners()).isEqualTo(ServerApiTest.storedOwners(api));
        }
    }

    private static JsonNode withoutHeartbeats(JsonNode hosts) {
        JsonNode copy = hosts.deepCopy();
        for (JsonNode h : copy) ((tools.jackson.databind.node.ObjectNode) h).remove("lastHeartbeat");
        return copy;
    }
}
