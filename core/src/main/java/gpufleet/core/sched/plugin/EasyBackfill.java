package gpufleet.core.sched.plugin;

import gpufleet.core.job.Job;
import gpufleet.core.sched.Decision;
import gpufleet.core.sched.framework.CycleState;
import gpufleet.core.sched.framework.Permit;
import gpufleet.core.sched.framework.Status;
import gpufleet.core.sched.framework.Unschedulable;
import gpufleet.core.state.Placement;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;

/**
 * EASY backfill. The first job that cannot start gets a reservation: in its best eligible cluster,
 * the earliest time (shadow) at which, counting GPUs one by one, the free ones plus those of running
 * jobs ending by then cover its need, and how many would be left over (extra). A later job may start in that
 * cluster only if it is expected to end by the shadow time, or needs no more than extra GPUs (which it
 * then uses up); otherwise it is placed elsewhere or waits. Unknown run times never end in time.
 */
public record EasyBackfill() implements Permit, Unschedulable {
    @Override public String name() { return "easy-backfill"; }

    /** The reservation of one cycle; {@code extra} shrinks as backfilled jobs use it. */
    static final class Reservation {
        final int cluster;
        final double shadow;
        int extra;

        Reservation(int cluster, double shadow, int extra) {
            this.cluster = cluster;
            this.shadow = shadow;
            this.extra = extra;
        }
    }

    private Reservation reservation(CycleState s) {
        return (Reservation) s.scratch(this);
    }

    @Override
    public Status beforePlace(CycleState s, Job job) {
        Reservation r = reservation(s);
        if (r == null || r.cluster < 0) return Status.OK;
        boolean delays = job.gpus() > r.extra && !endsBy(s.now(), s.estimator().runtime(job, r.cluster), r.shadow)
                && s.placer().eligible(job, r.cluster);
        return delays && !fitsByCountOutside(s, job, r.cluster) ? Status.WOULD_DELAY_RESERVATION : Status.OK;
    }

    @Override
    public Placement permit(CycleState s, Job job, Placement p) {
        Reservation r = reservation(s);
        if (r == null || r.cluster < 0 || p.cluster(s.topology()) != r.cluster) return p;
        boolean endsBefore = endsBy(s.now(), s.estimator().runtime(job, r.cluster), r.shadow);
        // else try elsewhere than the reserved cluster before giving up
        if (!endsBefore && job.gpus() > r.extra) return placeOutside(s, job, r.cluster);
        if (!endsBefore) r.extra -= job.gpus();
        return p;
    }

    @Override
    public Status denied() {
        return Status.WOULD_DELAY_RESERVATION;
    }

    @Override
    public Status unschedulable(CycleState s, Job job) {
        if (!s.block(job)) return Status.NO_FREE_GPUS;
        if (reservation(s) == null) s.scratch(this, reserve(s, job));
        return Status.HOLDS_RESERVATION;
    }

    /** Whether a job of this run time started now ends by the shadow time; an unknown run time never does. */
    static boolean endsBy(double now, double runtime, double shadow) {
        return !Double.isInfinite(runtime) && now + runtime <= shadow;
    }

    private static boolean fitsByCountOutside(CycleState s, Job job, int excluded) {
        for (int c = 0; c < s.topology().clusterCount(); c++)
            if (c != excluded && s.fleet().clusterCapacity(c, job.unit()) >= job.gpus()
                    && s.placer().eligible(job, c))
                return true;
        return false;
    }

    private static Placement placeOutside(CycleState s, Job job, int excluded) {
        Placement best = null;
        for (int c = 0; c < s.topology().clusterCount() && best == null; c++)
            if (c != excluded) best = s.placer().place(job.spec(), s.fleet(), c);
        return best;
    }

    private record Ending(double end, int gpus) {}

    /** The jobs started so far this cycle in cluster {@code c}, by expected end. */
    private static List<Ending> startedThisCycle(CycleState s, int c) {
        List<Ending> out = new ArrayList<>();
        for (Decision d : s.decisions())
            if (d instanceof Decision.Start(Job j, Placement p) && p.cluster(s.topology()) == c)
                out.add(new Ending(s.now() + s.estimator().runtime(j, c), j.gpus()));
        out.sort(Comparator.comparingDouble(Ending::end));
        return out;
    }

    /** The next running job not preempted this cycle, or null. */
    private static Job nextRunning(CycleState s, Iterator<Job> it) {
        while (it.hasNext()) {
            Job j = it.next();
            if (!s.preempted(j)) return j;
        }
        return null;
    }

    /** The reservation for a blocked job: cluster -1 when nothing can be reserved. */
    static Reservation reserve(CycleState s, Job job) {
        int bestC = -1;
        double bestShadow = Double.POSITIVE_INFINITY;
        int bestExtra = 0;
        for (int c = 0; c < s.topology().clusterCount(); c++) {
            if (!s.placer().eligible(job, c)) continue;
            int have = s.fleet().clusterCapacity(c, job.spec().unit());
            double shadow = Double.POSITIVE_INFINITY;
            if (have >= job.gpus()) shadow = Double.NEGATIVE_INFINITY; // fits by count but not by topology
            else {
                // free GPUs counted one by one, as the running jobs' are: counted only in whole tensor-parallel
                // groups, the 2 free GPUs beside a 6-GPU job on an 8-GPU host were 0, the host never added up
                // to an 8-GPU group, the shadow was infinite and any job could backfill past the reserved one
                have = s.fleet().clusterCapacity(c, 1);
                // jobs started earlier in this cycle hold GPUs and end like running ones, but join the
                // running set only after the cycle; jobs preempted this cycle have given theirs back
                List<Ending> started = startedThisCycle(s, c);
                var running = s.running().byEnd(c).iterator();
                Job r = nextRunning(s, running);
                int i = 0;
                while (have < job.gpus() && (r != null || i < started.size())) {
                    if (i < started.size() && (r == null || started.get(i).end() < r.estimatedEnd())) {
                        Ending e = started.get(i++);
                        have += e.gpus();
                        shadow = e.end();
                    } else {
                        have += r.gpus();
                        shadow = r.estimatedEnd();
                        r = nextRunning(s, running);
                    }
                }
                if (have < job.gpus()) shadow = Double.POSITIVE_INFINITY;
            }
            if (bestC < 0 || shadow < bestShadow) {
                bestC = c;
                bestShadow = shadow;
                bestExtra = Math.max(0, have - job.gpus());
            }
        }
        return new Reservation(bestC, bestShadow, bestExtra);
    }
}
