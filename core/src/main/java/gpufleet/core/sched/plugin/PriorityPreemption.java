package gpufleet.core.sched.plugin;

import gpufleet.core.job.Job;
import gpufleet.core.sched.framework.CycleState;
import gpufleet.core.sched.framework.PostFilter;
import gpufleet.core.state.Placement;

import java.util.ArrayList;
import java.util.List;

/**
 * Preemption by priority: a job that found no placement (and comes before the first blocked job)
 * may stop running jobs of strictly lower priority, lowest priority first and among equals the most
 * recently started, until its gang can be placed; victims that turn out not to be needed are given
 * back (when there are at most {@value #RECHECK_LIMIT} to check one by one). Jobs already preempted
 * this cycle are no candidates. Leaves the fleet unchanged when no set of victims suffices.
 */
public record PriorityPreemption() implements PostFilter {
    static final int RECHECK_LIMIT = 32;

    @Override public String name() { return "priority-preemption"; }

    @Override
    public boolean makeRoom(CycleState s, Job job) {
        if (s.blocked()) return false;
        var spec = job.spec();
        var st = s.fleet();
        for (int c = 0; c < s.topology().clusterCount(); c++) {
            if (!s.placer().eligible(job, c)) continue;
            int lower = s.running().gpusBelow(c, job.priority());
            if (lower == 0 || (long) st.clusterCapacity(c, spec.unit()) + lower < job.gpus()) continue;
            // whether the gang fits is asked after every victim: by count (GangPlacer#fits), and the
            // placement itself is found once, in the fleet as the victims finally leave it
            List<Job> victims = new ArrayList<>();
            boolean fits = false;
            for (Job v : victimOrder(s, c, job.priority())) {
                // lowest priority first: the jobs of lower priority than this one are a prefix
                if (v.priority() >= job.priority()) break;
                if (s.preempted(v)) continue;
                st.release(v.id(), v.placement());
                victims.add(v);
                if (fits = s.placer().fits(spec, st, c)) break;
            }
            if (!fits) {
                // reclaim, not allocate: a victim's GPUs may no longer be usable (a draining host)
                for (Job v : victims) st.reclaim(v.id(), v.placement());
                continue;
            }
            if (victims.size() <= RECHECK_LIMIT) {
                for (int i = victims.size() - 1; i >= 0 && victims.size() > 1; i--) {
                    Job v = victims.get(i);
                    st.reclaim(v.id(), v.placement());
                    if (s.placer().fits(spec, st, c)) victims.remove(i);
                    else st.release(v.id(), v.placement());
                }
            }
            Placement p = s.placer().place(spec, st, c);
            for (Job v : victims) s.preempt(v, job);
            s.start(job, p);
            return true;
        }
        return false;
    }

    /** Cluster's running jobs of priority below {@code below}, in victim order. */
    private record Victims(int below, List<Job> order) { }

    /**
     * Cluster {@code c}'s running jobs of priority below {@code p}, in the order victims are taken: lowest
     * priority first, then the most recently started, then the highest id. The running set does not
     * change during a cycle, so the list is kept for the cycle's later blocked jobs: one of priority p or
     * lower takes a prefix of it, and only a higher one sorts again.
     */
    private List<Job> victimOrder(CycleState s, int c, int p) {
        Victims[] byCluster = (Victims[]) s.scratch(this);
        if (byCluster == null) {
            byCluster = new Victims[s.topology().clusterCount()];
            s.scratch(this, byCluster);
        }
        if (byCluster[c] == null || byCluster[c].below() < p) {
            record Keyed(int priority, double runStart, int id, Job job) { }
            List<Keyed> a = new ArrayList<>();
            for (Job r : s.running().byEnd(c)) if (r.priority() < p) a.add(new Keyed(r.priority(), r.runStart(), r.id(), r));
            a.sort((x, y) -> x.priority != y.priority ? Integer.compare(x.priority, y.priority)
                    : x.runStart != y.runStart ? Double.compare(y.runStart, x.runStart)
                    : Integer.compare(y.id, x.id));
            List<Job> order = new ArrayList<>(a.size());
            for (Keyed k : a) order.add(k.job);
            byCluster[c] = new Victims(p, order);
        }
        return byCluster[c].order();
    }
}
