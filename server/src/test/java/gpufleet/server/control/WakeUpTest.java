package gpufleet.server.control;

import gpufleet.core.job.JobState;
import gpufleet.core.sched.PolicyRegistry;
import gpufleet.protocol.Registration;
import gpufleet.server.store.NewJob;
import gpufleet.testkit.TestDatabases;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The controller runs a cycle when the policy asks for one, not only every period: under
 * {@code tiresias-las} a running job crossing its queue's limit is demoted at that time, and a job
 * waiting in a higher queue takes its GPUs then. The loop's period is an hour here, so only the
 * wake-up can make the change in time.
 */
class WakeUpTest {
    @TempDir
    Path dir;
    TestDatabases.TestDb db;
    Controller c;

    @AfterEach
    void stop() {
        try {
            if (c != null) c.close();
        } finally {
            if (db != null) db.close();
        }
    }

    private static NewJob job(String name) {
        return new NewJob(name, "default", 8, 1, 1, 1, 1, List.of("train"), 3, "/shared/" + name, null);
    }

    private JobState state(long id) {
        return c.store().job(id).orElseThrow().state();
    }

    /** Waits until the job is in {@code s}, at most {@code within}; false if it never was. */
    private boolean awaitState(long id, JobState s, Duration within) {
        long deadline = System.currentTimeMillis() + within.toMillis();
        while (System.currentTimeMillis() < deadline) {
            if (state(id) == s) return true;
            java.util.concurrent.locks.LockSupport.parkNanos(20_000_000); // polls the store; no thread to line up
        }
        return state(id) == s;
    }

    @Test
    void aDemotionTheLastCycleForesawRunsAtItsTimeRatherThanAtTheNextPeriod() {
        db = TestDatabases.fresh(TestDatabases.Kind.SQLITE, dir);
        // a job leaves the first queue after 8 GPU-seconds: one second on 8 GPUs
        c = new Controller(db.open(), Clock.systemUTC(),
                ControllerOptions.DEFAULTS.withPolicy(PolicyRegistry.get("tiresias-las", new double[] {8})));
        c.registerHost(new Registration("h1", 8, "r1", "z1", null, List.of()), "10.0.0.1");
        c.start(Duration.ofHours(1));
        long first = c.submit(job("first")).id();
        assertThat(awaitState(first, JobState.RUNNING, Duration.ofSeconds(10))).as("first starts").isTrue();
        long second = c.submit(job("second")).id();
        assertThat(awaitState(second, JobState.RUNNING, Duration.ofSeconds(15)))
                .as("second takes the GPUs once first is demoted, about a second after first started").isTrue();
        assertThat(state(first)).isEqualTo(JobState.PREEMPTED);
    }
}
