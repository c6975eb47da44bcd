package gpufleet.core.sched;

import gpufleet.core.job.Job;
import gpufleet.core.job.JobState;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The order in which jobs are considered. Static orders depend only on a job's spec and are used
 * as they are (callers may keep their queue sorted by {@link #comparator()}); dynamic orders depend
 * on time, progress or what others hold, and the scheduler re-arranges jobs with {@link #arrange}
 * every cycle. Every order is total: ties end on the job id.
 */
public interface QueueOrder {
    String name();

    /** A static order for a caller's queue; for dynamic orders, arrival order. */
    Comparator<Job> comparator();

    /** Whether the order changes over time and must be recomputed each cycle. */
    default boolean dynamic() {
        return false;
    }

    /**
     * A pairwise form of the order over running and waiting jobs alike, or null when the order is
     * not pairwise (fair share depends on what others took). Lets a caller ask cheaply whether any
     * running job ranks below a waiting one before sorting everything.
     */
    default Comparator<Job> rankComparator(View v) {
        return comparator();
    }

    /** Sorts {@code jobs} (running and waiting alike) into this order, in place, and returns it. */
    default List<Job> arrange(List<Job> jobs, View v) {
        jobs.sort(comparator());
        return jobs;
    }

    /**
     * What dynamic orders may look at in one cycle.
     *
     * @param now    the caller's clock
     * @param est    run-time estimates (the trace's true durations in a replay: an oracle)
     * @param shares team -> guaranteed GPUs, for fair sharing (absent teams weigh 1 GPU)
     * @param held   team -> GPUs held by jobs that are not among those being arranged
     */
    record View(double now, Scheduler.Estimator est, Map<String, Integer> shares,
                java.util.function.ToIntFunction<String> held) {
        public View(double now, Scheduler.Estimator est, Map<String, Integer> shares) {
            this(now, est, shares, t -> 0);
        }

        /** Seconds of run time left: for a running job until its expected end, else its full estimate. */
        public double remaining(Job j) {
            if (j.state() == JobState.RUNNING) return Math.max(0, j.estimatedEnd() - now);
            return est.runtime(j, -1);
        }

        /** GPU-seconds the job has held so far, including the current run. */
        public double attained(Job j) {
            double a = j.attainedGpuSeconds();
            if (j.state() == JobState.RUNNING) a += Math.max(0, now - j.runStart()) * j.gpus();
            return a;
        }
    }

    Comparator<Job> ARRIVAL = Comparator.comparingDouble(Job::submitTime).thenComparingInt(Job::id);

    /** Higher priority first, then earlier submission, then lower id. */
    QueueOrder PRIORITY_FIFO = new QueueOrder() {
        private final Comparator<Job> cmp = Comparator.comparingInt(Job::priority).reversed().thenComparing(ARRIVAL);

        @Override public String name() { return "priority-fifo"; }
        @Override public Comparator<Job> comparator() { return cmp; }
    };

    /** Earlier submission first, then lower id; priority ignored. */
    QueueOrder FIFO = new QueueOrder() {
        @Override public String name() { return "fifo"; }
        @Override public Comparator<Job> comparator() { return ARRIVAL; }
    };

    /** Shortest remaining run time first (the estimate: an oracle when it is the true duration), then arrival. */
    QueueOrder SHORTEST_REMAINING = new Dynamic("shortest-remaining") {
        @Override
        public List<Job> arrange(List<Job> jobs, View v) {
            return sortByKey(jobs, v::remaining);
        }

        @Override
        public Comparator<Job> rankComparator(View v) {
            return Comparator.comparingDouble(v::remaining).thenComparing(ARRIVAL);
        }
    };

    /**
     * Discretised least attained service (Tiresias, NSDI'19): a job's queue is the number of
     * thresholds its attained GPU-time has passed; lower queues first, arrival order within a queue.
     */
    static QueueOrder leastAttained(double[] thresholdsGpuSec) {
        double[] t = checkThresholds(thresholdsGpuSec);
        return new Ranked("least-attained", (j, attained) -> Dynamic.level(t, attained));
    }

    /**
     * Priority first, then {@link #leastAttained} queues, then arrival. A waiting job's attained
     * service does not change while it waits, so callers may keep their queue in this order.
     */
    static QueueOrder priorityThenLeastAttained(double[] thresholdsGpuSec) {
        double[] t = checkThresholds(thresholdsGpuSec);
        // priorities are in [0, 1000] and levels below 1000, so one number orders both
        return new Ranked("priority-las", (j, attained) -> (1000 - j.priority()) * 1e7 + Dynamic.level(t, attained) * 1e4
                + Math.min(j.gpus(), 9_999));
    }

    private static double[] checkThresholds(double[] thresholdsGpuSec) {
        double[] t = thresholdsGpuSec.clone();
        for (int i = 0; i < t.length; i++)
            if (!(t[i] > 0) || (i > 0 && t[i] <= t[i - 1]))
                throw new IllegalArgumentException("LAS thresholds must be positive and increasing, got "
                        + java.util.Arrays.toString(thresholdsGpuSec));
        return t;
    }

    /**
     * An order by a numeric key of (job, attained GPU-seconds), then arrival. A waiting job's key is
     * fixed while it waits (so the order is static for a queue), but a running job's moves with its
     * attained service, so ranking running against waiting jobs uses the cycle's view. Keys are
     * computed once per job per sort.
     */
    final class Ranked implements QueueOrder {
        /** The sort key of a job given its attained GPU-seconds; lower ranks first. */
        public interface Key {
            double of(Job j, double attainedGpuSeconds);
        }

        private final String name;
        private final Key key;
        private final Comparator<Job> waiting;

        Ranked(String name, Key key) {
            this.name = name;
            this.key = key;
            this.waiting = Comparator.<Job>comparingDouble(j -> key.of(j, j.attainedGpuSeconds())).thenComparing(ARRIVAL);
        }

        @Override public String name() { return name; }
        @Override public Comparator<Job> comparator() { return waiting; }

        @Override
        public Comparator<Job> rankComparator(View v) {
            return Comparator.<Job>comparingDouble(j -> key.of(j, v.attained(j))).thenComparing(ARRIVAL);
        }

        @Override
        public List<Job> arrange(List<Job> jobs, View v) {
            return Dynamic.sortByKey(jobs, j -> key.of(j, v.attained(j)));
        }
    }

    /**
     * Weighted fair share across teams: repeatedly takes the next job (in arrival order) of the team
     * whose GPUs so far, over its guaranteed share, is lowest; ties go to the team whose next job
     * arrived first. A team's jobs within its guarantee therefore come before any team's borrowing.
     */
    QueueOrder FAIR_SHARE = new Dynamic("fair-share") {
        @Override
        public Comparator<Job> rankComparator(View v) {
            return null;
        }

        @Override
        public List<Job> arrange(List<Job> jobs, View v) {
            Map<String, List<Job>> byTeam = new LinkedHashMap<>();
            jobs.sort(ARRIVAL);
            for (Job j : jobs) byTeam.computeIfAbsent(j.team(), k -> new ArrayList<>()).add(j);
            Map<String, Integer> next = new HashMap<>();
            Map<String, Long> taken = new HashMap<>();
            List<Job> out = new ArrayList<>(jobs.size());
            while (out.size() < jobs.size()) {
                String best = null;
                double bestShare = 0;
                Job bestJob = null;
                for (var e : byTeam.entrySet()) {
                    int i = next.getOrDefault(e.getKey(), 0);
                    if (i >= e.getValue().size()) continue;
                    Job cand = e.getValue().get(i);
                    double w = Math.max(1, v.shares().getOrDefault(e.getKey(), 1));
                    long had = taken.computeIfAbsent(e.getKey(), k -> (long) v.held().applyAsInt(k));
                    double share = (had + cand.gpus()) / w;
                    if (best == null || share < bestShare
                            || (share == bestShare && ARRIVAL.compare(cand, bestJob) < 0)) {
                        best = e.getKey();
                        bestShare = share;
                        bestJob = cand;
                    }
                }
                out.add(bestJob);
                next.merge(best, 1, Integer::sum);
                taken.merge(best, (long) bestJob.gpus(), Long::sum);
            }
            jobs.clear();
            jobs.addAll(out);
            return jobs;
        }
    };

    /** Base for dynamic orders: arrival order for the caller's queue, re-arranged each cycle. */
    abstract class Dynamic implements QueueOrder {
        private final String name;

        protected Dynamic(String name) {
            this.name = name;
        }

        @Override public String name() { return name; }
        @Override public Comparator<Job> comparator() { return ARRIVAL; }
        @Override public boolean dynamic() { return true; }

        /** Sorts by a numeric key computed once per job, then arrival. */
        protected static List<Job> sortByKey(List<Job> jobs, java.util.function.ToDoubleFunction<Job> key) {
            record Keyed(double key, double submit, int id, Job job) {}
            Keyed[] a = new Keyed[jobs.size()];
            for (int i = 0; i < a.length; i++) {
                Job j = jobs.get(i);
                a[i] = new Keyed(key.applyAsDouble(j), j.submitTime(), j.id(), j);
            }
            java.util.Arrays.sort(a, (x, y) -> x.key != y.key ? Double.compare(x.key, y.key)
                    : x.submit != y.submit ? Double.compare(x.submit, y.submit) : Integer.compare(x.id, y.id));
            for (int i = 0; i < a.length; i++) jobs.set(i, a[i].job);
            return jobs;
        }

        protected static int level(double[] thresholds, double attained) {
            int q = 0;
            while (q < thresholds.length && attained >= thresholds[q]) q++;
            return q;
        }
    }
}
