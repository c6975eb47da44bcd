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
            if (!s.placer().eligible(spec, c)) continue;
            int lower = s.running().gpusBelow(c, job.priority());
            if (lower == 0 || (long) st.clusterCapacity(c, spec.unit()) + lower < job.gpus()) continue;
            List<Job> candidates = new ArrayList<>();
            for (Job r : s.running().byEnd(c))
                if (r.priority() < job.priority() && !s.preempted(r)) candidates.add(r);
            candidates.sort((a, b) -> a.priority() != b.priority() ? Integer.compare(a.priority(), b.priority())
                    : a.runStart() != b.runStart() ? Double.compare(b.runStart(), a.runStart())
                    : Integer.compare(b.id(), a.id()));
            List<Job> victims = new ArrayList<>();
            Placement p = null;
            for (Job v : candidates) {
                st.release(v.id(), v.placement());
                victims.add(v);
                if (st.clusterCapacity(c, spec.unit()) < job.gpus()) continue;
                p = s.placer().place(spec, st, c);
                if (p != null) break;
            }
            if (p == null) {
                // reclaim, not allocate: a victim's GPUs may no longer be usable (a draining host)
                for (Job v : victims) st.reclaim(v.id(), v.placement());
                continue;
            }
            if (victims.size() <= RECHECK_LIMIT) {
                for (int i = victims.size() - 1; i >= 0 && victims.size() > 1; i--) {
                    Job v = victims.get(i);
                    st.reclaim(v.id(), v.placement());
                    Placement q = s.placer().place(spec, st, c);
                    if (q != null) {
                        victims.remove(i);
                        p = q;
                    } else {
                        st.release(v.id(), v.placement());
                    }
                }
            }
            for (Job v : victims) s.preempt(v, job);
            s.start(job, p);
            return true;
        }
        return false;
    }
}
