package gpufleet.server;

import gpufleet.core.sched.PolicyRegistry;
import gpufleet.server.control.ControllerOptions;
import gpufleet.server.store.SqlStore;
import gpufleet.server.view.Usage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Expected starts through the API: one 8-GPU host runs a job with a one-hour limit, and three jobs
 * queue behind it, the first two with limits, the last behind one without.
 */
class QueueForecastApiTest {
    @TempDir
    Path dir;
    GpufleetServer server;
    Client api;

    @BeforeEach
    void start() {
        server = GpufleetServer.start(SqlStore.sqlite(dir), dir, "127.0.0.1", 0, Duration.ofMillis(50),
                ControllerOptions.DEFAULTS.withPolicy(PolicyRegistry.get("fifo-backfill")), Usage.DEFAULT_GPU_HOUR_USD,
                Security.defaults());
        api = new Client(server.port(), dir);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private long submit(String name, Long limit) {
        return api.ok(api.post("/jobs", ("{\"name\":\"%s\",\"team\":\"default\",\"gpus\":8,\"tp\":1,"
                + "\"command\":[\"python\",\"train.py\"]%s}").formatted(name,
                limit == null ? "" : ",\"timeLimitSeconds\":" + limit))).get("id").longValue();
    }

    @Test
    void waitingJobsCarryTheirExpectedStartsAndWhyTheyWait() {
        api.registerHost("h1", 8, "r1", "z1");
        long a = submit("running", 3_600L);
        double end = api.awaitState(a, "RUNNING").get("estimatedEnd").doubleValue();
        // a forecast of the empty queue, taken just now, must not stand in for the one asked below
        assertThat(api.ok(api.get("/queue/forecast")).get("jobs")).isEmpty();
        long b = submit("next", 600L);     // starts when the running job's hour is up
        long c = submit("then", null);     // starts when b's ten minutes are up, and runs for ever
        long d = submit("last", 60L);      // behind a job without a limit: nobody knows

        JsonNode f = api.ok(api.get("/queue/forecast"));
        assertThat(f.get("jobs")).hasSize(3);
        JsonNode fb = f.get("jobs").get(0);
        assertThat(fb.get("id").longValue()).isEqualTo(b);
        assertThat(fb.get("startOutcome").stringValue()).isEqualTo("STARTS");
        assertThat(fb.get("expectedStart").doubleValue()).isEqualTo(end);
        assertThat(fb.get("waitReason").stringValue()).contains("needs 8 GPUs, 0 free").contains(" UTC");
        JsonNode fc = f.get("jobs").get(1);
        assertThat(fc.get("id").longValue()).isEqualTo(c);
        assertThat(fc.get("expectedStart").doubleValue()).isEqualTo(end + 600);
        JsonNode fd = f.get("jobs").get(2);
        assertThat(fd.get("id").longValue()).isEqualTo(d);
        assertThat(fd.get("startOutcome").stringValue()).isEqualTo("NO_ESTIMATE");
        assertThat(fd.get("expectedStart").isNull()).isTrue();
        assertThat(fd.get("waitReason").stringValue()).endsWith("no estimate: 1 job runs without a time limit");

        // the jobs list and a job's own page carry the same, for waiting jobs only
        JsonNode list = api.ok(api.get("/jobs"));
        for (JsonNode j : list) {
            long id = j.get("id").longValue();
            if (id == a) assertThat(j.has("expectedStart")).as("a running job has no expected start").isFalse();
            if (id == b) assertThat(j.get("expectedStart").doubleValue()).isEqualTo(end);
            if (id == d) assertThat(j.get("startOutcome").stringValue()).isEqualTo("NO_ESTIMATE");
        }
        JsonNode one = api.job(c);
        assertThat(one.get("expectedStart").doubleValue()).isEqualTo(end + 600);
        assertThat(one.get("waitReason").stringValue()).isEqualTo(fc.get("waitReason").stringValue());
    }
}
