package gpufleet.sim.engine;

import gpufleet.core.failure.FailureCause;
import gpufleet.core.failure.FailureModel;
import gpufleet.core.job.CheckpointPolicy;
import gpufleet.core.job.JobSpec;
import gpufleet.core.job.Parallelism;
import gpufleet.core.job.Priority;
import gpufleet.core.job.Recovery;
import gpufleet.core.job.Work;
import gpufleet.core.lifecycle.Lifecycle;
import gpufleet.core.sched.Policy;
import gpufleet.sim.workload.WorkloadSpec;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * A job with recovery parts that starts after a week: its hosts' rate is the model's, blended with
 * the week they were watched and found quiet; its own software's rate is not blended (no host shows it).
 */
class LiveIntervalTest {
    /**
     * One host's 8 GPUs at 0.002 GPU failures and 0.001 software failures a GPU-day: hosts 0.016 a
     * day, software 0.008. Started at 7 days with no failure seen, the hosts' rate counts as the prior
     * (7 days of observation) plus 7 quiet days: 0.016 x 7 / 14 = 0.008, plus 0.008 of its own:
     * 0.016 a day, an MTBF of 5,400,000 s and with a 50 s write sqrt(2 x 50 x 5,400,000) = 23,237.9 s.
     * 65,000 s of work is two whole intervals and a part: two writes, ending 65,100 s after the start.
     * (Blending the software rate instead, 0.016 + 0.004 a day, gives 20,784.6 s and three writes.)
     */
    @Test
    void theHostsRateIsBlendedWithWhatTheyShowedTheJobsOwnIsNot() {
        assertThat(Lifecycle.LIVE_PRIOR_SEC).isEqualTo(7 * 86_400.0);
        var fm = new FailureModel("mixed", List.of(
                new FailureCause("xid", FailureCause.Scope.GPU, 0.002, 24, false, "test"),
                new FailureCause("sw", FailureCause.Scope.JOB, 0.001, 0, false, "test")));
        var rec = new Recovery(30, 60, 10, 1, 20, true, 0);
        double start = 7 * 86_400;
        var job = new JobSpec("late", "t", Parallelism.of(8, 8, 1, 1), new Work.Fixed(65_000), new CheckpointPolicy(0, 50, 0),
                0, Priority.NORMAL, start, null, 10, null, rec);
        var r = new Simulation(new Simulation.Config(SpareHostsTest.FOUR, new WorkloadSpec("w", "", 8, List.of(job), List.of(),
                Map.of()), Policy.FIFO, fm, 2, 8)).run(Simulation.Progress.NONE);
        assertThat(r.headline().hardwareFailures()).as("no host failed: nothing seen").isZero();
        assertThat(Math.sqrt(2 * 50 * 5_400_000.0)).isCloseTo(23_237.9, within(0.1));
        var row = r.largeJobs().getFirst();
        assertThat(row.restarts()).isZero();
        assertThat(row.checkpointTime()).isCloseTo(100, within(1e-6));
        assertThat(row.endTime()).isCloseTo(start + 65_100, within(1e-6));
    }
}
