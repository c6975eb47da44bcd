package gpufleet.core.sched;

import gpufleet.core.job.Job;
import gpufleet.core.job.JobState;
import gpufleet.core.state.HostStatus;
import gpufleet.core.testkit.Fleets;
import gpufleet.core.testkit.Harness;
import gpufleet.core.testkit.Invariants;
import gpufleet.core.testkit.Placements;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static gpufleet.core.job.Priority.CRITICAL;
import static gpufleet.core.job.Priority.HIGH;
import static gpufleet.core.job.Priority.LOW;
import static gpufleet.core.job.Priority.NORMAL;
import static gpufleet.core.testkit.Harness.preempted;
import static gpufleet.core.testkit.Harness.started;
import static gpufleet.core.testkit.Jobs.job;
import static gpufleet.core.testkit.Placements.first;
import static gpufleet.core.testkit.Placements.whole;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

class SchedulerTest {
    /** One rack of 4 hosts x 8 GPUs. */
    // the mechanics (quota, backfill, preemption) are pinned under priority-backfill, whose order is
    // plain priority-then-arrival; gpufleet's own order is pinned in GpufleetOrder below
    private Harness h = new Harness(Fleets.lab(1, 1, 1, 4, 8), Policy.PRIORITY_BACKFILL);

    /** After every scenario the running jobs own exactly their placements, and nothing else is held. */
    @AfterEach
    void decisionsAreConsistentWithTheFleetState() {
        Invariants.assertRunningMatchesState(h.state, h.running.all());
        for (Job j : h.running.all()) assertThat(j.state()).isEqualTo(JobState.RUNNING);
    }

    private Harness fleet(int hosts, Policy policy) {
        h = new Harness(Fleets.lab(1, 1, 1, hosts, 8), policy);
        return h;
    }

    @Nested
    class Order {
        @Test
        void priorityFifoSortsByPriorityThenSubmissionThenId() {
            var jobs = new ArrayList<>(List.of(job(1).priority(LOW).submit(0).build(), job(2).priority(HIGH).submit(5).build(),
                    job(3).priority(NORMAL).submit(2).build(), job(4).priority(NORMAL).submit(1).build(),
                    job(5).priority(NORMAL).submit(1).build(), job(6).priority(CRITICAL).submit(9).build()));
            jobs.sort(QueueOrder.PRIORITY_FIFO.comparator());
            assertThat(jobs).extracting(Job::id).containsExactly(6, 2, 4, 5, 3, 1);
            jobs.sort(QueueOrder.FIFO.comparator());
            assertThat(jobs).extracting(Job::id).containsExactly(1, 4, 5, 3, 2, 6);
        }

        @Test
        void aCycleStartsJobsInPriorityThenArrivalOrder() {
            fleet(1, Policy.PRIORITY);
            Job low = job(1).gpus(4).priority(LOW).submit(0).build();
            Job high = job(2).gpus(4).priority(HIGH).submit(5).build();
            Job early = job(3).gpus(4).submit(1).build();
            Job late = job(4).gpus(4).submit(2).build();
            var r = h.cycle(10, low, high, early, late);
            assertThat(started(r)).containsExactly(high, early);
            assertThat(r.considered()).isEqualTo(4);
            assertThat(late.reason()).isEqualTo(Scheduler.REASON_RESERVED);
            assertThat(low.reason()).isEqualTo(Scheduler.REASON_BLOCKED);
            assertThat(low.state()).isEqualTo(JobState.PENDING);
        }

        @Test
        void fifoIgnoresPriority() {
            fleet(1, Policy.FIFO);
            Job low = job(1).gpus(8).priority(LOW).submit(0).build();
            Job high = job(2).gpus(8).priority(HIGH).submit(1).build();
            assertThat(started(h.cycle(0, high, low))).containsExactly(low);
            assertThat(high.reason()).isEqualTo(Scheduler.REASON_RESERVED);
        }
    }

    @Nested
    class Quota {
        @Test
        void aTeamOverItsQuotaWaitsWithTheReasonAndOthersGoAhead() {
            h.quotas(Quotas.NONE.with("a", 8));
            h.run(job(1).gpus(4).team("a").build(), 0);
            Job a = job(2).gpus(8).team("a").submit(1).build();
            Job b = job(3).gpus(8).team("b").submit(2).build();
            var r = h.cycle(10, a, b);
            assertThat(started(r)).containsExactly(b);
            assertThat(a.state()).isEqualTo(JobState.PENDING);
            assertThat(a.reason()).isEqualTo("team quota (a: 4 + 8 > 8 GPUs)");
        }

        @Test
        void quotaCountsJobsStartedEarlierInTheSameCycle() {
            h.quotas(Quotas.NONE.with("a", 8));
            Job first = job(1).gpus(8).team("a").submit(0).build();
            Job second = job(2).gpus(4).team("a").submit(1).build();
            assertThat(started(h.cycle(0, first, second))).containsExactly(first);
            assertThat(second.reason()).startsWith(Scheduler.REASON_QUOTA).contains("a: 8 + 4 > 8");
        }

        @Test
        void aQuotaBlockedJobDoesNotBlockAStrictQueue() {
            fleet(4, Policy.FIFO).quotas(Quotas.NONE.with("a", 0));
            Job a = job(1).gpus(8).team("a").submit(0).build();
            Job b = job(2).gpus(8).team("b").submit(1).build();
            assertThat(started(h.cycle(0, a, b))).containsExactly(b);
        }

        @Test
        void quotasRefuseNegativeLimits() {
            assertThatCode(() -> new Quotas(java.util.Map.of("a", -1))).isInstanceOf(IllegalArgumentException.class);
            assertThat(Quotas.NONE.limit("anyone")).isEqualTo(Integer.MAX_VALUE);
        }
    }

    @Nested
    class Reject {
        @Test
        void moreGpusThanTheFleetIsRejectedWithTheNumbers() {
            Job big = job(1).gpus(64).build();
            var r = h.cycle(0, big);
            assertThat(r.decisions()).containsExactly(new Decision.Reject(big, "needs 64 GPUs; the largest eligible cluster has 32"));
            assertThat(big.state()).isEqualTo(JobState.FAILED);
            assertThat(big.reason()).contains("64 GPUs");
        }

        @Test
        void aTensorParallelGroupLargerThanAHostIsRejected() {
            Job wide = job(1).gpus(16).tp(16).build();
            var r = h.cycle(0, wide);
            assertThat(r.decisions()).singleElement().isInstanceOf(Decision.Reject.class);
            assertThat(((Decision.Reject) r.decisions().getFirst()).reason())
                    .isEqualTo("tensor-parallel group of 16 GPUs is larger than a host (8 GPUs)");
        }

        @Test
        void aGpuTypeNoClusterHasIsRejected() {
            Job b200 = job(1).gpus(8).gpuType("B200").build();
            var r = h.cycle(0, b200);
            assertThat(((Decision.Reject) r.decisions().getFirst()).reason()).isEqualTo("no cluster has GPU type B200");
        }

        @Test
        void aRejectedJobDoesNotBlockAStrictQueue() {
            fleet(4, Policy.FIFO);
            Job big = job(1).gpus(64).submit(0).build();
            Job small = job(2).gpus(8).submit(1).build();
            var r = h.cycle(0, big, small);
            assertThat(r.decisions()).hasSize(2);
            assertThat(started(r)).containsExactly(small);
        }

        @Test
        void sparesDoNotCountTowardsWhatAJobCanEverGet() {
            h = new Harness(Fleets.fleet(Fleets.cluster("a").hosts(4).spares(1)), Policy.GPUFLEET);
            Job j = job(1).gpus(32).build();
            assertThat(h.scheduler.admissionError(j)).isEqualTo("needs 32 GPUs; the largest eligible cluster has 24");
            assertThat(h.scheduler.admissionError(job(2).gpus(24).build())).isNull();
        }
    }

    @Nested
    class StrictOrder {
        @Test
        void fifoBlocksEverythingBehindTheFirstBlockedJob() {
            fleet(2, Policy.FIFO);
            h.run(job(1).gpus(8).build(), 0);
            Job head = job(2).gpus(16).submit(1).build();
            Job small = job(3).gpus(4).submit(2).duration(1).build();
            var r = h.cycle(10, head, small);
            assertThat(r.decisions()).isEmpty();
            assertThat(head.reason()).isEqualTo(Scheduler.REASON_RESERVED);
            assertThat(small.reason()).isEqualTo(Scheduler.REASON_BLOCKED);
        }

        @Test
        void theSameQueueBackfillsUnderGpufleet() {
            fleet(2, Policy.GPUFLEET);
            h.runOn(job(1).gpus(8).build(), first(0, 8), 0, 100);
            Job head = job(2).gpus(16).submit(1).build();
            Job small = job(3).gpus(4).submit(2).duration(50).build();
            assertThat(started(h.cycle(10, head, small))).containsExactly(small);
        }
    }

    @Nested
    class Backfill {
        // 4 hosts x 8 = 32 GPUs; a running job holds 24 until t=100, leaving a hole of 8
        private Job running;

        private void holdThreeHostsUntil100() {
            running = h.runOn(job(100).gpus(24).build(), whole(h.topo, 0, 1, 2), 0, 100);
        }

        @Test
        void aShortJobStartsInTheHoleALongOneDoesNot() {
            holdThreeHostsUntil100();
            Job head = job(1).gpus(32).submit(0).build();
            Job longJob = job(2).gpus(8).submit(1).duration(500).build();
            Job shortJob = job(3).gpus(8).submit(2).duration(50).build();
            var r = h.cycle(10, head, longJob, shortJob);
            assertThat(started(r)).containsExactly(shortJob);
            assertThat(shortJob.placement().hosts()).containsExactly(3);
            assertThat(head.reason()).isEqualTo(Scheduler.REASON_RESERVED);
            assertThat(longJob.reason()).isEqualTo(Scheduler.REASON_BACKFILL);
            assertThat(longJob.state()).isEqualTo(JobState.PENDING);
        }

        @Test
        void aJobEndingExactlyAtTheReservedStartMayBackfill() {
            holdThreeHostsUntil100();
            Job head = job(1).gpus(32).submit(0).build();
            Job edge = job(2).gpus(8).submit(1).duration(90).build();
            assertThat(started(h.cycle(10, head, edge))).containsExactly(edge);
        }

        @Test
        void aLongJobMayUseGpusTheReservedJobWillNotNeed() {
            holdThreeHostsUntil100();
            // the head needs 24: at t=100 there will be 32 free, 8 more than it needs
            Job head = job(1).gpus(24).submit(0).build();
            Job longJob = job(2).gpus(8).submit(1).duration(500).build();
            var r = h.cycle(10, head, longJob);
            assertThat(started(r)).containsExactly(longJob);
        }

        @Test
        void twoLongJobsCannotShareTheGpusTheReservedJobLeavesOver() {
            // 16 of 32 GPUs are held until t=100; the head needs 24, so at t=100 it leaves 8 over.
            // One long 8-GPU job fits in those 8; a second would hold 8 more past t=100 and leave
            // the head 16 < 24 at its reserved start.
            running = h.runOn(job(100).gpus(16).build(), whole(h.topo, 0, 1), 0, 100);
            Job head = job(1).gpus(24).submit(0).build();
            Job long1 = job(2).gpus(8).submit(1).duration(500).build();
            Job long2 = job(3).gpus(8).submit(2).duration(500).build();
            var r = h.cycle(10, head, long1, long2);
            assertThat(started(r)).containsExactly(long1);
            assertThat(long2.reason()).isEqualTo(Scheduler.REASON_BACKFILL);

            h.complete(running, 100);
            assertThat(started(h.cycle(100, head, long2))).as("the head starts at its reserved time").containsExactly(head);
        }

        @Test
        void unknownRuntimesDoNotBackfillAheadOfAKnownReservation() {
            holdThreeHostsUntil100();
            h.estimator(Scheduler.Estimator.UNKNOWN);
            Job head = job(1).gpus(32).submit(0).build();
            Job any = job(2).gpus(8).submit(1).duration(1).build();
            var r = h.cycle(10, head, any);
            assertThat(r.decisions()).isEmpty();
            assertThat(any.reason()).isEqualTo(Scheduler.REASON_BACKFILL);
        }

        @Test
        void unknownRuntimesNeverBackfillAheadOfAnUnknownReservation() {
            // regression: with running jobs' ends unknown the shadow time is infinite, and
            // "now + infinity <= infinity" let a job of unknown length jump the reserved gang
            for (int host = 0; host < 3; host++)
                h.runOn(job(100 + host).gpus(8).build(), whole(h.topo, host), 0, Double.POSITIVE_INFINITY);
            h.estimator(Scheduler.Estimator.UNKNOWN);
            Job head = job(1).gpus(32).submit(0).build();
            Job any = job(2).gpus(8).submit(1).build();
            var r = h.cycle(10, head, any);
            assertThat(r.decisions()).isEmpty();
            assertThat(any.reason()).isEqualTo(Scheduler.REASON_BACKFILL);
        }

        @Test
        void aBlockedJobBehindTheReservationWaitsForResources() {
            holdThreeHostsUntil100();
            Job head = job(1).gpus(32).submit(0).build();
            Job big = job(2).gpus(16).submit(1).duration(1).build();
            h.cycle(10, head, big);
            assertThat(big.reason()).isEqualTo(Scheduler.REASON_RESOURCES);
        }
    }

    @Nested
    class Preemption {
        // host 0: A (low, started 0); host 1: B (low, started 10); host 2: C (normal, 5); host 3: D (high, 0)
        private Job a, b, c, d;

        private void fill() {
            a = h.runOn(job(101).gpus(8).priority(LOW).build(), whole(h.topo, 0), 0, 1000);
            b = h.runOn(job(102).gpus(8).priority(LOW).build(), whole(h.topo, 1), 10, 1000);
            c = h.runOn(job(103).gpus(8).priority(NORMAL).build(), whole(h.topo, 2), 5, 1000);
            d = h.runOn(job(104).gpus(8).priority(HIGH).build(), whole(h.topo, 3), 0, 1000);
        }

        @Test
        void aHighJobPreemptsTheMostRecentlyStartedLowestPriorityJobOnly() {
            fill();
            Job x = job(1).gpus(8).priority(HIGH).build();
            var r = h.cycle(20, x);
            assertThat(r.decisions()).containsExactly(new Decision.Preempt(b, x), new Decision.Start(x, whole(h.topo, 1)));
            assertThat(b.state()).isEqualTo(JobState.PREEMPTED);
            assertThat(b.reason()).isEqualTo("preempted by job 1");
            assertThat(a.state()).isEqualTo(JobState.RUNNING);
        }

        @Test
        void victimsGoLowestPriorityFirstAndNoMoreThanNeeded() {
            fill();
            Job x = job(1).gpus(16).priority(HIGH).build();
            assertThat(preempted(h.cycle(20, x))).containsExactly(b, a);
            Job y = job(2).gpus(8).priority(HIGH).build();
            assertThat(preempted(h.cycle(30, y))).containsExactly(c);
        }

        @Test
        void aJobNeverPreemptsEqualOrHigherPriority() {
            fill();
            Job x = job(1).gpus(32).priority(HIGH).build();
            String before = Invariants.fingerprint(h.state);
            var r = h.cycle(20, x);
            assertThat(r.decisions()).as("D is HIGH too, so 32 GPUs cannot be freed").isEmpty();
            assertThat(Invariants.fingerprint(h.state)).isEqualTo(before);
            assertThat(x.reason()).isEqualTo(Scheduler.REASON_RESERVED);

            Job y = job(2).gpus(24).priority(NORMAL).build();
            assertThat(h.cycle(20, y).decisions()).as("only the two LOW jobs are below NORMAL").isEmpty();
            assertThat(Invariants.fingerprint(h.state)).isEqualTo(before);
        }

        @Test
        void equalPriorityNeverPreempts() {
            fill();
            Job x = job(1).gpus(8).priority(LOW).build();
            assertThat(h.cycle(20, x).decisions()).isEmpty();
        }

        @Test
        void aVictimThatTurnsOutUnneededIsGivenBack() {
            // host 0: A low 8 (started 0); host 1: B low 4 (started 10) + C normal 4; hosts 2-3: D critical 16.
            // X (high, one TP group of 8) considers B first (most recent), which frees only half a host,
            // then A, which suffices alone: B is given back.
            Job a = h.runOn(job(101).gpus(8).priority(LOW).build(), whole(h.topo, 0), 0, 1000);
            Job b = h.runOn(job(102).gpus(4).priority(LOW).build(), first(1, 4), 10, 1000);
            h.runOn(job(103).gpus(4).priority(NORMAL).build(), Placements.of().on(1, 0xf0).build(), 5, 1000);
            h.runOn(job(104).gpus(16).priority(CRITICAL).build(), whole(h.topo, 2, 3), 0, 1000);
            Job x = job(1).gpus(8).tp(8).priority(HIGH).build();
            var r = h.cycle(20, x);
            assertThat(preempted(r)).containsExactly(a);
            assertThat(x.placement()).isEqualTo(whole(h.topo, 0));
            assertThat(b.state()).isEqualTo(JobState.RUNNING);
        }

        @Test
        void strictPoliciesWithoutPreemptionNeverPreempt() {
            fleet(4, Policy.FIFO);
            fill();
            Job x = job(1).gpus(8).priority(CRITICAL).build();
            assertThat(h.cycle(20, x).decisions()).isEmpty();
        }

        @Test
        void onlyTheFirstBlockedJobMayPreempt() {
            fill();
            Job head = job(1).gpus(32).priority(HIGH).submit(0).build();
            Job next = job(2).gpus(8).priority(HIGH).submit(1).build();
            var r = h.cycle(20, head, next);
            assertThat(r.decisions()).isEmpty();
            assertThat(next.reason()).isEqualTo(Scheduler.REASON_RESOURCES);
        }
    }

    /** Bugs found by these tests, each pinned by the test named after it. */
    @Nested
    class Regressions {

        @Test
        void aFailedPreemptionThrewWhenAVictimRanOnADrainingHost() {
            fleet(2, Policy.GPUFLEET);
            Job low = h.runOn(job(101).gpus(8).priority(LOW).build(), whole(h.topo, 0), 0, 1000);
            h.state.setStatus(0, HostStatus.DRAINING);
            Job x = job(1).gpus(16).priority(HIGH).build();
            var r = h.cycle(10, x);
            assertThat(r.decisions()).isEmpty();
            assertThat(low.state()).isEqualTo(JobState.RUNNING);
            assertThat(h.state.ownerOf(0, 0)).isEqualTo(low.id());
        }

        @Test
        void aVictimOnADrainingHostWasPreemptedEvenWhenNotNeeded() {
            fleet(2, Policy.GPUFLEET);
            // D: low, started last, on draining host 0 (preempting it frees nothing usable); A: low on host 1
            Job a = h.runOn(job(101).gpus(8).priority(LOW).build(), whole(h.topo, 1), 0, 1000);
            Job d = h.runOn(job(102).gpus(8).priority(LOW).build(), whole(h.topo, 0), 10, 1000);
            h.state.setStatus(0, HostStatus.DRAINING);
            Job x = job(1).gpus(8).priority(HIGH).build();
            var r = h.cycle(20, x);
            assertThat(preempted(r)).containsExactly(a);
            assertThat(d.state()).isEqualTo(JobState.RUNNING);
        }

        @Test
        void aJobPreemptedEarlierInTheCycleWasPreemptedAgain() {
            fleet(2, Policy.GPUFLEET);
            Job a = h.runOn(job(101).gpus(8).priority(LOW).build(), whole(h.topo, 0), 0, 1000);
            Job b = h.runOn(job(102).gpus(8).priority(LOW).build(), whole(h.topo, 1), 10, 1000);
            Job x = job(1).gpus(8).priority(HIGH).submit(0).build();
            Job y = job(2).gpus(8).priority(HIGH).submit(1).build();
            var r = h.cycle(20, x, y);
            assertThat(r.decisions()).containsExactly(new Decision.Preempt(b, x), new Decision.Start(x, whole(h.topo, 1)),
                    new Decision.Preempt(a, y), new Decision.Start(y, whole(h.topo, 0)));
        }

        @Test
        void aFailedPreemptionThrewWhenAVictimWasPreemptedEarlierInTheCycle() {
            fleet(2, Policy.GPUFLEET);
            Job a = h.runOn(job(101).gpus(8).priority(LOW).build(), whole(h.topo, 0), 0, 1000);
            Job b = h.runOn(job(102).gpus(8).priority(LOW).build(), whole(h.topo, 1), 10, 1000);
            Job x = job(1).gpus(8).priority(HIGH).submit(0).build();
            Job y = job(2).gpus(16).priority(HIGH).submit(1).build();
            var r = h.cycle(20, x, y);
            assertThat(r.decisions()).containsExactly(new Decision.Preempt(b, x), new Decision.Start(x, whole(h.topo, 1)));
            assertThat(a.state()).isEqualTo(JobState.RUNNING);
            assertThat(y.state()).isEqualTo(JobState.PENDING);
        }
    }

    /** gpufleet's own order: priority, then least attained service, then fewer GPUs, with a starvation bound. */
    @Nested
    class GpufleetOrder {

        @Test
        void withinAPriorityAndQueueTheNarrowerGangGoesFirst() {
            fleet(4, Policy.GPUFLEET);
            Job wide = job(1).gpus(32).submit(0).build();
            Job narrow = job(2).gpus(8).submit(1).build();
            var r = h.cycle(10, wide, narrow);
            assertThat(started(r)).containsExactly(narrow);
            assertThat(wide.reason()).isEqualTo(Scheduler.REASON_RESERVED);
            // under plain priority-then-arrival the wide gang, first to arrive, takes the whole fleet
            fleet(4, Policy.PRIORITY_BACKFILL);
            Job wide2 = job(1).gpus(32).submit(0).build();
            Job narrow2 = job(2).gpus(8).submit(1).build();
            assertThat(started(h.cycle(10, wide2, narrow2))).containsExactly(wide2);
        }

        @Test
        void aJobWithMoreAttainedServiceGoesAfterNewOnesEvenIfNarrower() {
            fleet(1, Policy.GPUFLEET);
            Job veteran = job(1).gpus(1).submit(0).build();
            veteran.addAttained(Policy.TIRESIAS_THRESHOLDS[0] + 1); // in the second queue
            Job fresh = job(2).gpus(8).submit(5).build();
            var r = h.cycle(10, veteran, fresh);
            assertThat(started(r)).containsExactly(fresh);
        }

        @Test
        void priorityStillComesFirst() {
            fleet(1, Policy.GPUFLEET);
            Job lowNarrow = job(1).gpus(1).priority(LOW).submit(0).build();
            Job highWide = job(2).gpus(8).priority(HIGH).submit(5).build();
            assertThat(started(h.cycle(10, lowNarrow, highWide))).containsExactly(highWide);
        }

        @Test
        void aJobWaitingBeyondTheStarvationBoundGoesFirstInItsPriority() {
            fleet(4, Policy.GPUFLEET);
            double now = Policy.STARVATION_SEC + 100;
            Job starved = job(1).gpus(32).submit(0).build();              // waited past the bound
            Job narrow = job(2).gpus(8).submit(now - 10).build();          // would otherwise go first
            var r = h.cycle(now, starved, narrow);
            assertThat(started(r)).containsExactly(starved);
            assertThat(narrow.reason()).isEqualTo(Scheduler.REASON_RESERVED);
        }
    }
}
