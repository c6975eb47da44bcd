package gpufleet.core.sched;

/**
 * A scheduling policy: which plugins one cycle runs, and how.
 *
 * @param name        the name users select it by
 * @param order       the order jobs are considered in
 * @param mode        what a job that cannot start does to the jobs behind it
 * @param preemption  whether a blocked job may stop running jobs of strictly lower priority
 * @param rank        preemption by rank: after the placement pass, the policy's order is applied to
 *                    running and waiting jobs together and running jobs that rank below waiting ones
 *                    are stopped to make room (null: none)
 * @param oracle      whether the policy uses the jobs' true run times (only a simulation knows them)
 * @param starvationSec a job that has waited this long goes ahead of every job of its priority that
 *                    has not (oldest first), in both passes, so no order can starve it (0: off)
 * @param summary     one line saying what it does, for listings and reports
 */
public record Policy(String name, QueueOrder order, Mode mode, boolean preemption, RankPreemption rank,
                     boolean oracle, double starvationSec, String summary) {

    /** What the first job that cannot start does to the jobs behind it in order. */
    public enum Mode {
        /** It blocks them all (head-of-line blocking). */
        STRICT,
        /** It gets a reserved start time (EASY backfill); later jobs start only if they cannot delay it. */
        BACKFILL,
        /** Nothing: every job that fits starts, in order. */
        GREEDY
    }

    /**
     * Preemption by rank.
     *
     * @param intervalSec at most one ranking pass per this many seconds (0: every cycle); real
     *                    schedulers re-rank periodically, and it bounds the cost at fleet scale
     * @param minRunSec   a job that started less than this long ago is not preempted by rank (it
     *                    still may be by priority), so that jobs do not thrash
     */
    public record RankPreemption(double intervalSec, double minRunSec) {
        public RankPreemption {
            if (!(intervalSec >= 0) || !(minRunSec >= 0))
                throw new IllegalArgumentException("rank preemption interval and minimum run must be >= 0");
        }
    }

    public Policy {
        if (name == null || name.isBlank()) throw new IllegalArgumentException("a policy needs a name");
        if (order == null || mode == null) throw new IllegalArgumentException("policy '" + name + "' needs an order and a mode");
        if (summary == null) summary = "";
        if (!(starvationSec >= 0)) throw new IllegalArgumentException("policy '" + name + "': starvation bound must be >= 0");
    }

    public boolean backfill() {
        return mode == Mode.BACKFILL;
    }

    /**
     * Tiresias' discretised-LAS queue thresholds in GPU-seconds, as in the Tiresias simulator's
     * public code (github.com/SymbioticLab/Tiresias, simulator/jobs.py, {@code queue_limit}). That
     * code declares three thresholds but its queue assignment compares against the first only; pass
     * {@code --las-thresholds 3250} to reproduce its two queues exactly.
     */
    public static final double[] TIRESIAS_THRESHOLDS = {3250, 7200, 18000};

    /** How long a job may wait before gpufleet puts it ahead of its priority class: 12 h (a design choice). */
    public static final double STARVATION_SEC = 12 * 3600;

    /** gpufleet's production default. */
    public static final Policy GPUFLEET = gpufleet(TIRESIAS_THRESHOLDS);

    public static Policy gpufleet(double[] lasThresholds) {
        return new Policy("gpufleet", QueueOrder.priorityThenLeastAttained(lasThresholds), Mode.BACKFILL, true,
                new RankPreemption(60, 600), false, STARVATION_SEC,
                "priority, then least attained GPU-time (Tiresias queues), then fewer GPUs, then arrival; a job "
                        + "waiting over 12 h goes first in its priority; topology-aware all-or-nothing gangs; EASY "
                        + "backfill behind the first blocked job; preempts strictly lower priority at once, and every "
                        + "60 s re-ranks so that waiting jobs displace running ones that rank below them (never one "
                        + "that started under 10 min ago); no oracle");
    }

    public static final Policy FIFO = new Policy("fifo", QueueOrder.FIFO, Mode.STRICT, false, null, false, 0,
            "strict arrival order, non-preemptive; the first job that does not fit blocks all behind it");

    public static final Policy FIFO_BACKFILL = new Policy("fifo-backfill", QueueOrder.FIFO, Mode.BACKFILL, false,
            null, false, 0, "arrival order with EASY backfill: the first blocked job gets a reserved start computed "
            + "from running jobs' expected ends; a later job starts only if it ends before that time or uses only "
            + "GPUs the reserved job will not need; non-preemptive");

    public static final Policy PRIORITY_BACKFILL = new Policy("priority-backfill", QueueOrder.PRIORITY_FIFO,
            Mode.BACKFILL, true, null, false, 0,
            "priority then arrival (as Slurm's priority plus backfill); EASY backfill behind the first blocked job; "
                    + "preempts strictly lower priority when a gang cannot otherwise start");

    public static final Policy PRIORITY = new Policy("priority", QueueOrder.PRIORITY_FIFO, Mode.STRICT, true, null,
            false, 0, "priority then arrival with preemption of strictly lower priority; no backfill");

    public static final Policy SJF = new Policy("sjf", QueueOrder.SHORTEST_REMAINING, Mode.GREEDY, false, null, true, 0,
            "ORACLE: shortest true run time first among waiting jobs; any job that fits starts; non-preemptive");

    public static final Policy SRTF = new Policy("srtf", QueueOrder.SHORTEST_REMAINING, Mode.GREEDY, false,
            new RankPreemption(0, 0), true, 0,
            "ORACLE: shortest remaining true run time first over running and waiting jobs; at every event, "
                    + "running jobs that rank below a waiting job that would then fit are preempted");

    public static Policy las(double[] thresholds) {
        return new Policy("las", QueueOrder.leastAttained(thresholds), Mode.GREEDY, false, new RankPreemption(0, 0),
                false, 0, "Tiresias discretised 2D least-attained-service: queue = thresholds passed by attained "
                + "GPU-seconds " + java.util.Arrays.toString(thresholds) + "; lower queue first, arrival order within "
                + "a queue; preemptive at every event; no oracle");
    }

    public static final Policy LAS = las(TIRESIAS_THRESHOLDS);

    public static final Policy FAIR = new Policy("fair", QueueOrder.FAIR_SHARE, Mode.GREEDY, false,
            new RankPreemption(0, 0), false, 0,
            "weighted fair share across teams or virtual clusters: jobs within their team's guaranteed share "
                    + "first, then borrowing in order of least share used; borrowed GPUs are reclaimed by "
                    + "preemption when their owner needs them");
}
