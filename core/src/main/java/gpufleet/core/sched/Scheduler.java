package gpufleet.core.sched;

import gpufleet.core.job.Job;
import gpufleet.core.state.FleetState;
import gpufleet.core.state.Placement;
import gpufleet.core.topology.Topology;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One scheduling cycle: {@code (now, waiting jobs, running jobs, fleet state) -> decisions}.
 *
 * <p>The same code runs in the digital twin (virtual clock) and the controller (wall clock); it
 * reads no clock, does no I/O and draws no random numbers, so the same inputs give the same
 * decisions. It is single-threaded by contract.
 *
 * <p>The cycle walks waiting jobs in the policy's order. For each job:
 * <ol>
 *   <li><b>admission</b>: a job no cluster could ever hold is rejected with the reason;</li>
 *   <li><b>quota</b>: a job that would take its team past its quota waits;</li>
 *   <li><b>placement</b>: {@link GangPlacer} looks for a topology-aware, all-or-nothing placement;</li>
 *   <li><b>backfill guard</b>: once a job is blocked and holds the reservation, a later job may only
 *       start in the reserved cluster if it is expected to end before the reserved start, or uses
 *       only GPUs the reserved job will not need;</li>
 *   <li><b>preemption</b>: a blocked job may stop running jobs of strictly lower priority, lowest
 *       priority and most recently started first, and only as many as it needs;</li>
 *   <li>otherwise it waits, with a reason, and under a strict policy nothing behind it starts.</li>
 * </ol>
 * Decisions are applied to the {@link FleetState} as they are made (GPUs allocated and released),
 * so the caller must apply the job-side transitions of every returned decision.
 */
public final class Scheduler {

    /** Estimates how long a job would run if started now in a cluster; +infinity when unknown. */
    @FunctionalInterface
    public interface Estimator {
        double runtime(Job job, int cluster);

        Estimator UNKNOWN = (j, c) -> Double.POSITIVE_INFINITY;
    }

    /** The outcome of one cycle. */
    public record Result(List<Decision> decisions, int considered) {}

    public static final String REASON_QUOTA = "team quota";
    public static final String REASON_RESOURCES = "waiting for free GPUs";
    public static final String REASON_RESERVED = "waiting for free GPUs (holds the reservation)";
    public static final String REASON_BACKFILL = "would delay the reserved job";
    public static final String REASON_BLOCKED = "behind a blocked job (strict order)";

    private final Topology topo;
    private final Policy policy;
    private final GangPlacer placer;

    public Scheduler(Topology topo, Policy policy) {
        this.topo = topo;
        this.policy = policy;
        this.placer = new GangPlacer(topo);
    }

    public Policy policy() { return policy; }
    public GangPlacer placer() { return placer; }

    /** Why {@code job} can never run on this fleet, or null if some cluster could hold it. */
    public String admissionError(Job job) {
        for (int c = 0; c < topo.clusterCount(); c++) if (placer.eligible(job.spec(), c)) return null;
        var s = job.spec();
        int maxHost = 0;
        long maxCluster = 0;
        for (var c : topo.clusters()) {
            if (s.gpuType() != null && !c.gpuType().equalsIgnoreCase(s.gpuType())) continue;
            if (s.cluster() != null && !c.name().equals(s.cluster())) continue;
            maxHost = Math.max(maxHost, c.gpusPerHost());
            maxCluster = Math.max(maxCluster, (long) (c.hosts() - c.spareHosts()) * c.gpusPerHost());
        }
        if (maxCluster == 0)
            return s.cluster() != null && s.gpuType() == null ? "no cluster is named " + s.cluster()
                    : "no cluster" + (s.cluster() != null ? " named " + s.cluster() : "") + " has GPU type " + s.gpuType();
        if (s.unit() > maxHost)
            return "tensor-parallel group of " + s.unit() + " GPUs is larger than a host (" + maxHost + " GPUs)";
        return "needs " + s.gpus() + " GPUs; the largest eligible cluster has " + maxCluster;
    }

    /**
     * Runs one cycle.
     *
     * @param now     the caller's clock, seconds
     * @param waiting waiting jobs, already in {@code policy().order()}
     * @param running running jobs
     * @param st      the fleet; changed to reflect the decisions
     * @param quotas  team quotas
     * @param est     runtime estimates for backfill
     */
    public Result cycle(double now, Iterable<Job> waiting, RunningSet running, FleetState st, Quotas quotas,
                        Estimator est) {
        return cycle(now, waiting, running, st, quotas, est, Map.of());
    }

    /**
     * As {@link #cycle(double, Iterable, RunningSet, FleetState, Quotas, Estimator)}, with the teams'
     * guaranteed shares (GPUs) for fair-share orders. Waiting jobs may come in any order when the
     * policy's order is dynamic; otherwise they must already be in {@code policy().order()}.
     */
    public Result cycle(double now, Iterable<Job> waiting, RunningSet running, FleetState st, Quotas quotas,
                        Estimator est, Map<String, Integer> shares) {
        QueueOrder.View view = new QueueOrder.View(now, est, shares, running::teamGpus);
        if (policy.order().dynamic()) {
            List<Job> sorted = new ArrayList<>();
            for (Job j : waiting) sorted.add(j);
            waiting = policy.order().arrange(sorted, view);
        }
        if (policy.starvationSec() > 0) waiting = starvedFirst(waiting, now);
        List<Job> left = policy.rank() != null ? new ArrayList<>() : null;
        List<Decision> out = new ArrayList<>();
        Map<String, Integer> teamUse = new HashMap<>();
        // still in the running set (the caller removes them after the cycle), but no longer victims
        Set<Job> preempted = Collections.newSetFromMap(new IdentityHashMap<>());
        int reservedCluster = -1;
        double shadow = Double.POSITIVE_INFINITY;
        int extra = 0;
        boolean blocked = false;
        int considered = 0;
        for (Job job : waiting) {
            considered++;
            if (blocked && policy.mode() == Policy.Mode.STRICT) {
                job.setReason(REASON_BLOCKED);
                if (left != null) left.add(job);
                continue;
            }
            var spec = job.spec();
            String never = admissionError(job);
            if (never != null) {
                out.add(new Decision.Reject(job, never));
                continue;
            }
            int use = teamUse.computeIfAbsent(job.team(), running::teamGpus);
            if ((long) use + job.gpus() > quotas.limit(job.team())) {
                job.setReason(REASON_QUOTA + " (" + job.team() + ": " + use + " + " + job.gpus() + " > "
                        + quotas.limit(job.team()) + " GPUs)");
                continue;
            }
            boolean fits = fitsByCount(job, st);
            if (fits && reservedCluster >= 0 && wouldDelayReservation(job, now, shadow, extra, reservedCluster, est)
                    && !fitsByCountOutside(job, st, reservedCluster)) {
                job.setReason(REASON_BACKFILL);
                continue;
            }
            Placement p = fits ? placer.place(spec, st) : null;
            if (p != null && reservedCluster >= 0 && p.cluster(topo) == reservedCluster) {
                double runtime = est.runtime(job, reservedCluster);
                boolean endsBefore = endsBy(now, runtime, shadow);
                if (!endsBefore && job.gpus() > extra) {
                    // try elsewhere than the reserved cluster before giving up
                    p = placeOutside(job, st, reservedCluster);
                    if (p == null) {
                        job.setReason(REASON_BACKFILL);
                        continue;
                    }
                } else if (!endsBefore) {
                    extra -= job.gpus();
                }
            }
            if (p != null) {
                st.allocate(job.id(), p);
                out.add(new Decision.Start(job, p));
                teamUse.merge(job.team(), job.gpus(), Integer::sum);
                continue;
            }
            if (policy.preemption() && !blocked && preempt(job, running, preempted, st, out)) {
                teamUse.merge(job.team(), job.gpus(), Integer::sum);
                continue;
            }
            if (left != null) left.add(job);
            if (policy.mode() == Policy.Mode.GREEDY) {
                job.setReason(REASON_RESOURCES);
            } else if (!blocked) {
                blocked = true;
                if (policy.backfill()) {
                    double[] res = reserve(job, running, st);
                    reservedCluster = (int) res[0];
                    shadow = res[1];
                    extra = (int) res[2];
                }
                job.setReason(REASON_RESERVED);
            } else {
                job.setReason(REASON_RESOURCES);
            }
        }
        if (left != null && !left.isEmpty() && now - lastRankPass >= policy.rank().intervalSec()) {
            lastRankPass = now;
            rankPass(now, left, running, st, quotas, teamUse, view, preempted, out);
        }
        return new Result(out, considered);
    }

    private double lastRankPass = Double.NEGATIVE_INFINITY;

    /**
     * The same jobs with every waiting job that has waited at least the policy's starvation bound moved
     * ahead of the jobs of its priority (stably, and oldest wait first among them). One pass, no sort of
     * the rest, so that a queue kept in a static order stays cheap.
     */
    private List<Job> starvedFirst(Iterable<Job> jobs, double now) {
        List<Job> starved = new ArrayList<>(), rest = new ArrayList<>();
        for (Job j : jobs) {
            if (j.state().isWaiting() && now - j.waitingSince() >= policy.starvationSec()) starved.add(j);
            else rest.add(j);
        }
        if (starved.isEmpty()) return rest;
        starved.sort(Comparator.comparingInt(Job::priority).reversed().thenComparingDouble(Job::waitingSince)
                .thenComparingInt(Job::id));
        // merge: a starved job goes before the first job of its priority or lower
        List<Job> out = new ArrayList<>(starved.size() + rest.size());
        int i = 0;
        for (Job r : rest) {
            while (i < starved.size() && starved.get(i).priority() >= r.priority()) out.add(starved.get(i++));
            out.add(r);
        }
        while (i < starved.size()) out.add(starved.get(i++));
        return out;
    }

    /** Whether some preemptible running job ranks below the best-ranked waiting job; no sorting. */
    private boolean anyRunningRanksBelow(List<Job> left, RunningSet running, Set<Job> preempted, Comparator<Job> rank,
                                         double now) {
        Job best = left.getFirst();
        for (Job w : left) if (rank.compare(w, best) < 0) best = w;
        for (int c = 0; c < topo.clusterCount(); c++)
            for (Job r : running.byEnd(c))
                if (!preempted.contains(r) && now - r.runStart() >= policy.rank().minRunSec() && rank.compare(r, best) > 0)
                    return true;
        return false;
    }

    /**
     * Preemption by rank. Running jobs (except those started under {@code minRunSec} ago, and those
     * already stopped this cycle) and the jobs still waiting are put in the policy's order; walking it,
     * each job claims GPUs of its cluster by count while any remain. Running jobs that claim none are
     * candidate victims; waiting jobs that claim some are candidates to start. Victims are released,
     * the candidates placed (topology-aware) in rank order, and every victim whose GPUs are still free
     * afterwards is given them back: only jobs whose GPUs were actually taken are preempted.
     */
    private void rankPass(double now, List<Job> left, RunningSet running, FleetState st, Quotas quotas,
                          Map<String, Integer> teamUse, QueueOrder.View view, Set<Job> preempted, List<Decision> out) {
        Comparator<Job> rank = policy.order().rankComparator(view);
        if (rank != null && !anyRunningRanksBelow(left, running, preempted, rank, now)) return;
        int nc = topo.clusterCount();
        long[] budget = new long[nc];
        for (int c = 0; c < nc; c++) budget[c] = st.clusterCapacity(c, 1);
        // pinned jobs hold GPUs the pass may not take (started under minRunSec ago, or started earlier
        // in this cycle); they are ranked too, because a fair-share order counts what each team holds
        Set<Job> pinned = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Decision d : out) if (d instanceof Decision.Start st0) pinned.add(st0.job());
        List<Job> all = new ArrayList<>(left);
        boolean anyPreemptible = false;
        for (Job r : running.all()) {
            if (preempted.contains(r)) continue;
            if (now - r.runStart() < policy.rank().minRunSec()) {
                pinned.add(r);
            } else {
                budget[r.placement().cluster(topo)] += r.gpus();
                anyPreemptible = true;
            }
            all.add(r);
        }
        if (!anyPreemptible) return;
        for (Job j : pinned) if (j.state() != gpufleet.core.job.JobState.RUNNING) all.add(j);
        policy.order().arrange(all, new QueueOrder.View(now, view.est(), view.shares()));
        if (policy.starvationSec() > 0) all = starvedFirst(all, now);
        List<Job> victims = new ArrayList<>();
        List<Job> starts = new ArrayList<>();
        Map<String, Integer> use = new HashMap<>(teamUse);
        for (Job j : all) {
            if (pinned.contains(j)) continue;
            if (j.state() == gpufleet.core.job.JobState.RUNNING) {
                int c = j.placement().cluster(topo);
                if (budget[c] >= j.gpus()) budget[c] -= j.gpus();
                else victims.add(j);
                continue;
            }
            int u = use.computeIfAbsent(j.team(), k -> 0);
            if ((long) u + j.gpus() > quotas.limit(j.team())) continue;
            int best = -1;
            for (int c = 0; c < nc; c++)
                if (placer.eligible(j.spec(), c) && budget[c] >= j.gpus() && (best < 0 || budget[c] > budget[best])) best = c;
            if (best < 0) continue;
            budget[best] -= j.gpus();
            use.merge(j.team(), j.gpus(), Integer::sum);
            starts.add(j);
        }
        if (starts.isEmpty() || victims.isEmpty()) return;
        for (Job v : victims) st.release(v.id(), v.placement());
        Job first = null;
        for (Job j : starts) {
            Placement p = placer.place(j.spec(), st);
            if (p == null) continue;
            st.allocate(j.id(), p);
            out.add(new Decision.Start(j, p));
            teamUse.merge(j.team(), j.gpus(), Integer::sum);
            if (first == null) first = j;
        }
        for (Job v : victims) {
            if (first != null && !st.canReclaim(v.id(), v.placement())) {
                out.add(new Decision.Preempt(v, first));
                preempted.add(v);
            } else {
                st.reclaim(v.id(), v.placement());
            }
        }
    }

    private boolean fitsByCount(Job job, FleetState st) {
        for (int c = 0; c < topo.clusterCount(); c++)
            if (st.clusterCapacity(c, job.spec().unit()) >= job.gpus() && placer.eligible(job.spec(), c)) return true;
        return false;
    }

    private boolean wouldDelayReservation(Job job, double now, double shadow, int extra, int cluster, Estimator est) {
        return job.gpus() > extra && !endsBy(now, est.runtime(job, cluster), shadow) && placer.eligible(job.spec(), cluster);
    }

    /** Whether a job of this run time started now ends by the shadow time; an unknown run time never does. */
    private static boolean endsBy(double now, double runtime, double shadow) {
        return !Double.isInfinite(runtime) && now + runtime <= shadow;
    }

    private boolean fitsByCountOutside(Job job, FleetState st, int excluded) {
        for (int c = 0; c < topo.clusterCount(); c++)
            if (c != excluded && st.clusterCapacity(c, job.spec().unit()) >= job.gpus() && placer.eligible(job.spec(), c))
                return true;
        return false;
    }

    private Placement placeOutside(Job job, FleetState st, int excluded) {
        Placement best = null;
        for (int c = 0; c < topo.clusterCount() && best == null; c++)
            if (c != excluded) best = placer.place(job.spec(), st, c);
        return best;
    }

    /**
     * EASY reservation for a blocked job: in each eligible cluster, the earliest time enough GPUs are
     * expected to be free (counting GPUs, not topology), and how many would be left over then.
     * Returns {cluster, shadow time, extra GPUs}; cluster -1 when nothing can be reserved.
     */
    private double[] reserve(Job job, RunningSet running, FleetState st) {
        int bestC = -1;
        double bestShadow = Double.POSITIVE_INFINITY;
        int bestExtra = 0;
        for (int c = 0; c < topo.clusterCount(); c++) {
            if (!placer.eligible(job.spec(), c)) continue;
            int have = st.clusterCapacity(c, job.spec().unit());
            double shadow = Double.POSITIVE_INFINITY;
            if (have >= job.gpus()) shadow = Double.NEGATIVE_INFINITY; // fits by count but not by topology
            else for (Job r : running.byEnd(c)) {
                have += r.gpus();
                if (have >= job.gpus()) { shadow = r.estimatedEnd(); break; }
            }
            if (bestC < 0 || shadow < bestShadow) {
                bestC = c;
                bestShadow = shadow;
                bestExtra = Math.max(0, have - job.gpus());
            }
        }
        return new double[] {bestC, bestShadow, bestExtra};
    }

    /**
     * Tries to start {@code job} by preempting lower-priority jobs. Victims are taken lowest priority
     * first, then most recently started, until the gang can be placed; victims that turn out not to be
     * needed are then given back (when there are few enough to check one by one). Jobs already
     * preempted this cycle are not candidates. Leaves the state unchanged and returns false if no
     * set of victims suffices.
     */
    private boolean preempt(Job job, RunningSet running, Set<Job> preempted, FleetState st, List<Decision> out) {
        var spec = job.spec();
        for (int c = 0; c < topo.clusterCount(); c++) {
            if (!placer.eligible(spec, c)) continue;
            int lower = running.gpusBelow(c, job.priority());
            if (lower == 0 || (long) st.clusterCapacity(c, spec.unit()) + lower < job.gpus()) continue;
            List<Job> candidates = new ArrayList<>();
            for (Job r : running.byEnd(c))
                if (r.priority() < job.priority() && !preempted.contains(r)) candidates.add(r);
            candidates.sort((a, b) -> a.priority() != b.priority() ? Integer.compare(a.priority(), b.priority())
                    : a.runStart() != b.runStart() ? Double.compare(b.runStart(), a.runStart())
                    : Integer.compare(b.id(), a.id()));
            List<Job> victims = new ArrayList<>();
            Placement p = null;
            int freed = 0;
            for (Job v : candidates) {
                st.release(v.id(), v.placement());
                victims.add(v);
                freed += v.gpus();
                if (st.clusterCapacity(c, spec.unit()) < job.gpus()) continue;
                p = placer.place(spec, st, c);
                if (p != null) break;
            }
            if (p == null) {
                // reclaim, not allocate: a victim's GPUs may no longer be usable (a draining host)
                for (Job v : victims) st.reclaim(v.id(), v.placement());
                continue;
            }
            if (victims.size() <= 32) {
                for (int i = victims.size() - 1; i >= 0 && victims.size() > 1; i--) {
                    Job v = victims.get(i);
                    st.reclaim(v.id(), v.placement());
                    Placement q = placer.place(spec, st, c);
                    if (q != null) {
                        victims.remove(i);
                        p = q;
                    } else {
                        st.release(v.id(), v.placement());
                    }
                }
            }
            for (Job v : victims) {
                out.add(new Decision.Preempt(v, job));
                preempted.add(v);
            }
            st.allocate(job.id(), p);
            out.add(new Decision.Start(job, p));
            return true;
        }
        return false;
    }
}
