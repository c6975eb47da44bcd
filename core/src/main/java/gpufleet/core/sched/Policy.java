package gpufleet.core.sched;

import gpufleet.core.sched.framework.Plugin;
import gpufleet.core.sched.framework.Profile;
import gpufleet.core.sched.plugin.Admission;
import gpufleet.core.sched.plugin.EasyBackfill;
import gpufleet.core.sched.plugin.GangPlacement;
import gpufleet.core.sched.plugin.GpuCount;
import gpufleet.core.sched.plugin.OrderSort;
import gpufleet.core.sched.plugin.PriorityPreemption;
import gpufleet.core.sched.plugin.StarvationFirst;
import gpufleet.core.sched.plugin.StrictOrder;
import gpufleet.core.sched.plugin.TeamQuota;
import gpufleet.core.sched.plugin.TiresiasLas;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A scheduling policy: a name users select it by, and the profile (plugins and their arguments)
 * one cycle runs.
 *
 * @param name    the name users select it by
 * @param summary one line saying what it does, for listings and reports
 * @param oracle  whether the policy uses the jobs' true run times (only a simulation knows them)
 * @param profile the plugins, in order
 */
public record Policy(String name, String summary, boolean oracle, Profile profile) {

    /** What the first job that cannot start does to the jobs behind it in order (derived from the plugins). */
    public enum Mode {
        /** It blocks them all (head-of-line blocking: {@link StrictOrder}). */
        STRICT,
        /** It gets a reserved start time ({@link EasyBackfill}); later jobs start only if they cannot delay it. */
        BACKFILL,
        /** Nothing: every job that fits starts, in order. */
        GREEDY
    }

    /**
     * Preemption by rank, as flags: the arguments of the {@link gpufleet.core.sched.plugin.RankPreemption} plugin.
     *
     * @param intervalSec at most one ranking pass per this many seconds (0: every cycle)
     * @param minRunSec   a job that started less than this long ago is not preempted by rank
     */
    public record RankPreemption(double intervalSec, double minRunSec) {
        public RankPreemption {
            if (!(intervalSec >= 0) || !(minRunSec >= 0))
                throw new IllegalArgumentException("rank preemption interval and minimum run must be >= 0");
        }
    }

    public Policy {
        if (name == null || name.isBlank()) throw new IllegalArgumentException("a policy needs a name");
        if (profile == null) throw new IllegalArgumentException("policy '" + name + "' needs a profile");
        if (summary == null) summary = "";
    }

    /** A policy whose profile is these plugins, in order. */
    public Policy(String name, String summary, boolean oracle, List<? extends Plugin> plugins) {
        this(name, summary, oracle, new Profile(plugins));
    }

    /**
     * A policy described by the flags of the classic scheduler: the standard profile with the
     * plugins the flags select.
     */
    public Policy(String name, QueueOrder order, Mode mode, boolean preemption, RankPreemption rank,
                  boolean oracle, double starvationSec, String summary) {
        // the plugins check their own arguments; here a person gets the policy's name with the problem
        if (name != null && !name.isBlank() && (order == null || mode == null))
            throw new IllegalArgumentException("policy '" + name + "' needs an order and a mode");
        if (name != null && !name.isBlank() && !(starvationSec >= 0))
            throw new IllegalArgumentException("policy '" + name + "': starvation bound must be >= 0");
        this(name, summary, oracle, standard(order, mode, preemption, rank, starvationSec));
    }

    /**
     * The standard profile: order (then the starvation bound), [strict order], admission, team quota,
     * GPU count, gang placement, [EASY backfill], [priority preemption], [rank preemption].
     */
    public static List<Plugin> standard(QueueOrder order, Mode mode, boolean preemption, RankPreemption rank,
                                        double starvationSec) {
        if (order == null || mode == null) throw new IllegalArgumentException("a policy needs an order and a mode");
        if (!(starvationSec >= 0)) throw new IllegalArgumentException("starvation bound must be >= 0");
        List<Plugin> ps = new ArrayList<>();
        ps.add(new OrderSort(order));
        if (starvationSec > 0) ps.add(new StarvationFirst(starvationSec));
        if (mode == Mode.STRICT) ps.add(new StrictOrder());
        ps.add(new Admission());
        ps.add(new TeamQuota());
        ps.add(new GpuCount());
        ps.add(new GangPlacement());
        if (mode == Mode.BACKFILL) ps.add(new EasyBackfill());
        if (preemption) ps.add(new PriorityPreemption());
        if (rank != null) ps.add(new gpufleet.core.sched.plugin.RankPreemption(rank.intervalSec(), rank.minRunSec()));
        return ps;
    }

    /** The order callers keep their waiting queue in (that of the profile's order plugin). */
    public QueueOrder order() {
        return profile.order();
    }

    public Mode mode() {
        if (profile.find(StrictOrder.class) != null) return Mode.STRICT;
        return backfill() ? Mode.BACKFILL : Mode.GREEDY;
    }

    public boolean backfill() {
        return profile.find(EasyBackfill.class) != null;
    }

    /** Whether a blocked job may stop running jobs of strictly lower priority. */
    public boolean preemption() {
        return profile.find(PriorityPreemption.class) != null;
    }

    /** The rank pass's arguments, or null when the profile has none. */
    public RankPreemption rank() {
        var r = profile.find(gpufleet.core.sched.plugin.RankPreemption.class);
        return r == null ? null : new RankPreemption(r.intervalSec(), r.minRunSec());
    }

    /** The starvation bound in seconds (0: none). */
    public double starvationSec() {
        var s = profile.find(StarvationFirst.class);
        return s == null ? 0 : s.boundSec();
    }

    /**
     * The LAS queue thresholds in GPU-seconds of the Tiresias simulator's public code
     * (github.com/SymbioticLab/Tiresias, simulator/jobs.py, {@code queue_limit}). Its {@code dlas-gpu}
     * runs with {@code num_queue = 3}, so only the first two are ever compared: the last queue has no
     * limit. {@code las} uses all three (four queues); {@code tiresias-las} uses them as Tiresias does.
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
                + "GPU-seconds " + Arrays.toString(thresholds) + "; lower queue first, arrival order within "
                + "a queue; preemptive at every event; no oracle");
    }

    public static final Policy LAS = las(TIRESIAS_THRESHOLDS);

    /**
     * The Tiresias simulator's {@code dlas-gpu} under its own rules ({@link TiresiasLas}): three queues
     * (the first two thresholds), a job keeps its place in its queue while it runs, one walk over all
     * jobs per event, and cycles for demotions when the simulator has them.
     */
    public static Policy tiresiasLas(double[] thresholds) {
        return tiresiasLas(thresholds, TiresiasLas.Wake.SIMULATOR);
    }

    /** As {@link #tiresiasLas(double[])}, with demotion cycles at the exact crossings or as the simulator has them. */
    public static Policy tiresiasLas(double[] thresholds, TiresiasLas.Wake wake) {
        var t = new TiresiasLas(thresholds, TiresiasLas.TIRESIAS_QUEUES, wake);
        return new Policy("tiresias-las", "Tiresias' dlas-gpu as its simulator runs it: queues by attained GPU-seconds "
                + "with limits " + Arrays.toString(t.limits()) + " (" + t.queues() + " queues); in a queue, running jobs "
                + "keep their place ahead of waiting ones, a preempted job goes ahead of older waiting ones, a demoted "
                + "job joins the end of the next queue; at every event (and when the simulator looks for demotions) "
                + "one walk over all jobs keeps or starts every job that still fits by count; no oracle", false,
                List.of(t, new Admission(), new TeamQuota()));
    }

    public static final Policy TIRESIAS_LAS = tiresiasLas(TIRESIAS_THRESHOLDS);

    public static final Policy FAIR = new Policy("fair", QueueOrder.FAIR_SHARE, Mode.GREEDY, false,
            new RankPreemption(0, 0), false, 0,
            "weighted fair share across teams or virtual clusters: jobs within their team's guaranteed share "
                    + "first, then borrowing in order of least share used; borrowed GPUs are reclaimed by "
                    + "preemption when their owner needs them");
}
