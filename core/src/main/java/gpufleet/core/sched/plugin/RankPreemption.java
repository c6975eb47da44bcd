package gpufleet.core.sched.plugin;

import gpufleet.core.job.Job;
import gpufleet.core.job.JobState;
import gpufleet.core.sched.Decision;
import gpufleet.core.sched.framework.CycleState;
import gpufleet.core.sched.framework.PostCycle;
import gpufleet.core.sched.framework.QueueSort;
import gpufleet.core.state.Placement;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Preemption by rank, after the placement pass, at most once every {@code intervalSec} (it remembers
 * when it last ran). Running jobs (except those started under {@code minRunSec} ago, those started
 * or preempted this cycle) and the jobs still waiting are put in the profile's order; walking it,
 * each job claims GPUs of its cluster by count while any remain. Running jobs that claim none are
 * candidate victims; waiting jobs that claim some are candidates to start. Victims are released,
 * the candidates placed (topology-aware) in rank order, and every victim whose GPUs are still free
 * afterwards is given them back: only jobs whose GPUs were actually taken are preempted.
 *
 * @param intervalSec at most one pass per this many seconds (0: every cycle)
 * @param minRunSec   a job that started less than this long ago is not preempted by rank
 */
public record RankPreemption(double intervalSec, double minRunSec) implements PostCycle {
    public RankPreemption {
        if (!(intervalSec >= 0) || !(minRunSec >= 0))
            throw new IllegalArgumentException("rank preemption interval and minimum run must be >= 0");
    }

    @Override public String name() { return "rank-preemption"; }
    @Override public String args() { return "interval=" + intervalSec + "s minRun=" + minRunSec + "s"; }

    @Override
    public void postCycle(CycleState s) {
        List<Job> left = s.candidates();
        if (left == null || left.isEmpty()) return;
        Object last = s.recall(this);
        double lastPass = last == null ? Double.NEGATIVE_INFINITY : (Double) last;
        if (s.now() - lastPass < intervalSec) return;
        s.remember(this, s.now());
        pass(s, left);
    }

    /** Whether some preemptible running job ranks below the best-ranked waiting job; no sorting. */
    private boolean anyRunningRanksBelow(CycleState s, List<Job> left, Comparator<Job> rank) {
        Job best = left.getFirst();
        for (Job w : left) if (rank.compare(w, best) < 0) best = w;
        for (int c = 0; c < s.topology().clusterCount(); c++)
            for (Job r : s.running().byEnd(c))
                if (!s.preempted(r) && s.now() - r.runStart() >= minRunSec && rank.compare(r, best) > 0)
                    return true;
        return false;
    }

    private void pass(CycleState s, List<Job> left) {
        double now = s.now();
        Comparator<Job> rank = s.profile().order().rankComparator(s.view());
        if (rank != null && !anyRunningRanksBelow(s, left, rank)) return;
        int nc = s.topology().clusterCount();
        long[] budget = new long[nc];
        for (int c = 0; c < nc; c++) budget[c] = s.fleet().clusterCapacity(c, 1);
        // pinned jobs hold GPUs the pass may not take (started under minRunSec ago, or started earlier
        // in this cycle); they are ranked too, because a fair-share order counts what each team holds
        Set<Job> pinned = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Decision d : s.decisions()) if (d instanceof Decision.Start st0) pinned.add(st0.job());
        List<Job> all = new ArrayList<>(left);
        boolean anyPreemptible = false;
        for (Job r : s.running().all()) {
            if (s.preempted(r)) continue;
            if (now - r.runStart() < minRunSec) {
                pinned.add(r);
            } else {
                budget[r.placement().cluster(s.topology())] += r.gpus();
                anyPreemptible = true;
            }
            all.add(r);
        }
        if (!anyPreemptible) return;
        for (Job j : pinned) if (j.state() != JobState.RUNNING) all.add(j);
        for (QueueSort q : s.profile().queueSorts()) all = q.sortAll(all, s);
        List<Job> victims = new ArrayList<>();
        List<Job> starts = new ArrayList<>();
        Map<String, Integer> use = s.teamUseSoFar();
        for (Job j : all) {
            if (pinned.contains(j)) continue;
            if (j.state() == JobState.RUNNING) {
                int c = j.placement().cluster(s.topology());
                if (budget[c] >= j.gpus()) budget[c] -= j.gpus();
                else victims.add(j);
                continue;
            }
            // room first: once the budget is spent, most of a long queue is passed over without a look at its team
            int best = roomiest(s, j, budget);
            if (best < 0) continue;
            int u = use.getOrDefault(j.team(), 0);
            if ((long) u + j.gpus() > s.quotas().limit(j.team())) continue;
            budget[best] -= j.gpus();
            use.merge(j.team(), j.gpus(), Integer::sum);
            starts.add(j);
        }
        if (starts.isEmpty() || victims.isEmpty()) return;
        swap(s, victims, starts);
    }

    /**
     * The eligible cluster with the most GPUs left in {@code budget} that still has room for {@code j}
     * by count, or -1: where a ranking pass claims GPUs for a job it would start.
     */
    static int roomiest(CycleState s, Job j, long[] budget) {
        int best = -1;
        for (int c = 0; c < budget.length; c++)
            if (budget[c] >= j.gpus() && (best < 0 || budget[c] > budget[best]) && s.placer().eligible(j, c))
                best = c;
        return best;
    }

    /**
     * Releases the victims, places the starters in order, and preempts (for the first starter placed)
     * only the victims whose GPUs were taken; the others get their GPUs back.
     */
    static void swap(CycleState s, List<Job> victims, List<Job> starts) {
        var st = s.fleet();
        for (Job v : victims) st.release(v.id(), v.placement());
        Job first = null;
        for (Job j : starts) {
            Placement p = s.placer().place(j.spec(), st);
            if (p == null) continue;
            s.start(j, p);
            if (first == null) first = j;
        }
        for (Job v : victims) {
            if (first != null && !st.canReclaim(v.id(), v.placement())) s.preempt(v, first);
            else st.reclaim(v.id(), v.placement());
        }
    }
}
