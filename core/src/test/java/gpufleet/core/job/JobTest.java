package gpufleet.core.job;

import gpufleet.core.state.Placement;
import gpufleet.core.testkit.Jobs;
import gpufleet.core.testkit.Placements;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class JobTest {
    private static final Placement EIGHT = Placements.first(0, 8);

    private static Job job(int maxRestarts) {
        return Jobs.job(1).gpus(8).tp(8).maxRestarts(maxRestarts).submit(10).build();
    }

    @Test
    void newJobIsPendingSinceItsSubmission() {
        Job j = job(3);
        assertThat(j.state()).isEqualTo(JobState.PENDING);
        assertThat(j.waitingSince()).isEqualTo(10);
        assertThat(j.queueWait()).isZero();
        assertThat(j.placement()).isNull();
        assertThat(j.firstStart()).isNaN();
        assertThat(j.estimatedEnd()).isInfinite();
    }

    @Test
    void startRecordsPlacementTimesAndClearsTheReason() {
        Job j = job(3);
        j.setReason("waiting for free GPUs", "NO_FREE_GPUS");
        assertThat(j.reasonCode()).isEqualTo("NO_FREE_GPUS");
        j.start(40, EIGHT);
        assertThat(j.state()).isEqualTo(JobState.RUNNING);
        assertThat(j.placement()).isEqualTo(EIGHT);
        assertThat(j.runStart()).isEqualTo(40);
        assertThat(j.firstStart()).isEqualTo(40);
        assertThat(j.queueWait()).isEqualTo(30);
        assertThat(j.reason()).isEmpty();
        assertThat(j.reasonCode()).as("a running job waits for nothing").isEmpty();
    }

    @Test
    void queueWaitAccumulatesAcrossEveryWait() {
        Job j = job(3);
        j.start(40, EIGHT);            // waited 30 since submission at 10
        j.interrupt(100, "xid", true, "restarting");
        j.start(160, EIGHT);           // +60 waiting to restart
        j.preempt(200, 7);
        j.start(250, EIGHT);           // +50 waiting after preemption
        assertThat(j.queueWait()).isEqualTo(140);
        assertThat(j.firstStart()).isEqualTo(40);
        assertThat(j.runStart()).isEqualTo(250);
        assertThat(j.restarts()).isEqualTo(1);
        assertThat(j.preemptions()).isEqualTo(1);
    }

    @Test
    void anInterruptThatRestartsWaitsWithOneMoreRestart() {
        Job j = job(2);
        j.start(40, EIGHT);
        j.interrupt(100, "xid", true, "restarting after: xid");
        assertThat(j.state()).isEqualTo(JobState.RESTARTING);
        assertThat(j.restarts()).isEqualTo(1);
        assertThat(j.placement()).isNull();
        assertThat(j.waitingSince()).isEqualTo(100);
        assertThat(j.reason()).isEqualTo("restarting after: xid");
        assertThat(j.endTime()).isNaN();
    }

    @Test
    void anInterruptThatDoesNotRestartFailsTheJob() {
        Job j = job(2);
        j.start(40, EIGHT);
        j.interrupt(50, "host down", false, "failed after 0 restarts (max 2): host down");
        assertThat(j.state()).isEqualTo(JobState.FAILED);
        assertThat(j.restarts()).isZero();
        assertThat(j.endTime()).isEqualTo(50);
        assertThat(j.placement()).isNull();
        assertThat(j.reason()).isEqualTo("failed after 0 restarts (max 2): host down");
        assertThat(j.interruptions()).isEqualTo(1);
    }

    @Test
    void interruptionsAreCountedByCause() {
        Job j = job(5);
        for (String cause : new String[] {"xid", "host down", "xid"}) {
            j.start(0, EIGHT);
            j.interrupt(1, cause, true, "restarting");
        }
        assertThat(j.interruptionsByCause()).isEqualTo(Map.of("xid", 2, "host down", 1));
        assertThat(j.interruptions()).isEqualTo(3);
        assertThat(j.preemptions()).isZero();
    }

    @Test
    void preemptReturnsTheJobToTheQueue() {
        Job j = job(3);
        j.start(40, EIGHT);
        j.preempt(90, 7);
        assertThat(j.state()).isEqualTo(JobState.PREEMPTED);
        assertThat(j.preemptions()).isEqualTo(1);
        assertThat(j.placement()).isNull();
        assertThat(j.waitingSince()).isEqualTo(90);
        assertThat(j.reason()).isEqualTo("preempted by job 7");
        assertThat(j.restarts()).as("a preemption is not a restart").isZero();
        assertThat(j.interruptions()).isZero();
    }

    @Test
    void completeFailAndCancelEndTheJob() {
        Job done = job(3);
        done.start(40, EIGHT);
        done.complete(100);
        assertThat(done.state()).isEqualTo(JobState.COMPLETED);
        assertThat(done.endTime()).isEqualTo(100);
        assertThat(done.placement()).isNull();

        Job rejected = job(3);
        rejected.fail(20, "never fits");
        assertThat(rejected.state()).isEqualTo(JobState.FAILED);
        assertThat(rejected.reason()).isEqualTo("never fits");
        assertThat(rejected.endTime()).isEqualTo(20);

        Job cancelled = job(3);
        cancelled.start(40, EIGHT);
        cancelled.interrupt(50, "xid", true, "restarting");
        cancelled.cancel(60);
        assertThat(cancelled.state()).isEqualTo(JobState.CANCELLED);
        assertThat(cancelled.endTime()).isEqualTo(60);
    }

    @Test
    void attainedServiceAccumulates() {
        Job j = job(3);
        j.addAttained(100);
        j.addAttained(50);
        assertThat(j.attainedGpuSeconds()).isEqualTo(150);
    }

    @Test
    void negativeIdIsRefused() {
        assertThatThrownBy(() -> new Job(-1, Jobs.job(0).spec())).isInstanceOf(IllegalArgumentException.class);
    }

    /** Bugs found by these tests, each pinned by the test named after it. */
    @Nested
    class Regressions {

        @Test
        void interruptOfAWaitingJobFailedItInsteadOfBeingRefused() {
            // maxRestarts 0: before the fix, interrupting a waiting job "ran out of restarts" and failed it
            Job pending = Jobs.job(1).gpus(8).tp(8).maxRestarts(0).build();
            Job preempted = Jobs.job(2).gpus(8).tp(8).maxRestarts(0).build();
            preempted.start(0, EIGHT);
            preempted.preempt(5, 9);
            Job restarting = Jobs.job(3).gpus(8).tp(8).maxRestarts(1).build();
            restarting.start(0, EIGHT);
            restarting.interrupt(5, "xid", true, "restarting");
            for (Job j : new Job[] {pending, preempted, restarting}) {
                var before = JobStateTest.Snapshot.of(j);
                assertThatThrownBy(() -> j.interrupt(10, "xid", false, "failed")).as("interrupt of a %s job", j.state())
                        .isInstanceOf(IllegalStateException.class).hasMessageContaining("only RUNNING");
                assertThat(JobStateTest.Snapshot.of(j)).as("a refused interrupt changes nothing").isEqualTo(before);
            }
        }

        @Test
        void startWithAWrongSizedPlacementLeftTheJobRunningWithoutAPlacement() {
            Job j = job(3);
            assertThatThrownBy(() -> j.start(40, Placements.first(0, 4)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("needs 8 GPUs, placement has 4");
            assertThat(j.state()).isEqualTo(JobState.PENDING);
            assertThat(j.placement()).isNull();
            assertThat(j.queueWait()).isZero();
        }
    }
}
