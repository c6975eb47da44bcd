package gpufleet.core.lifecycle;

import gpufleet.core.job.CheckpointPolicy;
import gpufleet.core.job.Job;
import gpufleet.core.job.JobSpec;
import gpufleet.core.job.JobState;
import gpufleet.core.job.Parallelism;
import gpufleet.core.job.RestartBackoff;
import gpufleet.core.job.Work;
import gpufleet.core.lifecycle.LifecycleEvent.Interrupted;
import gpufleet.core.lifecycle.LifecycleEvent.Preempted;
import gpufleet.core.lifecycle.LifecycleEvent.Started;
import gpufleet.core.sched.PolicyRegistry;
import gpufleet.core.state.FleetState;
import gpufleet.core.state.HostStatus;
import gpufleet.core.testkit.Fleets;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** The lifecycle's own rules, on a two-host fleet of 8 GPUs each, with runs of unknown length. */
class LifecycleTest {
    private final TimeLimitRuns runs = new TimeLimitRuns();

    private Lifecycle lifecycle(String policy, Lifecycle.Options options) {
        FleetState st = new FleetState(Fleets.labTopology(1, 1, 1, 2, 8));
        return new Lifecycle(st, PolicyRegistry.get(policy), options, runs);
    }

    private static JobSpec spec(int gpus, int priority, int maxRestarts, CheckpointPolicy ck) {
        return new JobSpec("j", "t", Parallelism.of(gpus, 1, 1, 1), new Work.Fixed(1e6), ck, 0, priority, 0, null,
                maxRestarts);
    }

    @Test
    void aStartedRunHoldsItsGpusAndAnInterruptionRequeuesItWithItsServiceCountedAndItsWorkLost() {
        Lifecycle lc = lifecycle("fifo", TimeLimitRuns.options(RestartRule.IMMEDIATE));
        lc.submit(1, spec(8, 1, 2, CheckpointPolicy.NONE), 0);
        List<LifecycleEvent> events = lc.cycle(0);
        assertThat(events).singleElement().isInstanceOf(Started.class);
        assertThat(lc.fleet().allocatedGpus()).isEqualTo(8);

        Interrupted ev = lc.interrupt(1, 100, "xid 79", RestartRule.Fault.HARDWARE, false);
        assertThat(ev.requeued()).isTrue();
        assertThat(ev.end().held()).isEqualTo(100);
        assertThat(ev.end().lost()).as("no checkpoint: the whole run is lost").isEqualTo(100);
        assertThat(ev.outcome().reason()).isEqualTo("restarting after: xid 79");
        Job j = ev.job();
        assertThat(j.state()).isEqualTo(JobState.RESTARTING);
        assertThat(j.attainedGpuSeconds()).isEqualTo(800);
        assertThat(j.restarts()).isEqualTo(1);
        assertThat(lc.lostWork(1)).isEqualTo(100);
        assertThat(lc.fleet().allocatedGpus()).isZero();
        assertThat(lc.waiting()).containsExactly(j);
        assertThat(lc.interrupt(1, 101, "again", RestartRule.Fault.HARDWARE, false)).as("not running").isNull();
    }

    @Test
    void aReportedCheckpointKeepsTheWorkBeforeIt() {
        Lifecycle lc = lifecycle("fifo", TimeLimitRuns.options(RestartRule.IMMEDIATE));
        lc.submit(1, spec(8, 1, 2, CheckpointPolicy.NONE), 0);
        lc.cycle(10);
        lc.checkpointed(1, 70);
        Interrupted ev = lc.interrupt(1, 100, "host lost", RestartRule.Fault.HARDWARE, false);
        assertThat(ev.end().lost()).isCloseTo(30, within(1e-9));
        assertThat(ev.end().work()).isCloseTo(60, within(1e-9));
    }

    @Test
    void periodicCheckpointsAreTheTwinsArithmetic() {
        // the twin's runs checkpoint every interval of training, as their spec says
        Lifecycle.Runs periodic = new Lifecycle.Runs() {
            @Override public double estimate(Job job, int cluster, double now) { return Double.POSITIVE_INFINITY; }
            @Override public Lifecycle.RunPlan plan(Job job, gpufleet.core.state.Placement p, double now, double startup) {
                var ck = job.spec().checkpoint();
                return new Lifecycle.RunPlan(ck.intervalSec(), ck.writeSec(), Double.POSITIVE_INFINITY);
            }
        };
        Lifecycle lc = new Lifecycle(new FleetState(Fleets.labTopology(1, 1, 1, 2, 8)), PolicyRegistry.get("fifo"),
                Lifecycle.Options.TWIN, periodic);
        lc.submit(1, spec(8, 1, 2, new CheckpointPolicy(100, 10, 5)), 0);
        lc.cycle(0);
        Interrupted ev = lc.interrupt(1, 255, "xid", RestartRule.Fault.HARDWARE, false);
        assertThat(new double[] {ev.end().work(), ev.end().checkpoint(), ev.end().lost()}).containsExactly(200, 20, 35);
        assertThat(lc.pendingStartup(1)).as("restore before training again").isEqualTo(5);
    }

    @Test
    void theJobsOwnFailuresBackOffAndARankThatCannotStartIsNotRestarted() {
        Lifecycle lc = lifecycle("fifo", TimeLimitRuns.options(new RestartRule(new RestartBackoff(10, 40, 600))));
        lc.submit(1, spec(8, 1, 5, CheckpointPolicy.NONE), 0);
        lc.cycle(0);
        Interrupted first = lc.interrupt(1, 5, "rank 0 exited with code 1", RestartRule.Fault.JOB, false);
        assertThat(first.outcome().retryAt()).isEqualTo(15);
        assertThat(first.outcome().reason()).isEqualTo("restarting after: rank 0 exited with code 1; next try in 10 s (1 quick failure)");
        assertThat(lc.cycle(14)).as("backing off").isEmpty();
        assertThat(lc.cycle(15)).singleElement().isInstanceOf(Started.class);
        Interrupted dead = lc.interrupt(1, 16, "exit 127", RestartRule.Fault.CANNOT_START, false);
        assertThat(dead.requeued()).isFalse();
        assertThat(dead.job().state()).isEqualTo(JobState.FAILED);
        assertThat(lc.job(1)).as("ended jobs are forgotten").isNull();
    }

    @Test
    void restartsRunOutIntoFailure() {
        Lifecycle lc = lifecycle("fifo", TimeLimitRuns.options(RestartRule.IMMEDIATE));
        lc.submit(1, spec(8, 1, 1, CheckpointPolicy.NONE), 0);
        lc.cycle(0);
        lc.interrupt(1, 10, "xid", RestartRule.Fault.HARDWARE, false);
        lc.cycle(10);
        Interrupted last = lc.interrupt(1, 20, "xid", RestartRule.Fault.HARDWARE, false);
        assertThat(last.requeued()).isFalse();
        assertThat(last.outcome().reason()).isEqualTo("failed after 1 restarts (max 1): xid");
        assertThat(last.job().attainedGpuSeconds()).isEqualTo(160);
    }

    @Test
    void withoutRestartsTheFirstInterruptionFailsTheJob() {
        Lifecycle lc = lifecycle("fifo", TimeLimitRuns.options(RestartRule.IMMEDIATE));
        lc.submit(1, spec(8, 1, 0, CheckpointPolicy.NONE), 0);
        lc.cycle(0);
        Interrupted ev = lc.interrupt(1, 50, "xid", RestartRule.Fault.HARDWARE, false);
        assertThat(ev.requeued()).isFalse();
        assertThat(ev.job().state()).isEqualTo(JobState.FAILED);
        assertThat(ev.job().endTime()).isEqualTo(50);
        assertThat(ev.job().reason()).isEqualTo("failed after 0 restarts (max 0): xid");
        assertThat(lc.fleet().allocatedGpus()).isZero();
    }

    @Test
    void aPreemptedRunIsCountedAndWaitsAgain() {
        Lifecycle lc = lifecycle("priority", TimeLimitRuns.options(RestartRule.IMMEDIATE));
        lc.submit(1, spec(16, 0, 2, CheckpointPolicy.NONE), 0);
        lc.cycle(0);
        lc.submit(2, spec(8, 3, 2, CheckpointPolicy.NONE), 50);
        List<LifecycleEvent> events = lc.cycle(50);
        Preempted p = events.stream().filter(Preempted.class::isInstance).map(Preempted.class::cast).findFirst().orElseThrow();
        assertThat(p.job().id()).isEqualTo(1);
        assertThat(p.end().lost()).as("agents kill preempted ranks").isEqualTo(50);
        assertThat(p.job().state()).isEqualTo(JobState.PREEMPTED);
        assertThat(p.job().attainedGpuSeconds()).isEqualTo(16 * 50);
        assertThat(lc.job(2).state()).isEqualTo(JobState.RUNNING);
    }

    @Test
    void hostsGoingDownInterruptTheirJobsAndTakeNoWork() {
        Lifecycle lc = lifecycle("fifo", TimeLimitRuns.options(RestartRule.IMMEDIATE));
        lc.submit(1, spec(8, 1, 2, CheckpointPolicy.NONE), 0);
        lc.cycle(0);
        int host = lc.job(1).placement().hosts()[0];
        assertThat(lc.hostDown(host, 30, "host lost", RestartRule.Fault.HARDWARE, false)).hasSize(1);
        assertThat(lc.fleet().status(host)).isEqualTo(HostStatus.DOWN);
        Started again = (Started) lc.cycle(30).getFirst();
        assertThat(again.first()).isFalse();
        assertThat(again.placement().hosts()[0]).isNotEqualTo(host);
        lc.setHostStatus(1 - host, HostStatus.DRAINING);
        assertThat(lc.gpuFailed(1 - host, 0, 40, "xid",
                RestartRule.Fault.HARDWARE, false)).isNotNull();
        assertThat(lc.cycle(40)).as("no host takes work").isEmpty();
    }

    @Test
    void cancellingAndCompletingEndJobsForGood() {
        Lifecycle lc = lifecycle("fifo", TimeLimitRuns.options(RestartRule.IMMEDIATE));
        lc.submit(1, spec(8, 1, 2, CheckpointPolicy.NONE), 0);
        lc.submit(2, spec(16, 1, 2, CheckpointPolicy.NONE), 0);
        lc.cycle(0);
        var cancelled = lc.cancel(2, 5);
        assertThat(cancelled.placement()).as("it was waiting").isNull();
        assertThat(cancelled.job().state()).isEqualTo(JobState.CANCELLED);
        var done = lc.complete(1, 60);
        assertThat(done.end().held()).isEqualTo(60);
        assertThat(done.job().state()).isEqualTo(JobState.COMPLETED);
        assertThat(lc.complete(1, 61)).isNull();
        assertThat(lc.jobs()).isEmpty();
        assertThat(lc.fleet().allocatedGpus()).isZero();
    }

    @Test
    void aRestoredJobKeepsItsHistoryAndBackoff() {
        Lifecycle lc = lifecycle("las", TimeLimitRuns.options(RestartRule.IMMEDIATE));
        Job j = new Job(7, spec(8, 1, 3, CheckpointPolicy.NONE));
        j.restore(2, 1, 5_000, 90);
        lc.restoreWaiting(j, new Lifecycle.Restored(40, 1, 200, Double.NaN, Double.NaN));
        assertThat(lc.cycle(100)).as("backing off until 200").isEmpty();
        assertThat(lc.cycle(200)).hasSize(1);
        assertThat(j.restarts()).isEqualTo(2);
        assertThat(j.attainedGpuSeconds()).isEqualTo(5_000);
        assertThat(lc.lostWork(7)).isEqualTo(40);
        assertThatThrownBy(() -> j.restore(0, 0, 0, 0)).isInstanceOf(IllegalStateException.class);
    }
}
