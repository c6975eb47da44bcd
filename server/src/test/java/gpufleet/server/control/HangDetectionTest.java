package gpufleet.server.control;

import gpufleet.core.job.JobState;
import gpufleet.protocol.Registration;
import gpufleet.protocol.TaskReport;
import gpufleet.server.store.HostRecord;
import gpufleet.server.store.JobEvent;
import gpufleet.server.store.JobRecord;
import gpufleet.server.store.NewJob;
import gpufleet.testkit.FakeAgent;
import gpufleet.testkit.ManualClock;
import gpufleet.testkit.TestDatabases;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * The hang detector on a clock the test moves: a run that reported progress and then reports none for
 * {@code --hang-timeout} has its gang stopped (HUNG) and restarts at once from its checkpoint, not a second
 * before the timeout; a run that never reported progress, and any run while the detector is off, is never
 * taken as hung.
 */
class HangDetectionTest {
    @TempDir
    Path dir;
    TestDatabases.TestDb db;
    final ManualClock clock = new ManualClock(Instant.parse("2026-12-01T00:00:00Z"));

    @AfterEach
    void drop() {
        if (db != null) db.close();
    }

    private Controller controller(ControllerOptions options) {
        if (db == null) db = TestDatabases.fresh(TestDatabases.Kind.SQLITE, dir);
        // cycles only where the test runs them, so a restart is seen before the job runs again
        return new Controller(db.open(), clock, options).manualCycles();
    }

    private static JobRecord job(Controller c, long id) {
        return c.store().job(id).orElseThrow();
    }

    /** A heartbeat of host {@code h} reporting the job's current run, with these times (null: none). */
    private static void report(Controller c, HostRecord h, long id, long generation, Double checkpoint, Double progress) {
        new FakeAgent(c::heartbeat, h.id(), h.generation())
                .report(List.of(new TaskReport(id, generation, List.of(), checkpoint, null, progress)), List.of());
    }

    @Test
    void aRunThatStopsReportingProgressIsRestartedAtTheHangTimeoutAndNotASecondBefore() {
        try (Controller c = controller(ControllerOptions.DEFAULTS.withHangTimeout(60))) {
            HostRecord h1 = c.registerHost(new Registration("h1", 8, "r1", "z1", null, List.of()), "10.0.0.1");
            HostRecord h2 = c.registerHost(new Registration("h2", 8, "r1", "z1", null, List.of()), "10.0.0.2");
            long id = c.submit(new NewJob("train", "default", 16, 8, 1, 1, 1, List.of("train"), 10, "/shared/ck")).id();
            c.cycle();
            JobRecord run = job(c, id);
            assertThat(run.state()).isEqualTo(JobState.RUNNING);
            long g = run.generation();
            double t0 = clock.seconds();

            // progress from both hosts; a checkpoint 10 s in; the last progress 20 s in, on one host only
            report(c, h1, id, g, null, t0);
            report(c, h2, id, g, null, t0);
            clock.advance(Duration.ofSeconds(10));
            report(c, h1, id, g, clock.seconds(), clock.seconds());
            clock.advance(Duration.ofSeconds(10));
            double last = clock.seconds();
            report(c, h2, id, g, null, last);
            // both keep beating with what they last saw: alive, but the gang makes no progress
            clock.advance(Duration.ofSeconds(59));
            report(c, h1, id, g, t0 + 10, t0 + 10);
            report(c, h2, id, g, null, last);
            c.checkHangs();
            assertThat(job(c, id).state()).as("59 s without progress").isEqualTo(JobState.RUNNING);
            clock.advance(Duration.ofMillis(999));
            c.checkHangs();
            assertThat(job(c, id).state()).as("59.999 s without progress").isEqualTo(JobState.RUNNING);
            clock.advance(Duration.ofMillis(1));
            c.checkHangs();

            JobRecord hung = job(c, id);
            assertThat(hung.state()).isEqualTo(JobState.RESTARTING);
            assertThat(hung.reason()).contains("no progress reported for 60 s (hang timeout 60 s)");
            assertThat(hung.retryAt()).as("not the job's own failure: no backoff").isNull();
            assertThat(hung.quickFailures()).isZero();
            assertThat(hung.restarts()).isEqualTo(1);
            assertThat(hung.lostWorkSeconds()).as("from its checkpoint, 10 s in, to the hang's detection")
                    .isCloseTo(80 - 10, within(1e-6));
            List<JobEvent> restarts = c.store().events(id).stream().filter(e -> e.kind().equals("RESTART")).toList();
            assertThat(restarts).singleElement().satisfies(e -> assertThat(e.detail()).startsWith("HUNG: no progress reported"));

            // it runs again at the next cycle; the new run has reported nothing, so it is not hung
            c.cycle();
            JobRecord again = job(c, id);
            assertThat(again.state()).isEqualTo(JobState.RUNNING);
            assertThat(again.generation()).isGreaterThan(g);
            // nor does a late report of the hung run, with its old time, make the new one look old
            report(c, h2, id, g, null, last);
            clock.advance(Duration.ofMinutes(10));
            c.checkHangs();
            assertThat(job(c, id).state()).isEqualTo(JobState.RUNNING);
            // once it reports progress, the same rule holds for it
            report(c, h1, id, again.generation(), null, clock.seconds());
            clock.advance(Duration.ofSeconds(59));
            c.checkHangs();
            assertThat(job(c, id).state()).isEqualTo(JobState.RUNNING);
            clock.advance(Duration.ofSeconds(1));
            c.checkHangs();
            assertThat(job(c, id).state()).isEqualTo(JobState.RESTARTING);
            assertThat(job(c, id).restarts()).isEqualTo(2);
        }
    }

    @Test
    void aRunThatNeverReportedProgressIsNeverTakenAsHung() {
        try (Controller c = controller(ControllerOptions.DEFAULTS.withHangTimeout(60))) {
            HostRecord h = c.registerHost(new Registration("h1", 8, "r1", "z1", null, List.of()), "10.0.0.1");
            long id = c.submit(new NewJob("quiet", "default", 8, 8, 1, 1, 1, List.of("train"), 10, "/shared/ck")).id();
            c.cycle();
            long g = job(c, id).generation();
            for (int i = 0; i < 24; i++) {
                clock.advance(Duration.ofHours(1));
                // alive, holding its run, and never a line in its progress file
                report(c, h, id, g, null, null);
                c.checkHangs();
            }
            assertThat(job(c, id).state()).isEqualTo(JobState.RUNNING);
            assertThat(job(c, id).generation()).isEqualTo(g);
        }
    }

    @Test
    void offByDefault() {
        try (Controller c = controller(ControllerOptions.DEFAULTS)) {
            HostRecord h = c.registerHost(new Registration("h1", 8, "r1", "z1", null, List.of()), "10.0.0.1");
            long id = c.submit(new NewJob("train", "default", 8, 8, 1, 1, 1, List.of("train"), 10, "/shared/ck")).id();
            c.cycle();
            long g = job(c, id).generation();
            report(c, h, id, g, null, clock.seconds());
            clock.advance(Duration.ofDays(1));
            report(c, h, id, g, null, clock.seconds() - 86_400);
            c.checkHangs();
            assertThat(job(c, id).state()).isEqualTo(JobState.RUNNING);
        }
        assertThat(ControllerOptions.DEFAULTS.hangTimeoutSec()).isZero();
        assertThatThrownBy(() -> ControllerOptions.DEFAULTS.withHangTimeout(-1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--hang-timeout");
    }
}
