package gpufleet.server.control;

import gpufleet.core.job.JobState;
import gpufleet.core.job.RestartBackoff;
import gpufleet.core.state.HostStatus;
import gpufleet.protocol.GpuHealth;
import gpufleet.protocol.Heartbeat;
import gpufleet.protocol.Registration;
import gpufleet.server.store.HostRecord;
import gpufleet.server.store.JobRecord;
import gpufleet.server.store.NewJob;
import gpufleet.testkit.FakeAgent;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * How the controller brings a job back after a failure, on a clock the test moves: the restart
 * backoff, ranks that cannot start, lost time counted from reported checkpoints only where they
 * survive a host, and a failed GPU that stays out until its agent says it is healthy. Each rule on
 * both databases, since each writes new columns.
 */
class RestartRulesTest extends ControllerOnBothDatabases {
    private static ControllerOptions backoff(double base, double max, double healthy) {
        return ControllerOptions.DEFAULTS.withRestartBackoff(new RestartBackoff(base, max, healthy));
    }

    private static NewJob job(String name, int gpus, String checkpointDir) {
        return new NewJob(name, "default", gpus, 1, 1, 1, 1, List.of("train"), 10, checkpointDir);
    }

    private JobRecord job(Controller c, long id) {
        return c.store().job(id).orElseThrow();
    }

    /** The agent of host {@code h}, reporting straight to {@code c}. */
    private static FakeAgent agent(Controller c, HostRecord h) {
        return new FakeAgent(c::heartbeat, h.id(), h.generation());
    }

    /** Rank 0 of the job's current run, on its first host, exits with {@code code}. */
    private void exits(Controller c, HostRecord h, long id, int code) {
        agent(c, h).exits(id, job(c, id).generation(), 0, code);
    }

    private void reportsCheckpoint(Controller c, HostRecord h, long id, double at) {
        agent(c, h).checkpoint(id, job(c, id).generation(), at);
    }

    @Test
    void aJobThatKeepsFailingSoonAfterStartingBacksOffDoublingUpToTheCap() {
        try (Controller c = controller(backoff(10, 40, 600))) {
            HostRecord h = c.registerHost(new Registration("h1", 8, "r1", "z1", null, List.of()), "10.0.0.1");
            long id = c.submit(job("crashy", 8, "/shared/ck")).id();
            c.cycle();
            List<Double> waits = new ArrayList<>();
            for (int failure = 1; failure <= 4; failure++) {
                assertThat(job(c, id).state()).isEqualTo(JobState.RUNNING);
                clock.advance(Duration.ofSeconds(5)); // a quick failure: 5 s into the run
                exits(c, h, id, 1);
                JobRecord r = job(c, id);
                assertThat(r.state()).isEqualTo(JobState.RESTARTING);
                assertThat(r.quickFailures()).isEqualTo(failure);
                double wait = r.retryAt() - clock.seconds();
                waits.add(wait);
                assertThat(r.reason()).contains("next try in " + Math.round(wait) + " s");
                // not a moment before its time, whatever else happens
                clock.advance(Duration.ofMillis((long) (wait * 1000) - 1000));
                c.cycle();
                assertThat(job(c, id).state()).isEqualTo(JobState.RESTARTING);
                clock.advance(Duration.ofSeconds(1));
                c.cycle();
            }
            assertThat(waits).containsExactly(10.0, 20.0, 40.0, 40.0);
            assertThat(job(c, id).state()).isEqualTo(JobState.RUNNING);

            // a run that lasted past the healthy mark resets the count: the next failure restarts at once
            clock.advance(Duration.ofSeconds(601));
            exits(c, h, id, 1);
            JobRecord r = job(c, id);
            assertThat(r.quickFailures()).isZero();
            assertThat(r.retryAt()).isNull();
            c.cycle();
            assertThat(job(c, id).state()).isEqualTo(JobState.RUNNING);
        }
    }

    @Test
    void theBackoffOutlivesAControllerRestart() {
        long id;
        HostRecord h;
        try (Controller c = controller(backoff(60, 60, 600))) {
            h = c.registerHost(new Registration("h1", 8, "r1", "z1", null, List.of()), "10.0.0.1");
            id = c.submit(job("crashy", 8, "/shared/ck")).id();
            c.cycle();
            clock.advance(Duration.ofSeconds(3));
            exits(c, h, id, 2);
        }
        try (Controller again = controller(backoff(60, 60, 600))) {
            clock.advance(Duration.ofSeconds(30));
            again.cycle();
            assertThat(job(again, id).state()).as("30 s into a 60 s backoff").isEqualTo(JobState.RESTARTING);
            clock.advance(Duration.ofSeconds(31));
            again.cycle();
            assertThat(job(again, id).state()).isEqualTo(JobState.RUNNING);
        }
    }

    @Test
    void hardwareFailuresRestartAtOnceAndLeaveTheCountAlone() {
        try (Controller c = controller(backoff(10, 300, 600))) {
            HostRecord h1 = c.registerHost(new Registration("h1", 8, "r1", "z1", null, List.of()), "10.0.0.1");
            HostRecord h2 = c.registerHost(new Registration("h2", 8, "r1", "z1", null, List.of()), "10.0.0.2");
            long id = c.submit(job("j", 8, "/shared/ck")).id();
            c.cycle();
            HostRecord on = job(c, id).placement().getFirst().host().equals("h1") ? h1 : h2;
            clock.advance(Duration.ofSeconds(5));
            c.heartbeat(on.id(), new Heartbeat(on.generation(), List.of(),
                    List.of(new GpuHealth(0, false, 79, "XID 79: GPU has fallen off the bus"))));
            // a change wakes the scheduling loop, which may already have restarted it: read what stays
            JobRecord r = job(c, id);
            assertThat(r.restarts()).isEqualTo(1);
            assertThat(r.retryAt()).isNull();
            assertThat(r.quickFailures()).isZero();
            assertThat(c.store().events(id)).anySatisfy(e -> assertThat(e.detail()).startsWith("GPU_FAILED"));
            c.cycle();
            assertThat(job(c, id).state()).isEqualTo(JobState.RUNNING);
            assertThat(job(c, id).placement().getFirst().host()).isNotEqualTo(on.name());
        }
    }

    @Test
    void aRankThatCannotBeStartedFailsTheJobAtOnceWithTheReason() {
        try (Controller c = controller(ControllerOptions.DEFAULTS)) {
            HostRecord h = c.registerHost(new Registration("h1", 8, "r1", "z1", null, List.of()), "10.0.0.1");
            for (int code : new int[] {127, 126}) {
                long id = c.submit(job("typo-" + code, 8, "/shared/ck")).id();
                c.cycle();
                exits(c, h, id, code);
                JobRecord r = job(c, id);
                assertThat(r.state()).isEqualTo(JobState.FAILED);
                assertThat(r.restarts()).isZero();
                assertThat(r.reason()).contains("could not be started").contains("exit " + code).contains("h1");
                assertThat(c.store().events(id)).anySatisfy(e -> assertThat(e.kind() + " " + e.detail()).startsWith("FAILED CANNOT_START: rank 0 on h1"));
            }
        }
    }

    @Test
    void lostTimeRunsFromTheLastReportedCheckpointWhereItSurvivesAHost() {
        // a long backoff keeps the interrupted jobs waiting (the loop a change wakes would restart them)
        try (Controller c = controller(backoff(1_000, 1_000, 600))) {
            HostRecord h = c.registerHost(new Registration("h1", 8, "r1", "z1", null, List.of()), "10.0.0.1");
            long shared = c.submit(job("shared", 4, "/shared/ck")).id();
            long local = c.submit(job("local", 4, null)).id();
            c.cycle();
            double start = clock.seconds();
            clock.advance(Duration.ofSeconds(100));
            reportsCheckpoint(c, h, shared, start + 90);
            reportsCheckpoint(c, h, local, start + 90);
            clock.advance(Duration.ofSeconds(20)); // fails 120 s into the run, 30 s after the checkpoint
            exits(c, h, shared, 1);
            exits(c, h, local, 1);
            assertThat(job(c, shared).lostSeconds()).isCloseTo(30, within(1e-6));
            assertThat(job(c, shared).lastCheckpoint()).isCloseTo(start + 90, within(1e-6));
            // on the hosts' own disks, the checkpoint may be gone with a host, or on another host than the
            // rank that needs it: the whole run is lost
            assertThat(job(c, local).lostSeconds()).isCloseTo(120, within(1e-6));
        }
    }

    @Test
    void withoutAReportNothingCountsAsSaved() {
        try (Controller c = controller(backoff(1_000, 1_000, 600))) {
            HostRecord h = c.registerHost(new Registration("h1", 8, "r1", "z1", null, List.of()), "10.0.0.1");
            long id = c.submit(job("quiet", 8, "/shared/ck")).id();
            c.cycle();
            clock.advance(Duration.ofSeconds(75));
            exits(c, h, id, 1);
            assertThat(job(c, id).lostSeconds()).isCloseTo(75, within(1e-6));
        }
    }

    @Test
    void theCheckpointRootGivesEachJobItsOwnDirectoryUnlessItNamedOne() {
        try (Controller c = controller(ControllerOptions.DEFAULTS.withCheckpointRoot("/mnt/ckpt"))) {
            c.registerHost(new Registration("h1", 8, "r1", "z1", null, List.of()), "10.0.0.1");
            JobRecord a = c.submit(job("a", 1, null));
            JobRecord b = c.submit(job("b", 1, "/elsewhere/b"));
            assertThat(a.checkpointDir()).isEqualTo("/mnt/ckpt/" + a.id());
            assertThat(b.checkpointDir()).isEqualTo("/elsewhere/b");
            assertThat(Controller.survivesAHost(a)).isTrue();
        }
        assertThatThrownBy(() -> ControllerOptions.DEFAULTS.withCheckpointRoot("relative/dir"))
                .hasMessageContaining("absolute").hasMessageContaining("relative/dir");
    }

    @Test
    void aFailedGpuComesBackOnlyWhenItsAgentReportsItHealthyOrAnAdminForcesIt() {
        try (Controller c = controller(ControllerOptions.DEFAULTS)) {
            HostRecord h = c.registerHost(new Registration("h1", 8, "r1", "z1", null, List.of()), "10.0.0.1");
            GpuHealth xid = new GpuHealth(3, false, 79, "XID 79: GPU has fallen off the bus");
            c.heartbeat(h.id(), new Heartbeat(h.generation(), List.of(), List.of(xid)));
            assertThat(c.store().hostByName("h1").orElseThrow().unhealthyGpus()).containsExactly(3);

            // still reported faulty: refused, saying which GPU and how to proceed
            assertThatThrownBy(() -> c.setHostStatus("h1", HostStatus.UP, null, false))
                    .isInstanceOf(RequestError.class).hasMessageContaining("GPU 3").hasMessageContaining("--force");
            assertThat(c.store().hostByName("h1").orElseThrow().status()).isEqualTo(HostStatus.DRAINING);

            // healed: the agent stops reporting it, and the resume goes through
            c.heartbeat(h.id(), new Heartbeat(h.generation(), List.of(), List.of()));
            HostRecord up = c.setHostStatus("h1", HostStatus.UP, null, false);
            assertThat(up.status()).isEqualTo(HostStatus.UP);
            assertThat(up.unhealthyGpus()).isEmpty();

            // fails again; an admin forces it back while the agent still reports it
            c.heartbeat(h.id(), new Heartbeat(h.generation(), List.of(), List.of(xid)));
            assertThat(c.store().hostByName("h1").orElseThrow().status()).isEqualTo(HostStatus.DRAINING);
            assertThat(c.setHostStatus("h1", HostStatus.UP, null, true).status()).isEqualTo(HostStatus.UP);
            // the standing report does not drain it again...
            c.heartbeat(h.id(), new Heartbeat(h.generation(), List.of(), List.of(xid)));
            assertThat(c.store().hostByName("h1").orElseThrow().status()).isEqualTo(HostStatus.UP);
            // ...but once the agent has called it healthy, a new fault counts
            c.heartbeat(h.id(), new Heartbeat(h.generation(), List.of(), List.of()));
            c.heartbeat(h.id(), new Heartbeat(h.generation(), List.of(), List.of(xid)));
            assertThat(c.store().hostByName("h1").orElseThrow().status()).isEqualTo(HostStatus.DRAINING);
        }
    }

    @Test
    void afterAControllerRestartAFailedGpuWaitsForItsAgentsNextWord() {
        try (Controller c = controller(ControllerOptions.DEFAULTS)) {
            HostRecord h = c.registerHost(new Registration("h1", 8, "r1", "z1", null, List.of()), "10.0.0.1");
            c.heartbeat(h.id(), new Heartbeat(h.generation(), List.of(), List.of(new GpuHealth(5, false, 48, "XID 48"))));
        }
        try (Controller again = controller(ControllerOptions.DEFAULTS)) {
            assertThatThrownBy(() -> again.setHostStatus("h1", HostStatus.UP, null, false))
                    .hasMessageContaining("GPU 5").hasMessageContaining("has not reported since");
            HostRecord h = again.store().hostByName("h1").orElseThrow();
            again.heartbeat(h.id(), new Heartbeat(h.generation(), List.of(), List.of()));
            assertThat(again.setHostStatus("h1", HostStatus.UP, null, false).status()).isEqualTo(HostStatus.UP);
        }
    }
}
