package gpufleet.core.lifecycle;

import gpufleet.core.job.CheckpointPolicy;
import gpufleet.core.job.Job;
import gpufleet.core.job.JobSpec;
import gpufleet.core.job.JobState;
import gpufleet.core.job.Parallelism;
import gpufleet.core.job.Work;
import gpufleet.core.lifecycle.LifecycleEvent.Preempted;
import gpufleet.core.lifecycle.LifecycleEvent.Started;
import gpufleet.core.sched.PolicyRegistry;
import gpufleet.core.sched.Scheduler;
import gpufleet.core.state.FleetState;
import gpufleet.core.testkit.Fleets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import static gpufleet.core.job.Priority.HIGH;
import static gpufleet.core.job.Priority.LOW;
import static gpufleet.core.job.Priority.NORMAL;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the README and docs/policies.md promise of {@code priority} and {@code priority-backfill},
 * checked by running small hand-built workloads to the end through the lifecycle (the driver both the
 * twin and the controller use) with exact run times, and reading when each job started:
 * <ul>
 * <li>the queue is in priority order, then arrival: a higher-priority job starts first;</li>
 * <li>{@code priority} is strict: nothing behind the first blocked job starts;</li>
 * <li>{@code priority-backfill} starts a later job only if that does not delay the reserved start of
 *     the first blocked job (EASY);</li>
 * <li>both preempt running jobs of strictly lower priority, never equal or higher.</li>
 * </ul>
 * Fleets are one rack of 8-GPU hosts; every job is a whole number of hosts (TP 8), so counting GPUs
 * and placing them agree and the expected times can be worked out on paper.
 */
class PriorityPoliciesTest {

    /** A job to submit: id, GPUs, priority, exact run time, submission time. */
    record J(int id, int gpus, int priority, double seconds, double submit) {}

    /** Runs the workload on {@code hosts} hosts under {@code policy} until every job ended; returns start times by id. */
    static final class Run {
        final Lifecycle lc;
        final Map<Integer, Double> firstStart = new TreeMap<>();
        final Map<Integer, Double> lastStart = new TreeMap<>();
        final Map<Integer, Double> end = new TreeMap<>();
        final List<Integer> preempted = new ArrayList<>();
        /** per job, the shadow time worked out by hand when it first held the reservation */
        final Map<Integer, Double> promised = new HashMap<>();
        /** per promised job, its first start after the promise */
        final Map<Integer, Double> startAfterPromise = new HashMap<>();
        /** promised jobs that lost the head of the line to a job preempted back into the queue */
        final java.util.Set<Integer> overtaken = new java.util.HashSet<>();
        private final Map<Integer, Double> seconds = new HashMap<>();
        private final Map<Integer, Double> trained = new HashMap<>();

        Run(String policy, int hosts, List<J> jobs) {
            Lifecycle.Runs exact = new Lifecycle.Runs() {
                @Override public double estimate(Job job, int cluster, double now) {
                    return left(job, now);
                }

                @Override public Lifecycle.RunPlan plan(Job job, gpufleet.core.state.Placement p, double now,
                                                        double startup) {
                    return new Lifecycle.RunPlan(Double.POSITIVE_INFINITY, 0, now + left(job, now));
                }
            };
            lc = new Lifecycle(new FleetState(Fleets.labTopology(1, 1, 1, hosts, 8)), PolicyRegistry.get(policy),
                    new Lifecycle.Options(RestartRule.IMMEDIATE, true, 0, Map.of()), exact);
            var arrivals = new TreeMap<Double, List<J>>();
            for (J j : jobs) {
                arrivals.computeIfAbsent(j.submit(), k -> new ArrayList<>()).add(j);
                seconds.put(j.id(), j.seconds());
                trained.put(j.id(), 0.0);
            }
            double now = 0;
            for (int step = 0; step < 10_000; step++) {
                for (Job r : List.copyOf(lc.running().all()))
                    if (r.estimatedEnd() <= now) {
                        lc.complete(r.id(), now);
                        end.put(r.id(), now);
                    }
                var due = arrivals.headMap(now, true);
                for (List<J> js : due.values())
                    for (J j : js) lc.submit(j.id(), spec(j), now);
                due.clear();
                List<Job> startedNow = new ArrayList<>();
                for (LifecycleEvent ev : lc.cycle(now)) {
                    int id = ev.job().id();
                    switch (ev) {
                        case Started s -> {
                            startedNow.add(s.job());
                            firstStart.putIfAbsent(id, now);
                            lastStart.put(id, now);
                            if (promised.containsKey(id)) startAfterPromise.putIfAbsent(id, now);
                        }
                        case Preempted p -> {
                            preempted.add(id);
                            trained.merge(id, p.end().work(), Double::sum);
                        }
                        default -> { }
                    }
                }
                noteReservations(startedNow);
                double next = Double.POSITIVE_INFINITY;
                for (Job r : lc.running().all()) next = Math.min(next, r.estimatedEnd());
                if (!arrivals.isEmpty()) next = Math.min(next, arrivals.firstKey());
                if (Double.isInfinite(next)) break;
                now = next;
            }
            assertThat(lc.jobs()).as("every job ran to its end").isEmpty();
        }

        private double left(Job job, double now) {
            double done = trained.get(job.id()) + (job.state() == JobState.RUNNING ? now - job.runStart() : 0);
            return Math.max(0, seconds.get(job.id()) - done);
        }

        /**
         * The EASY promise, derived from the docs' wording rather than read from the scheduler: the
         * earliest time at which the free GPUs plus those of running jobs ending by then cover the
         * reserved job's need, as things stood when its turn came in the cycle, that is, before the
         * jobs behind it in the queue were backfilled.
         */
        private void noteReservations(List<Job> startedNow) {
            for (Job w : lc.waiting()) {
                boolean reserved = Scheduler.REASON_RESERVED.equals(w.reason());
                if (promised.containsKey(w.id()) && !startAfterPromise.containsKey(w.id()) && !reserved)
                    overtaken.add(w.id());
                if (!reserved || promised.containsKey(w.id())) continue;
                var order = lc.policy().order().comparator();
                List<Job> behind = startedNow.stream().filter(j -> order.compare(j, w) > 0).toList();
                int have = lc.topology().totalGpus() - lc.fleet().allocatedGpus();
                for (Job b : behind) have += b.gpus();
                double shadow = have >= w.gpus() ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
                List<Job> byEnd = new ArrayList<>(lc.running().all());
                byEnd.removeAll(behind);
                byEnd.sort((a, b) -> Double.compare(a.estimatedEnd(), b.estimatedEnd()));
                for (Job r : byEnd) {
                    if (have >= w.gpus()) break;
                    have += r.gpus();
                    if (have >= w.gpus()) {
                        shadow = r.estimatedEnd();
                        break;
                    }
                }
                promised.put(w.id(), shadow);
            }
        }
    }

    private static JobSpec spec(J j) {
        return new JobSpec("job-" + j.id(), "t", Parallelism.of(j.gpus(), 8, 1, 1), new Work.Fixed(j.seconds()),
                CheckpointPolicy.NONE, 0, j.priority(), j.submit(), null, 3);
    }

    // ---- order --------------------------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {"priority", "priority-backfill"})
    void aHigherPriorityJobSubmittedLaterStartsFirst(String policy) {
        // one host held by a high job (so nothing preempts it): a low, a normal and a high job arrive
        // in that order and start in the reverse one
        var run = new Run(policy, 1, List.of(new J(1, 8, HIGH, 100, 0), new J(2, 8, LOW, 50, 1),
                new J(3, 8, NORMAL, 50, 2), new J(4, 8, HIGH, 50, 3)));
        assertThat(run.firstStart).isEqualTo(Map.of(1, 0.0, 4, 100.0, 3, 150.0, 2, 200.0));
        var fifo = new Run("fifo", 1, List.of(new J(1, 8, HIGH, 100, 0), new J(2, 8, LOW, 50, 1),
                new J(3, 8, NORMAL, 50, 2), new J(4, 8, HIGH, 50, 3)));
        assertThat(fifo.firstStart).as("the contrast: fifo takes arrival order")
                .isEqualTo(Map.of(1, 0.0, 2, 100.0, 3, 150.0, 4, 200.0));
    }

    @ParameterizedTest
    @ValueSource(strings = {"priority", "priority-backfill"})
    void withinAPriorityArrivalOrderHolds(String policy) {
        var run = new Run(policy, 1, List.of(new J(1, 8, HIGH, 10, 0), new J(3, 8, NORMAL, 10, 2),
                new J(2, 8, NORMAL, 10, 1), new J(4, 8, NORMAL, 10, 1)));
        assertThat(run.firstStart).isEqualTo(Map.of(1, 0.0, 2, 10.0, 4, 20.0, 3, 30.0));
    }

    // ---- strict versus backfill ---------------------------------------------------------------

    /**
     * Two hosts. Job 1 (high) holds one until 100; job 2 (high, both hosts) is blocked behind it and
     * cannot preempt an equal priority; job 3 (low, one host, 40 s) fits in the idle host now and ends
     * well before 100; job 4 (low, one host, 500 s) fits too but would hold the host past 100.
     */
    private static List<J> holeBeforeAReservation() {
        return List.of(new J(1, 8, HIGH, 100, 0), new J(2, 16, HIGH, 100, 1), new J(3, 8, LOW, 40, 2),
                new J(4, 8, LOW, 500, 3));
    }

    @Test
    void priorityIsStrictNothingBehindTheBlockedJobStarts() {
        var run = new Run("priority", 2, holeBeforeAReservation());
        assertThat(run.firstStart).isEqualTo(Map.of(1, 0.0, 2, 100.0, 3, 200.0, 4, 200.0));
        assertThat(run.preempted).isEmpty();
    }

    @Test
    void priorityBackfillFillsTheHoleWithTheShortJobOnlyAndTheReservedJobStartsOnTime() {
        var run = new Run("priority-backfill", 2, holeBeforeAReservation());
        assertThat(run.firstStart).isEqualTo(Map.of(1, 0.0, 3, 2.0, 2, 100.0, 4, 200.0));
        assertThat(run.promised).containsEntry(2, 100.0);
        assertThat(run.preempted).isEmpty();
    }

    @Test
    void aBackfilledJobMayUseWhatTheReservedJobLeavesOverButTwoMayNotShareIt() {
        // four hosts; job 1 (high) holds two until 100; job 2 (high) needs three, so at 100 one host
        // is left over: of two long low jobs arriving together, one may take it now, the second
        // would delay job 2
        var run = new Run("priority-backfill", 4, List.of(new J(1, 16, HIGH, 100, 0), new J(2, 24, HIGH, 50, 1),
                new J(3, 8, LOW, 500, 2), new J(4, 8, LOW, 500, 2)));
        assertThat(run.firstStart).isEqualTo(Map.of(1, 0.0, 3, 2.0, 2, 100.0, 4, 150.0));
        var strict = new Run("priority", 4, List.of(new J(1, 16, HIGH, 100, 0), new J(2, 24, HIGH, 50, 1),
                new J(3, 8, LOW, 500, 2), new J(4, 8, LOW, 500, 2)));
        assertThat(strict.firstStart).isEqualTo(Map.of(1, 0.0, 2, 100.0, 3, 100.0, 4, 150.0));
    }

    @ParameterizedTest
    @ValueSource(strings = {"priority-backfill", "fifo-backfill"})
    void aJobStartedEarlierInTheSameCycleCountsTowardsTheReservation(String policy) {
        // four hosts, all free: job 1 takes two for 10 s; job 2 needs three and is reserved for t=10;
        // job 3 (two hosts, 1,000 s) would hold them past 10 and must not start before job 2
        var run = new Run(policy, 4, List.of(new J(1, 16, NORMAL, 10, 0), new J(2, 24, NORMAL, 10, 0),
                new J(3, 16, NORMAL, 1000, 0)));
        assertThat(run.promised).containsEntry(2, 10.0);
        assertThat(run.firstStart).isEqualTo(Map.of(1, 0.0, 2, 10.0, 3, 20.0));
    }

    /**
     * The EASY promise on random workloads: every job that held the reservation started no later than
     * the shadow time it was given. All jobs arrive at once, so a reserved job stays first in line
     * until it starts, and run times are exact.
     */
    @Test
    void underPriorityBackfillNoReservedJobStartsAfterItsShadowTime() {
        int reservations = 0, backfilled = 0;
        for (int seed = 0; seed < 300; seed++) {
            Random rnd = new Random(seed);
            List<J> jobs = new ArrayList<>();
            int n = 4 + rnd.nextInt(8);
            for (int i = 0; i < n; i++)
                jobs.add(new J(i, 8 * (1 + rnd.nextInt(4)), rnd.nextInt(3), 10 * (1 + rnd.nextInt(30)), 0));
            var run = new Run("priority-backfill", 4, jobs);
            for (var e : run.promised.entrySet()) {
                if (run.overtaken.contains(e.getKey())) continue;
                assertThat(run.startAfterPromise.get(e.getKey())).as("seed %d, job %d", seed, e.getKey())
                        .isLessThanOrEqualTo(e.getValue());
                reservations++;
            }
            // a job that started while a job of higher priority, submitted as early, still waited
            for (J a : jobs)
                for (J b : jobs)
                    if (b.priority() > a.priority() && run.firstStart.get(a.id()) < run.firstStart.get(b.id())) {
                        backfilled++;
                        break;
                    }
        }
        assertThat(reservations).as("the workloads do block jobs").isGreaterThan(100);
        assertThat(backfilled).as("and do backfill lower jobs past them").isGreaterThan(100);
    }

    // ---- preemption ---------------------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {"priority", "priority-backfill"})
    void aHigherPriorityArrivalPreemptsALowerRunningJobAndItResumesAfter(String policy) {
        var run = new Run(policy, 1, List.of(new J(1, 8, LOW, 100, 0), new J(2, 8, HIGH, 30, 40)));
        assertThat(run.preempted).containsExactly(1);
        assertThat(run.firstStart).isEqualTo(Map.of(1, 0.0, 2, 40.0));
        assertThat(run.lastStart.get(1)).isEqualTo(70.0);
        assertThat(run.end.get(1)).as("it saved at the preemption: 40 s done, 60 left").isEqualTo(130.0);
    }

    @ParameterizedTest
    @ValueSource(strings = {"priority", "priority-backfill"})
    void equalPriorityNeverPreemptsAndTheLowestIsTakenFirst(String policy) {
        // two hosts: a normal and a low job run; a normal job arrives needing one host
        var run = new Run(policy, 2, List.of(new J(1, 8, NORMAL, 100, 0), new J(2, 8, LOW, 100, 0),
                new J(3, 8, NORMAL, 10, 5)));
        assertThat(run.preempted).containsExactly(2);
        assertThat(run.firstStart.get(3)).isEqualTo(5.0);
        var equal = new Run(policy, 1, List.of(new J(1, 8, NORMAL, 100, 0), new J(2, 8, NORMAL, 10, 5)));
        assertThat(equal.preempted).isEmpty();
        assertThat(equal.firstStart.get(2)).isEqualTo(100.0);
    }
}
