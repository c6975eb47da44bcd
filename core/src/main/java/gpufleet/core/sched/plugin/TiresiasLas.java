package gpufleet.core.sched.plugin;

import gpufleet.core.job.Job;
import gpufleet.core.job.JobState;
import gpufleet.core.sched.Decision;
import gpufleet.core.sched.framework.CycleState;
import gpufleet.core.sched.framework.PostCycle;
import gpufleet.core.sched.framework.QueueSort;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Discretised two-dimensional LAS with the rules of the Tiresias simulator's {@code dlas-gpu}
 * (github.com/SymbioticLab/Tiresias, {@code simulator/run_sim.py}), which differ from the plain
 * {@code las} order (queue, then arrival, over running and waiting jobs alike):
 * <ul>
 *   <li><b>Queues.</b> {@code queues} queues; a job leaves queue k when its attained GPU-seconds reach
 *       the k-th limit, so only the first {@code queues - 1} thresholds are used (the simulator runs
 *       three queues with limits 3250 and 7200 GPU-seconds).</li>
 *   <li><b>Order within a queue is a list, not arrival time.</b> A new job joins the end of the
 *       first queue; a demoted job joins the end of the next queue (behind the jobs already waiting
 *       there). After every walk the jobs of a queue that run are moved ahead of those that wait, each
 *       group keeping its order: a running job is never displaced by a waiting job of its own queue,
 *       and a job just preempted goes ahead of the jobs that were already waiting.</li>
 *   <li><b>Demotion</b> happens at a cycle, one queue per cycle, for running jobs; the plugin asks for
 *       a cycle for the next demotion ({@link Wake}).</li>
 *   <li><b>One walk</b> over all jobs, queue by queue, with no placement pass before it: every job
 *       that still fits by count is kept running or started, every running job that does not fit is
 *       preempted; no minimum run time.</li>
 * </ul>
 * Positions and queues are what the plugin remembers between cycles. On a topology the starts are
 * placed by the gang placer in walk order and a victim whose GPUs were not needed keeps running; on a
 * flat pool that is exactly the count rule.
 */
public final class TiresiasLas implements QueueSort, PostCycle {
    /** The number of queues the Tiresias simulator's dlas-gpu runs with. */
    public static final int TIRESIAS_QUEUES = 3;

    // a demotion at the wake-up time must not be missed to rounding
    private static final double EPS = 1e-6;

    private final double[] limits;
    private final Wake wake;

    /** When the plugin asks for a cycle for the next demotion. */
    public enum Wake {
        /** When a running job's attained GPU-seconds reach its queue's limit. */
        CROSSING,
        /**
         * As the Tiresias simulator computes it: now + floor((limit - seconds run) / GPUs), seconds where
         * GPU-seconds are meant. Exact for a job's first run; after a preemption a multi-GPU job's
         * demotion comes later (at this wake-up or the next event after its crossing). The published
         * dlas-gpu results were made with this rule.
         */
        SIMULATOR
    }

    /** A job's queue and its place in it (smaller first). */
    record Slot(int queue, long pos) {}

    /** What the plugin remembers: every live job's slot, and the next free position. */
    record Queues(Map<Integer, Slot> slots, long next) {
        static final Queues EMPTY = new Queues(Map.of(), 0);
    }

    /**
     * @param thresholds attained GPU-seconds at which a job leaves each queue, positive and increasing
     * @param queues     how many queues; only the first {@code queues - 1} thresholds are used
     * @param wake       when to ask for a cycle for the next demotion
     */
    public TiresiasLas(double[] thresholds, int queues, Wake wake) {
        if (wake == null) throw new IllegalArgumentException("tiresias-las needs a wake-up rule");
        this.wake = wake;
        if (queues < 1) throw new IllegalArgumentException("tiresias-las needs at least one queue, got " + queues);
        for (int i = 0; i < thresholds.length; i++)
            if (!(thresholds[i] > 0) || (i > 0 && thresholds[i] <= thresholds[i - 1]))
                throw new IllegalArgumentException("LAS thresholds must be positive and increasing, got "
                        + Arrays.toString(thresholds));
        this.limits = Arrays.copyOf(thresholds, Math.min(thresholds.length, queues - 1));
    }

    /** The limits in use: a job in queue k moves to k + 1 at {@code limits()[k]} GPU-seconds. */
    public double[] limits() { return limits.clone(); }

    public int queues() { return limits.length + 1; }

    @Override public String name() { return "tiresias-las"; }
    public Wake wake() { return wake; }

    @Override public String args() { return "limits=" + Arrays.toString(limits) + " wake=" + wake.name().toLowerCase(); }

    private Queues memory(CycleState s) {
        Object m = s.recall(this);
        return m == null ? Queues.EMPTY : (Queues) m;
    }

    /**
     * The job's queue this cycle: its remembered queue, one lower if it ran past its limit. A job not
     * remembered (new, or after the memory was lost) goes by its attained service.
     */
    int queueOf(CycleState s, Job j, Slot slot) {
        if (slot == null) {
            double a = s.view().attained(j);
            int q = 0;
            while (q < limits.length && a >= limits[q] - EPS) q++;
            return q;
        }
        int q = slot.queue();
        if (j.state() == JobState.RUNNING && q < limits.length && s.view().attained(j) >= limits[q] - EPS) q++;
        return q;
    }

    /** Walk order: queue, then remembered place; jobs new to their queue last, in arrival order. */
    private Comparator<Job> order(CycleState s, Map<Integer, Slot> slots) {
        Map<Job, Slot> keys = new IdentityHashMap<>();
        return Comparator.<Job, Slot>comparing(j -> keys.computeIfAbsent(j, k -> key(s, k, slots.get(k.id()))),
                (a, b) -> a.queue() != b.queue() ? Integer.compare(a.queue(), b.queue()) : Long.compare(a.pos(), b.pos()))
                .thenComparingDouble(Job::submitTime).thenComparingInt(Job::id);
    }

    private Slot key(CycleState s, Job j, Slot slot) {
        int q = queueOf(s, j, slot);
        // a job new to this queue goes behind all who were there
        return new Slot(q, slot != null && slot.queue() == q ? slot.pos() : Long.MAX_VALUE);
    }

    @Override
    public Iterable<Job> sortWaiting(Iterable<Job> waiting, CycleState s) {
        List<Job> sorted = new ArrayList<>();
        for (Job j : waiting) sorted.add(j);
        s.scratch(this, sorted);
        sorted.sort(order(s, memory(s).slots()));
        return sorted;
    }

    @Override
    public List<Job> sortAll(List<Job> jobs, CycleState s) {
        jobs.sort(order(s, memory(s).slots()));
        return jobs;
    }

    @Override
    public void postCycle(CycleState s) {
        Queues mem = memory(s);
        Map<Integer, Slot> slots = mem.slots();
        var fleet = s.fleet();
        int nc = s.topology().clusterCount();
        // jobs started this cycle by other plugins keep their GPUs; preempted ones are waiting now
        Set<Job> pinned = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Decision d : s.decisions()) if (d instanceof Decision.Start st) pinned.add(st.job());
        long[] budget = new long[nc];
        for (int c = 0; c < nc; c++) budget[c] = fleet.clusterCapacity(c, 1);
        List<Job> all = new ArrayList<>(s.candidates());
        Map<String, Integer> teamHeld = new HashMap<>();
        for (Job r : s.running().all()) {
            if (s.preempted(r)) continue;
            budget[r.placement().cluster(s.topology())] += r.gpus();
            teamHeld.merge(r.team(), r.gpus(), Integer::sum);
            all.add(r);
        }
        all.sort(order(s, slots));
        List<Job> victims = new ArrayList<>(), starts = new ArrayList<>();
        for (Job j : all) {
            if (j.state() == JobState.RUNNING) {
                int c = j.placement().cluster(s.topology());
                if (budget[c] >= j.gpus()) budget[c] -= j.gpus();
                else {
                    victims.add(j);
                    teamHeld.merge(j.team(), -j.gpus(), Integer::sum);
                }
                continue;
            }
            int held = teamHeld.getOrDefault(j.team(), 0) + s.teamUse(j.team()) - s.running().teamGpus(j.team());
            if ((long) held + j.gpus() > s.quotas().limit(j.team())) continue;
            int best = RankPreemption.roomiest(s, j, budget);
            if (best < 0) continue;
            budget[best] -= j.gpus();
            teamHeld.merge(j.team(), j.gpus(), Integer::sum);
            starts.add(j);
        }
        Set<Job> runsAfter = Collections.newSetFromMap(new IdentityHashMap<>());
        runsAfter.addAll(pinned);
        if (!starts.isEmpty()) {
            int before = s.decisions().size();
            RankPreemption.swap(s, victims, starts);
            for (Decision d : s.decisions().subList(before, s.decisions().size()))
                if (d instanceof Decision.Start st) runsAfter.add(st.job());
        }
        // victims whose GPUs were not needed got them back and run on
        for (Job r : all) if (r.state() == JobState.RUNNING && !s.preempted(r)) runsAfter.add(r);
        remember(s, mem, all, runsAfter, pinned);
    }

    /**
     * The next memory: in walk order, the jobs that run after this cycle take the first places of
     * their queues, then those that wait; jobs this cycle did not walk (held back by quota) keep
     * theirs. Asks for a cycle when the next running job reaches its queue's limit.
     */
    private void remember(CycleState s, Queues mem, List<Job> walked, Set<Job> runsAfter, Set<Job> pinned) {
        Map<Integer, Slot> next = new HashMap<>();
        long pos = mem.next();
        Map<Integer, Slot> old = mem.slots();
        List<Job> order = new ArrayList<>(walked);
        for (Job j : pinned) if (!walked.contains(j)) order.add(j);
        for (Job j : order) {
            if (!runsAfter.contains(j)) continue;
            int q = queueOf(s, j, old.get(j.id()));
            next.put(j.id(), new Slot(q, pos++));
            if (q < limits.length) {
                double attained = j.state() == JobState.RUNNING ? s.view().attained(j) : j.attainedGpuSeconds();
                s.wakeAt(s.now() + switch (wake) {
                    case CROSSING -> Math.max(0, limits[q] - attained) / j.gpus();
                    case SIMULATOR -> Math.floor((limits[q] - attained / j.gpus()) / j.gpus());
                });
            }
        }
        for (Job j : order) {
            if (runsAfter.contains(j)) continue;
            next.put(j.id(), new Slot(queueOf(s, j, old.get(j.id())), pos++));
        }
        @SuppressWarnings("unchecked")
        List<Job> seen = (List<Job>) s.scratch(this);
        if (seen != null) for (Job j : seen) {
            Slot o = old.get(j.id());
            if (o != null) next.putIfAbsent(j.id(), o);
        }
        s.remember(this, new Queues(Map.copyOf(next), pos));
    }
}
