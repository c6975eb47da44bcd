package gpufleet.server.control;

import gpufleet.core.failure.Checkpointing;
import gpufleet.core.failure.FailureCause;
import gpufleet.core.failure.FailureModel;
import gpufleet.core.job.JobState;
import gpufleet.core.lifecycle.Lifecycle;
import gpufleet.protocol.Assignment;
import gpufleet.protocol.GpuHealth;
import gpufleet.protocol.Heartbeat;
import gpufleet.protocol.HeartbeatReply;
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
 * The checkpoint interval the controller advises each job: Young/Daly of the checkpoint cost and the
 * failure rate the job's hosts show, given with the run's assignment when it starts and again, on the
 * same run, once a failure of one of its hosts (on a GPU it does not use) shortens it.
 */
class CheckpointIntervalTest extends ControllerOnBothDatabases {
    /** The llama3 model's unplanned failure rates of a job of {@code gpus} GPUs on one H100 host, per second: {host, own}. */
    private static double[] prior(int gpus) {
        double host = 0, own = 0;
        for (FailureCause c : FailureModel.LLAMA3.causes()) {
            if (c.planned()) continue;
            double r = c.jobRatePerDay(gpus, 1, "H100-SXM") / 86_400;
            if (c.scope() == FailureCause.Scope.JOB) own += r;
            else host += r;
        }
        return new double[] {host, own};
    }

    private static Assignment assignment(HeartbeatReply reply, long job) {
        return reply.assignments().stream().filter(a -> a.job() == job).findFirst().orElseThrow();
    }

    @Test
    void aJobIsToldItsYoungDalyIntervalAtStartAndAShorterOneWhenItsHostFails() {
        try (Controller c = controller(ControllerOptions.DEFAULTS.withCheckpointCost(20))) {
            HostRecord h1 = c.registerHost(new Registration("h1", 8, "r1", "z1", null, List.of()), "10.0.0.1");
            long id = c.submit(new NewJob("j", "default", 4, 1, 1, 1, 1, List.of("train"), 3, "/ck")).id();
            c.cycle();
            JobRecord r = c.store().job(id).orElseThrow();
            assertThat(r.state()).isEqualTo(JobState.RUNNING);
            assertThat(r.placement().getFirst().gpus()).doesNotContain(7);

            // a fleet just registered: only the model's rate counts
            double[] p = prior(4);
            double atStart = Checkpointing.youngDaly(20, 1 / (p[0] + p[1]));
            HeartbeatReply reply = c.heartbeat(h1.id(), new Heartbeat(h1.generation(), List.of(), List.of()));
            assertThat(assignment(reply, id).checkpointInterval()).isCloseTo(atStart, within(1e-6 * atStart));
            assertThat(c.checkpointInterval(id)).isEqualTo(assignment(reply, id).checkpointInterval());

            // ten seconds in, GPU 7 (not the job's) fails: its host has failed once, the job runs on
            clock.advance(Duration.ofSeconds(10));
            c.heartbeat(h1.id(), new Heartbeat(h1.generation(), List.of(),
                    List.of(new GpuHealth(7, false, 79, "XID 79: GPU has fallen off the bus"))));
            c.refreshIntervals();
            double rate = p[1] + (p[0] * Lifecycle.LIVE_PRIOR_SEC + 1) / (Lifecycle.LIVE_PRIOR_SEC + 10);
            double after = Checkpointing.youngDaly(20, 1 / rate);
            assertThat(after).isLessThan(atStart / 2);
            reply = c.heartbeat(h1.id(), new Heartbeat(h1.generation(), List.of(),
                    List.of(new GpuHealth(7, false, 79, "XID 79: GPU has fallen off the bus"))));
            Assignment now = assignment(reply, id);
            assertThat(now.generation()).as("the same run").isEqualTo(r.generation());
            assertThat(now.checkpointInterval()).isCloseTo(after, within(1e-6 * after));
            assertThat(c.store().job(id).orElseThrow().state()).isEqualTo(JobState.RUNNING);
        }
    }

    @Test
    void aJobThatReportsWhatItsCheckpointsCostIsAdvisedFromThat() {
        try (Controller c = controller(ControllerOptions.DEFAULTS)) {
            HostRecord h1 = c.registerHost(new Registration("h1", 8, "r1", "z1", null, List.of()), "10.0.0.1");
            long id = c.submit(new NewJob("j", "default", 8, 1, 1, 1, 1, List.of("train"), 3, "/ck")).id();
            c.cycle();
            long gen = c.store().job(id).orElseThrow().generation();
            double[] p = prior(8);
            double mtbf = 1 / (p[0] + p[1]);
            assertThat(c.checkpointInterval(id)).isCloseTo(Checkpointing.youngDaly(30, mtbf), within(1e-3));

            // an asynchronous checkpoint: 2 s of stall, reported with the checkpoint (checkpoint STEP 2)
            c.heartbeat(h1.id(), new Heartbeat(h1.generation(), List.of(new gpufleet.protocol.TaskReport(id, gen,
                    List.of(), clock.seconds(), 2.0)), List.of()));
            c.refreshIntervals();
            HeartbeatReply reply = c.heartbeat(h1.id(), new Heartbeat(h1.generation(), List.of(), List.of()));
            double expected = Checkpointing.youngDaly(2, mtbf);
            assertThat(assignment(reply, id).checkpointInterval()).isCloseTo(expected, within(1e-6 * expected));
            assertThat(expected).isLessThan(Checkpointing.youngDaly(30, mtbf) / 3);
        }
    }

    @Test
    void theIntervalIsGivenAgainAfterAControllerRestart() {
        long id;
        HostRecord h1;
        try (Controller c = controller(ControllerOptions.DEFAULTS)) {
            h1 = c.registerHost(new Registration("h1", 8, "r1", "z1", null, List.of()), "10.0.0.1");
            id = c.submit(new NewJob("j", "default", 8, 1, 1, 1, 1, List.of("train"), 3, "/ck")).id();
            c.cycle();
            assertThat(c.checkpointInterval(id)).isNotNull();
        }
        clock.advance(Duration.ofHours(1));
        try (Controller c = controller(ControllerOptions.DEFAULTS)) {
            HeartbeatReply reply = c.heartbeat(h1.id(), new Heartbeat(h1.generation(), List.of(), List.of()));
            // an hour of quiet since the fleet registered weighs a little against the model's rate
            double[] p = prior(8);
            double rate = p[1] + p[0] * Lifecycle.LIVE_PRIOR_SEC / (Lifecycle.LIVE_PRIOR_SEC + 3600);
            double expected = Checkpointing.youngDaly(CheckpointIntervals.DEFAULT_COST_SEC, 1 / rate);
            assertThat(assignment(reply, id).checkpointInterval()).isCloseTo(expected, within(1e-6 * expected));
        }
    }
}
