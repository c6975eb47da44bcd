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
     */
    record View(double now, Scheduler.Estimator est, Map<String, Integer> shares) {
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
    };

    /**
     * Discretised least attained service (Tiresias, NSDI'19): a job's queue is the number of
     * thresholds its attained GPU-time has passed; lower queues first, arrival order within a queue.
     */
    static QueueOrder leastAttained(double[] thresholdsGpuSec) {
        double[] t = thresholdsGpuSec.clone();
        for (int i = 0; i < t.length; i++)
            if (!(t[i] > 0) || (i > 0 && t[i] <= t[i - 1]))
                throw new IllegalArgumentException("LAS thresholds must be positive and increasing, got "
                        + java.util.Arrays.toString(thresholdsGpuSec));
        return new Dynamic("least-attained") {
            @Override
            public List<Job> arrange(List<Job> jobs, View v) {
                return sortByKey(jobs, j -> level(t, v.attained(j)));
            }
        };
    }

    /** Priority first, then {@link #leastAttained} queues, then arrival. */
    static QueueOrder priorityThenLeastAttained(double[] thresholdsGpuSec) {
        QueueOrder las = leastAttained(thresholdsGpuSec);
        return new Dynamic("priority-las") {
            @Override
            public List<Job> arrange(List<Job> jobs, View v) {
                las.arrange(jobs, v);
                // stable sort keeps the LAS order within a priority
                jobs.sort(Comparator.comparingInt(Job::priority).reversed());
                return jobs;
            }
        };
    }

    /**
     * Weighted fair share across teams: repeatedly takes the next job (in arrival order) of the team
     * whose GPUs so far, over its guaranteed share, is lowest; ties go to the team whose next job
     * arrived first. A team's jobs within its guarantee therefore come before any team's borrowing.
     */
    QueueOrder FAIR_SHARE = new Dynamic("fair-share") {
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
                    double share = (taken.getOrDefault(e.getKey(), 0L) + cand.gpus()) / w;
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
            Map<Job, Double> keys = new java.util.IdentityHashMap<>(jobs.size() * 2);
            for (Job j : jobs) keys.put(j, key.applyAsDouble(j));
            jobs.sort(Comparator.<Job>comparingDouble(keys::get).thenComparing(ARRIVAL));
            return jobs;
        }

        protected static int level(double[] thresholds, double attained) {
            int q = 0;
            while (q < thresholds.length && attained >= thresholds[q]) q++;
            return q;
        }
    }
}
