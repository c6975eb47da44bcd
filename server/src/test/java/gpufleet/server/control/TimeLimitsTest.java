package gpufleet.server.control;

import gpufleet.core.job.JobState;
import gpufleet.core.sched.PolicyRegistry;
import gpufleet.core.sched.Scheduler;
import gpufleet.protocol.Assignment;
import gpufleet.protocol.Heartbeat;
import gpufleet.protocol.Registration;
import gpufleet.server.store.HostRecord;
import gpufleet.server.store.JobRecord;
import gpufleet.server.store.NewJob;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Submitters' time limits on a clock the test moves: the scheduler's backfill takes them as run times
 * (and, without them, starts nothing ahead of a reservation), and a run that outlasts its limit is
 * ended, at its limit and not a second before. On both databases, since the limit is a new column.
 */
class TimeLimitsTest extends ControllerOnBothDatabases {
    private Controller controller(String policy) {
        return controller(ControllerOptions.DEFAULTS.withPolicy(PolicyRegistry.get(policy)));
    }

    private static NewJob job(String name, int gpus, Long limitSeconds) {
        return new NewJob(name, "default", gpus, 1, 1, 1, 1, List.of("train"), 3, "/shared/" + name, limitSeconds);
    }

    private static JobRecord job(Controller c, long id) {
        return c.store().job(id).orElseThrow();
    }

    private static HostRecord host(Controller c) {
        return c.registerHost(new Registration("h1", 8, "r1", "z1", null, List.of()), "10.0.0.1");
    }

    /**
     * A 4-GPU job runs; an 8-GPU job arrives and is blocked behind it, holding the reservation; then a
     * 4-GPU job that would fit on the free half. Returns {running, blocked, candidate}.
     */
    private long[] blockedBehindARunningJob(Controller c, Long running, Long blocked, Long candidate) {
        host(c);
        long a = c.submit(job("running", 4, running)).id();
        c.cycle();
        assertThat(job(c, a).state()).isEqualTo(JobState.RUNNING);
        clock.advance(Duration.ofMinutes(10));
        long b = c.submit(job("blocked", 8, blocked)).id();
        c.cycle();
        long s = c.submit(job("short", 4, candidate)).id();
        c.cycle();
        assertThat(job(c, b).state()).isEqualTo(JobState.PENDING);
        assertThat(job(c, b).reason()).isEqualTo(Scheduler.REASON_RESERVED);
        return new long[] {a, b, s};
    }

    @Test
    void aShortJobIsBackfilledAheadOfTheBlockedOneWhenItsLimitEndsBeforeTheReservation() {
        try (Controller c = controller("fifo-backfill")) {
            // the reservation is at the running job's limit, 50 min away: a 30 min job ends before it
            long[] ids = blockedBehindARunningJob(c, 3_600L, 3_600L, 1_800L);
            assertThat(job(c, ids[2]).state()).isEqualTo(JobState.RUNNING);
        }
    }

    @Test
    void withoutEstimatesNothingStartsAheadOfTheReservation() {
        try (Controller c = controller("fifo-backfill")) {
            long[] ids = blockedBehindARunningJob(c, null, null, null);
            assertThat(job(c, ids[2]).state()).isEqualTo(JobState.PENDING);
            assertThat(job(c, ids[2]).reason()).isEqualTo(Scheduler.REASON_BACKFILL);
        }
    }

    @Test
    void aJobWhoseLimitOutlastsTheReservationWaits() {
        try (Controller c = controller("fifo-backfill")) {
            long[] ids = blockedBehindARunningJob(c, 3_600L, 3_600L, 7_200L);
            assertThat(job(c, ids[2]).state()).isEqualTo(JobState.PENDING);
            assertThat(job(c, ids[2]).reason()).isEqualTo(Scheduler.REASON_BACKFILL);
        }
    }

    @Test
    void theControllersPolicyDecidesAStrictOneBackfillsNothingEvenWithEstimates() {
        try (Controller c = controller("fifo")) {
            assertThat(c.policy().name()).isEqualTo("fifo");
            host(c);
            long a = c.submit(job("running", 4, 3_600L)).id();
            c.cycle();
            long b = c.submit(job("blocked", 8, 3_600L)).id();
            long s = c.submit(job("short", 4, 60L)).id();
            c.cycle();
            assertThat(job(c, a).state()).isEqualTo(JobState.RUNNING);
            assertThat(job(c, b).state()).isEqualTo(JobState.PENDING);
            assertThat(job(c, s).state()).isEqualTo(JobState.PENDING);
            assertThat(job(c, s).reason()).isEqualTo(Scheduler.REASON_BLOCKED);
        }
    }

    @Test
    void aRunThatOutlastsItsLimitIsEndedAtItsLimitAndItsGpusGoToTheNextJob() {
        try (Controller c = controller("fifo-backfill")) {
            long[] ids = blockedBehindARunningJob(c, 3_600L, 3_600L, 1_800L);
            long running = ids[0], blocked = ids[1], backfilled = ids[2];
            HostRecord h = c.store().hostByName("h1").orElseThrow();
            double started = job(c, backfilled).startTime();
            assertThat(started).isEqualTo(clock.seconds());

            clock.advance(Duration.ofSeconds(1_799));
            c.cycle();
            assertThat(job(c, backfilled).state()).as("a second before its limit").isEqualTo(JobState.RUNNING);

            clock.advance(Duration.ofSeconds(1));
            c.cycle();
            JobRecord r = job(c, backfilled);
            assertThat(r.state()).isEqualTo(JobState.FAILED);
            assertThat(r.reason()).isEqualTo("exceeded its time limit of 30m");
            assertThat(r.restarts()).as("another run would meet the same limit").isZero();
            assertThat(r.placement()).isEmpty();
            assertThat(r.endTime()).isEqualTo(clock.seconds());
            assertThat(r.runSeconds()).isCloseTo(1_800, within(1e-6));
            assertThat(r.lostSeconds()).isZero();
            assertThat(c.store().events(backfilled)).anySatisfy(e -> {
                assertThat(e.kind()).isEqualTo("TIMEOUT");
                assertThat(e.detail()).startsWith("ran 30m");
            });
            // its agent is told to stop it, as at a cancel; the job without a limit's end runs on
            var reply = c.heartbeat(h.id(), new Heartbeat(h.generation(), List.of(), List.of()));
            assertThat(reply.assignments()).extracting(Assignment::job).containsExactly(running);
            assertThat(c.gpuOwners().get("h1").values()).containsOnly((int) running);
            assertThat(job(c, blocked).state()).isEqualTo(JobState.PENDING);

            // the first job's hour is up 20 min later; the blocked job then gets the whole host
            clock.advance(Duration.ofMinutes(20).minusSeconds(1));
            c.cycle();
            assertThat(job(c, running).state()).isEqualTo(JobState.RUNNING);
            clock.advance(Duration.ofSeconds(1));
            c.cycle();
            assertThat(job(c, running).state()).isEqualTo(JobState.FAILED);
            assertThat(job(c, running).reason()).isEqualTo("exceeded its time limit of 1h");
            assertThat(job(c, blocked).state()).isEqualTo(JobState.RUNNING);
        }
    }

    @Test
    void aRunsLimitCountsFromItsStartAcrossAControllerRestart() {
        long id;
        try (Controller c = controller("gpufleet")) {
            host(c);
            id = c.submit(job("j", 8, 100L)).id();
            c.cycle();
            clock.advance(Duration.ofSeconds(60));
        }
        try (Controller again = controller("gpufleet")) {
            clock.advance(Duration.ofSeconds(39));
            again.cycle();
            assertThat(job(again, id).state()).isEqualTo(JobState.RUNNING);
            clock.advance(Duration.ofSeconds(1));
            again.cycle();
            assertThat(job(again, id).state()).isEqualTo(JobState.FAILED);
            assertThat(job(again, id).reason()).isEqualTo("exceeded its time limit of 1m40s");
        }
    }

    @Test
    void aJobWithoutALimitRunsOn() {
        try (Controller c = controller("gpufleet")) {
            host(c);
            long id = c.submit(job("j", 8, null)).id();
            c.cycle();
            clock.advance(Duration.ofDays(30));
            c.cycle();
            assertThat(job(c, id).state()).isEqualTo(JobState.RUNNING);
            assertThat(job(c, id).timeLimitSeconds()).isNull();
        }
    }
}
