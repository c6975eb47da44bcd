package gpufleet.server;

import gpufleet.testkit.TestDatabases;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the API tells an operator before they lose work: a submission whose checkpoints would stay on
 * local disks is warned about, and a host whose GPU still reports a fault is not resumed without
 * {@code force}, which the audit log records.
 */
class OperatorSafetyApiTest {
    @TempDir
    Path dir;
    TestDatabases.TestDb db;
    GpufleetServer server;

    @AfterEach
    void stop() {
        if (server != null) server.close();
        if (db != null) db.close();
    }

    private Client start() {
        db = TestDatabases.fresh(TestDatabases.Kind.SQLITE, dir);
        server = GpufleetServer.start(db.open(), dir, "127.0.0.1", 0, Duration.ofMillis(200));
        return new Client(server.port(), dir);
    }

    @Test
    void aJobWithoutACheckpointLocationThatSurvivesAHostIsWarnedAbout() {
        Client c = start();
        c.registerHost("node-a", 8, "r1", "z1");
        JsonNode local = c.ok(c.post("/jobs", "{\"name\":\"local\",\"gpus\":1,\"command\":[\"true\"]}"));
        assertThat(local.get("warnings")).hasSize(1);
        assertThat(local.get("warnings").get(0).stringValue()).contains("no checkpoint location survives a host")
                .contains("--checkpoint-root").contains("lost");
        JsonNode shared = c.ok(c.post("/jobs", "{\"name\":\"shared\",\"gpus\":1,\"command\":[\"true\"],\"checkpointDir\":\"/mnt/ck/x\"}"));
        assertThat(shared.get("warnings")).isEmpty();
    }

    @Test
    void resumingAHostWhoseGpuStillReportsAFaultNeedsForceAndTheAuditLogSaysSo() {
        Client c = start();
        long id = c.registerHost("node-a", 8, "r1", "z1");
        c.ok(c.post("/hosts/" + id + "/heartbeat", "{\"generation\":1,\"gpus\":[{\"index\":3,\"healthy\":false,\"xid\":79,"
                + "\"detail\":\"XID 79: GPU has fallen off the bus\"}]}"));
        Client.Response refused = c.post("/hosts/node-a/resume", "");
        assertThat(refused.status()).isEqualTo(409);
        assertThat(refused.message()).contains("GPU 3").contains("XID 79").contains("--force");
        assertThat(refused.code()).as("a client offers --force on this code").isEqualTo("gpu_fault");
        assertThat(c.ok(c.get("/hosts")).get(0).get("status").stringValue()).isEqualTo("DRAINING");

        JsonNode forced = c.ok(c.post("/hosts/node-a/resume", "{\"force\":true}"));
        assertThat(forced.get("status").stringValue()).isEqualTo("UP");
        assertThat(forced.get("unhealthyGpus")).isEmpty();
        JsonNode log = c.ok(c.get("/audit?limit=50"));
        assertThat(log.toString()).contains("host node-a (forced: GPUs still reported faulty go back into service)");
        assertThat(c.post("/hosts/node-a/resume", "{\"force\":\"yes\"}").status()).isEqualTo(400);
    }
}
