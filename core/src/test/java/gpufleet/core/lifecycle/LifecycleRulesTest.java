package gpufleet.core.lifecycle;

import gpufleet.core.job.CheckpointPolicy;
import gpufleet.core.job.Job;
import gpufleet.core.job.JobSpec;
import gpufleet.core.job.JobState;
import gpufleet.core.job.Parallelism;
import gpufleet.core.job.RestartBackoff;
import gpufleet.core.job.Work;
import gpufleet.core.lifecycle.LifecycleEvent.Failed;
import gpufleet.core.lifecycle.LifecycleEvent.Interrupted;
import gpufleet.core.lifecycle.LifecycleEvent.Preempted;
import gpufleet.core.lifecycle.LifecycleEvent.Rejected;
import gpufleet.core.lifecycle.LifecycleEvent.Started;
import gpufleet.core.sched.PolicyRegistry;
import gpufleet.core.sched.Quotas;
import gpufleet.core.state.FleetState;
import gpufleet.core.state.HostStatus;
import gpufleet.core.state.Placement;
import gpufleet.core.testkit.Fleets;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * The lifecycle's smaller rules, each at its edge: quarantine and failure history, the restart rule's
 * quick-failure count, a run's split at its start, time limits, and the events that end a job. A
 * two-host fleet of 8 GPUs unless told otherwise; every expected number is worked out by hand.
 */
class LifecycleRulesTest {
    private static final double DAY = 86_400.0;

    private static Lifecycle lifecycle(String policy, Lifecycle.Options options, Lifecycle.Runs runs) {
        return new Lifecycle(new FleetState(Fleets.labTopology(1, 1, 1, 2, 8)), PolicyRegistry.get(policy), options,
                runs);
    }

    private static Lifecycle lifecycle() {
        return lifecycle("fifo", TimeLimitRuns.options(RestartRule.IMMEDIATE), new TimeLimitRuns());
    }

    private static JobSpec spec(int gpus, String team, int priority, CheckpointPolicy ck) {
        return new JobSpec("j", team, Parallelism.of(gpus, 1, 1, 1), new Work.Fixed(1e6), ck, 0, priority, 0, null, 3);
    }

    private static JobSpec spec(int gpus) {
        return spec(gpus, "t", 1, CheckpointPolicy.NONE);
    }

    // ---- quarantine and failure history ---------------------------------------------------------

    @Test
    void quarantineThresholdAndWindowAreCheckedAtTheirBounds() {
        assertThat(Quarantine.OFF.on()).isFalse();
        assertThat(new Quarantine(1, 1).on()).isTrue();
        assertThat(new Quarantine(0, 0)).as("off needs no window").isEqualTo(Quarantine.OFF);
        assertThat(new Quarantine(2, 3650 * DAY).windowSec()).as("ten years is allowed").isEqualTo(3650 * DAY);
        assertThatThrownBy(() -> new Quarantine(-1, DAY)).hasMessage("quarantine threshold must be >= 0, got -1");
        assertThatThrownBy(() -> new Quarantine(1, 0)).hasMessageContaining("quarantine window must be in (0, 3650 days]");
        assertThatThrownBy(() -> new Quarantine(1, -5)).hasMessageContaining("got -5.0 s");
        assertThatThrownBy(() -> new Quarantine(1, 3650 * DAY + 1)).hasMessageContaining("3650 days");
        assertThatThrownBy(() -> new Quarantine(1, Double.NaN)).hasMessageContaining("NaN");
    }

    @Test
    void aHostWithTwoFailuresInTheWindowIsDrainedAtItsRepairAndOneOutsideTheWindowIsNot() {
        Lifecycle lc = lifecycle();
        lc.setQuarantine(new Quarantine(2, 100));
        lc.gpuFailed(0, 0, 1_000, "xid", RestartRule.Fault.HARDWARE, false);
        lc.gpuFailed(0, 1, 1_050, "xid", RestartRule.Fault.HARDWARE, true);
        assertThat(lc.recentFailures(0, 1_060)).as("a planned stop is no failure").isEqualTo(1);
        assertThat(lc.quarantineIfLemon(0, 1_060)).isFalse();
        assertThat(lc.isQuarantined(0)).isFalse();

        lc.hostDown(0, 1_100, "host", RestartRule.Fault.HARDWARE, false);
        assertThat(lc.recentFailures(0, 1_100)).as("the one at 1,000 is exactly 100 s old: outside").isEqualTo(1);
        assertThat(lc.recentFailures(0, 1_099)).isEqualTo(2);
        assertThat(lc.quarantineIfLemon(0, 1_099)).isTrue();
        assertThat(lc.isQuarantined(0)).isTrue();
        assertThat(lc.isQuarantined(1)).isFalse();
        assertThat(lc.fleet().status(0)).isEqualTo(HostStatus.DRAINING);
        assertThat(lc.quarantined()).isEqualTo(1);
        assertThat(lc.quarantineIfLemon(0, 50_000)).as("a lemon stays one after its next repair").isTrue();
        lc.gpuFailed(0, 2, 50_001, "xid", RestartRule.Fault.HARDWARE, false);
        assertThat(lc.failuresSince(0, 0)).as("a quarantined host's failures are not counted again").isZero();

        lc.setQuarantine(null);
        assertThat(lc.quarantineIfLemon(0, 50_002)).as("quarantine off").isFalse();
        assertThat(lc.recentFailures(1, 50_002)).isZero();
    }

    @Test
    void failureHistoryCountsStrictlyAfterItsStartAndForgetsWhatIsAWindowOld() {
        Lifecycle lc = lifecycle();
        lc.gpuFailed(1, 0, 0, "xid", RestartRule.Fault.HARDWARE, false);
        lc.gpuFailed(1, 1, 10, "xid", RestartRule.Fault.HARDWARE, false);
        assertThat(lc.failuresSince(1, 0)).as("the failure at 0 is not after 0").isEqualTo(1);
        assertThat(lc.failuresSince(1, -1)).isEqualTo(2);
        assertThat(lc.failuresSince(0, -1)).isZero();
        lc.gpuFailed(1, 2, Lifecycle.LIVE_WINDOW_SEC, "xid", RestartRule.Fault.HARDWARE, false);
        assertThat(lc.failuresSince(1, -1)).as("the failure at 0 is exactly a window old and dropped").isEqualTo(2);
    }

    @Test
    void theLiveMtbfBlendsObservedFailuresWithThePrior() {
        Lifecycle lc = lifecycle();
        Placement both = new Placement(new int[] {0, 1}, new long[] {0xFF, 0xFF});
        assertThat(lc.liveMtbfSec(both, 0, 0, DAY)).as("no rate at all").isInfinite();
        lc.gpuFailed(0, 0, 0.5 * DAY, "xid", RestartRule.Fault.HARDWARE, false);
        // one failure over a day observed plus 7 days of prior at 1e-6/s: (7 * 86,400e-6 + 1) / (8 days)
        double rate = 1e-4 + (1e-6 * 7 * DAY + 1) / (8 * DAY);
        assertThat(lc.liveMtbfSec(both, 1e-6, 1e-4, DAY)).isCloseTo(1 / rate, within(1e-6));
    }

    // ---- the restart rule ----------------------------------------------------------------------

    @Test
    void aHardwareFailureKeepsTheQuickFailureCountUnlessTheRunWasHealthy() {
        var rule = new RestartRule(new RestartBackoff(10, 40, 600));
        assertThat(rule.decide("x", RestartRule.Fault.HARDWARE, 0, 5, 3, 599, 0).quickFailures()).isEqualTo(3);
        assertThat(rule.decide("x", RestartRule.Fault.HARDWARE, 0, 5, 3, 600, 0).quickFailures())
                .as("a run of exactly the healthy length is healthy").isZero();
        var hw = rule.decide("x", RestartRule.Fault.HARDWARE, 0, 5, 3, 10, 0);
        assertThat(hw.retryAt()).as("hardware restarts at once").isNaN();
        assertThat(hw.backoffNote()).isEmpty();
        assertThat(new RestartRule(null)).isEqualTo(RestartRule.IMMEDIATE);
    }

    @Test
    void withoutBackoffAJobFailureRestartsAtOnceWithoutANote() {
        var o = RestartRule.IMMEDIATE.decide("rank 1 exited", RestartRule.Fault.JOB, 0, 2, 0, 1, 100);
        assertThat(o.restart()).isTrue();
        assertThat(o.retryAt()).isNaN();
        assertThat(o.reason()).isEqualTo("restarting after: rank 1 exited");
        assertThat(o.backoffNote()).isEmpty();
        var twice = new RestartRule(new RestartBackoff(10, 40, 600))
                .decide("e", RestartRule.Fault.JOB, 1, 5, 1, 1, 100);
        assertThat(twice.retryAt()).isEqualTo(120);
        assertThat(twice.backoffNote()).isEqualTo("; next try in 20 s (2 quick failures in a row)");
        var cannot = RestartRule.IMMEDIATE.decide("exit 127", RestartRule.Fault.CANNOT_START, 0, 5, 0, 1, 0);
        assertThat(cannot.restart()).isFalse();
        assertThat(cannot.reason()).isEqualTo("failed: exit 127 (not restarted: no restart can start it)");
    }

    // ---- a run ---------------------------------------------------------------------------------

    @Test
    void aRunStoppedDuringItsStartupHeldItsGpusForTheStartupOnly() {
        Run r = new Run(new Placement(new int[] {0}, new long[] {1}), 100, 30, 50, 5, 0);
        assertThat(r.computeStart()).isEqualTo(130);
        assertThat(new double[] {r.start(), r.startup(), r.interval(), r.write()}).containsExactly(100, 30, 50, 5);
        assertThat(r.lastCheckpoint()).isNaN();
        assertThat(r.endAt(130, false)).as("stopped as training would begin")
                .isEqualTo(new Run.End(100, 30, 30, 0, 0, 0));
        assertThat(r.endAt(90, false)).as("a clock behind the start").isEqualTo(new Run.End(100, 0, 0, 0, 0, 0));
        // 40 s of training: 0..50 is the first interval, nothing written yet, all lost
        assertThat(r.endAt(170, false)).isEqualTo(new Run.End(100, 70, 30, 0, 0, 40));
        assertThat(r.endAt(170, true)).as("a planned stop keeps it").isEqualTo(new Run.End(100, 70, 30, 40, 0, 0));
    }

    @Test
    void aRunKeepsTheNewestCheckpointItHeardOf() {
        Run r = new Run(new Placement(new int[] {0}, new long[] {1}), 0, 0, Double.POSITIVE_INFINITY, 0, 0);
        r.checkpointed(60);
        r.checkpointed(40);
        assertThat(r.lastCheckpoint()).as("an older report does not move it back").isEqualTo(60);
        r.checkpointed(60);
        assertThat(r.endAt(100, false)).isEqualTo(new Run.End(0, 100, 0, 60, 0, 40));
        r.checkpointed(100);
        assertThat(r.endAt(100, false)).as("a checkpoint right at the stop keeps everything")
                .isEqualTo(new Run.End(0, 100, 0, 100, 0, 0));
    }

    // ---- time limits ---------------------------------------------------------------------------

    @Test
    void timeLimitsEstimateWaitingAndRunningJobsAndFindOverdueRunsAtTheirLimit() {
        TimeLimitRuns runs = new TimeLimitRuns();
        Lifecycle lc = lifecycle("fifo", TimeLimitRuns.options(RestartRule.IMMEDIATE), runs);
        assertThat(runs.isEmpty()).isTrue();
        runs.set(1, 100L);
        runs.set(2, 50L);
        runs.set(3, 7L);
        runs.set(3, null);
        assertThat(runs.limit(3)).isNull();
        assertThat(runs.isEmpty()).isFalse();
        lc.submit(1, spec(8), 0);
        lc.submit(2, spec(8), 0);
        lc.submit(3, spec(8), 0);
        assertThat(runs.estimate(lc.job(1), -1, 1_000)).as("waiting: the whole limit").isEqualTo(100);
        assertThat(runs.estimate(lc.job(3), -1, 0)).as("no limit").isInfinite();
        lc.cycle(10);
        assertThat(lc.job(1).estimatedEnd()).isEqualTo(110);
        assertThat(runs.estimate(lc.job(1), -1, 40)).as("running since 10: 70 left").isEqualTo(70);
        assertThat(runs.estimate(lc.job(1), -1, 500)).as("past its limit: nothing left").isZero();
        assertThat(runs.estimatedEnd(3, 10)).isInfinite();

        assertThat(runs.overdue(lc.running().all(), 59)).isEmpty();
        assertThat(runs.overdue(lc.running().all(), 60)).as("exactly 50 s").containsExactly(2);
        assertThat(runs.overdue(lc.running().all(), 110)).as("by id").containsExactly(1, 2);
        runs.remove(2);
        assertThat(runs.overdue(lc.running().all(), 110)).containsExactly(1);
        runs.clear();
        assertThat(runs.isEmpty()).isTrue();
        assertThat(runs.overdue(lc.running().all(), 1e9)).isEmpty();
    }

    // ---- jobs ending ---------------------------------------------------------------------------

    @Test
    void aJobTooBigForTheFleetIsRejectedFailedAndForgotten() {
        Lifecycle lc = lifecycle();
        var submitted = lc.submit(1, spec(32), 0);
        assertThat(submitted.job().id()).isEqualTo(1);
        assertThat(lc.jobs()).containsExactly(submitted.job());
        Rejected r = (Rejected) lc.cycle(0).getFirst();
        assertThat(r.job().state()).isEqualTo(JobState.FAILED);
        assertThat(r.job().reason()).isEqualTo(r.reason()).isNotBlank();
        assertThat(lc.job(1)).isNull();
        assertThat(lc.jobs()).isEmpty();
        assertThat(lc.waiting()).isEmpty();
    }

    @Test
    void aDriverFailsARunningJobForGood() {
        Lifecycle lc = lifecycle();
        lc.submit(1, spec(8), 0);
        assertThat(lc.planFail(1, 5, "time limit")).as("waiting: nothing to fail").isNull();
        assertThat(lc.fail(9, 5, "time limit")).isNull();
        lc.cycle(0);
        assertThat(lc.run(1).placement()).isEqualTo(lc.job(1).placement());
        assertThat(lc.run(9)).isNull();
        Failed f = lc.fail(1, 40, "time limit");
        assertThat(f.end().held()).isEqualTo(40);
        assertThat(f.job().state()).isEqualTo(JobState.FAILED);
        assertThat(f.job().reason()).isEqualTo("time limit");
        assertThat(f.job().attainedGpuSeconds()).isEqualTo(320);
        assertThat(lc.job(1)).isNull();
        assertThat(lc.fleet().allocatedGpus()).isZero();
        assertThat(lc.running().all()).isEmpty();
    }

    @Test
    void aPreemptedJobPaysItsOwnWriteAndRestoreOrTheConfiguredCost() {
        var ck = new CheckpointPolicy(Double.POSITIVE_INFINITY, 7, 5);
        for (double cost : new double[] {Double.NaN, 30}) {
            Lifecycle lc = lifecycle("priority", new Lifecycle.Options(RestartRule.IMMEDIATE, false, cost, null),
                    new TimeLimitRuns());
            lc.submit(1, spec(16, "t", 0, ck), 0);
            lc.cycle(0);
            lc.submit(2, spec(8, "t", 3, CheckpointPolicy.NONE), 10);
            assertThat(lc.cycle(10)).anyMatch(Preempted.class::isInstance);
            assertThat(lc.pendingStartup(1)).isEqualTo(Double.isNaN(cost) ? 12 : 30);
        }
    }

    @Test
    void aGpuOfJobZeroFailingInterruptsIt() {
        Lifecycle lc = lifecycle();
        lc.submit(0, spec(8), 0);
        lc.cycle(0);
        int h = lc.job(0).placement().hosts()[0];
        Interrupted ev = lc.gpuFailed(h, 0, 10, "xid", RestartRule.Fault.HARDWARE, false);
        assertThat(ev).isNotNull();
        assertThat(ev.job().id()).isZero();
        assertThat(lc.gpuFailed(1 - h, 0, 11, "xid", RestartRule.Fault.HARDWARE, false)).as("an idle GPU").isNull();
    }

    @Test
    void cancellingAWaitingJobThatWasNotBackingOffLeavesAnotherJobsBackoffInForce() {
        Lifecycle lc = lifecycle("fifo", TimeLimitRuns.options(new RestartRule(new RestartBackoff(100, 100, 600))),
                new TimeLimitRuns());
        lc.submit(1, spec(16), 0);
        lc.cycle(0);
        lc.submit(2, spec(8), 1);
        lc.cancel(2, 2);
        Interrupted ev = lc.interrupt(1, 5, "exit 1", RestartRule.Fault.JOB, false);
        assertThat(ev.outcome().retryAt()).isEqualTo(105);
        assertThat(lc.retryAt(1)).isEqualTo(105);
        assertThat(lc.quickFailures(1)).isEqualTo(1);
        assertThat(lc.cycle(50)).as("still backing off").isEmpty();
        assertThat(lc.cycle(105)).singleElement().isInstanceOf(Started.class);
        assertThat(lc.retryAt(1)).isNaN();
        assertThat(lc.retryAt(9)).isNaN();
        assertThat(lc.quickFailures(9)).isZero();
    }

    @Test
    void aRestoredRunningJobKeepsItsReportedCheckpoint() {
        Lifecycle lc = lifecycle();
        Job j = new Job(4, spec(8));
        j.restore(1, 0, 0, 0);
        Placement p = new Placement(new int[] {1}, new long[] {0xFF});
        lc.restoreRunning(j, p, 100, new Lifecycle.Restored(0, 0, Double.NaN, 160, Double.NaN));
        assertThat(lc.fleet().allocatedMask(1)).isEqualTo(0xFF);
        Interrupted ev = lc.interrupt(4, 200, "xid", RestartRule.Fault.HARDWARE, false);
        assertThat(ev.end().work()).isCloseTo(60, within(1e-9));
        assertThat(ev.end().lost()).isCloseTo(40, within(1e-9));

        Lifecycle none = lifecycle();
        Job k = new Job(5, spec(8));
        none.restoreRunning(k, p, 100, Lifecycle.Restored.NONE);
        assertThat(none.interrupt(5, 200, "xid", RestartRule.Fault.HARDWARE, false).end().lost())
                .as("no checkpoint: all lost").isEqualTo(100);
    }

    @Test
    void aTeamQuotaHoldsItsSecondJob() {
        Lifecycle lc = lifecycle();
        lc.setQuotas(new Quotas(Map.of("a", 8)));
        lc.submit(1, spec(8, "a", 1, CheckpointPolicy.NONE), 0);
        lc.submit(2, spec(8, "a", 1, CheckpointPolicy.NONE), 0);
        assertThat(lc.cycle(0)).singleElement().extracting(LifecycleEvent::job).extracting(Job::id).isEqualTo(1);
        lc.setQuotas(null);
        assertThat(lc.cycle(1)).as("no quota").singleElement().extracting(LifecycleEvent::job).extracting(Job::id)
                .isEqualTo(2);
    }

    @Test
    void optionsKeepTheirSharesAndTheLifecycleItsParts() {
        var o = new Lifecycle.Options(null, false, 0, Map.of("a", 8));
        assertThat(o.shares()).isEqualTo(Map.of("a", 8));
        assertThat(o.restarts()).isEqualTo(RestartRule.IMMEDIATE);
        Lifecycle lc = lifecycle();
        assertThat(lc.topology()).isSameAs(lc.fleet().topology());
        assertThat(lc.scheduler()).isNotNull();
        assertThat(lc.policy().name()).isEqualTo("fifo");
        assertThat(new Lifecycle(new FleetState(Fleets.labTopology(1, 1, 1, 2, 8)), PolicyRegistry.get("fifo"), null,
                new TimeLimitRuns()).topology().hostCount()).isEqualTo(2);
        assertThat(List.of(lc.wakeAt())).containsExactly(Double.POSITIVE_INFINITY);
    }
}
