package gpufleet.core.lifecycle;

import gpufleet.core.job.Job;
import gpufleet.core.job.JobSpec;
import gpufleet.core.job.JobState;
import gpufleet.core.sched.Policy;
import gpufleet.core.sched.Quotas;
import gpufleet.core.sched.framework.Status;
import gpufleet.core.state.FleetState;
import gpufleet.core.state.Placement;
import gpufleet.core.topology.Topology;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.DoubleFunction;
import java.util.function.IntFunction;

/**
 * When each waiting job should start, and why it waits, found by running the same scheduler forward on
 * a virtual clock over a copy of a lifecycle: {@code squeue --start}, but with the fleet's own policy,
 * backfill and topology rather than a separate estimate.
 *
 * <p>The copy ({@link #snapshot}) holds the fleet's host states and broken GPUs, the running jobs with
 * their expected ends (a time limit's end, or unknown), and the waiting jobs with their limits. The
 * forecast ({@link #run}) then cycles the copy's scheduler, ends each running job at its expected end,
 * and cycles again, recording the first virtual time each waiting job starts. Jobs started on the way
 * hold their GPUs for their own limit, or for ever when they have none. Nothing fails in the forecast:
 * it is what happens if every run ends when its limit says.
 *
 * <p>To stay fast at 10,000 waiting jobs the clock does not stop at every end: after the first step it
 * advances at least {@link #RESOLUTION} of the time already forecast, so a start far in the future may
 * be late by that fraction (a sixteenth: up to 4 minutes for a start an hour away, 1.5 hours for one a
 * day away; time limits are upper bounds anyway), while starts at the next few ends are exact.
 *
 * <p>Pure: the snapshot is taken under the driver's lock, the forecast runs outside it.
 */
public final class StartForecast {
    /** The fraction of the forecast's own distance by which the virtual clock may overshoot an end. */
    public static final double RESOLUTION = 1.0 / 16;

    /** How far ahead a forecast looks by default: a week. */
    public static final double DEFAULT_HORIZON_SEC = 7 * 86_400;

    /** What the forecast says of a waiting job. */
    public enum Outcome {
        /** It starts at {@link Expected#start()}. */
        STARTS,
        /** It waits on running jobs that have no time limit, so nobody knows when. */
        NO_ESTIMATE,
        /** Not before the horizon. */
        BEYOND_HORIZON,
        /** It would not fit even with every running job ended (hosts drained or down, or too big). */
        NEVER
    }

    /**
     * A waiting job's forecast.
     *
     * @param job    its id
     * @param outcome whether and how it starts
     * @param start  when it starts (the snapshot's clock) for {@link Outcome#STARTS}; NaN otherwise
     * @param reason why it waits now, with numbers; empty when it would start at once
     */
    public record Expected(int job, Outcome outcome, double start, String reason) { }

    /** A running job as copied: where it runs, since when, and when it is expected to end (+inf: unknown). */
    public record Running(int id, JobSpec spec, Placement placement, double runStart, double estimatedEnd,
                          double attained, int restarts, int preemptions) { }

    /**
     * A waiting job as copied.
     *
     * @param limitSec its run-time limit, or NaN for none
     * @param retryAt  the earliest time it may start again after quick failures; NaN when at once
     */
    public record Waiting(int id, JobSpec spec, double waitingSince, double attained, int restarts,
                          int preemptions, double limitSec, double retryAt, double pendingStartup) { }

    /** Everything the forecast needs, copied out of a lifecycle; immutable once taken. */
    public record Snapshot(Topology topology, Policy policy, double now, byte[] hostStatus, long[] unhealthy,
                           List<Running> running, List<Waiting> waiting, Quotas quotas,
                           Map<String, Integer> shares) { }

    /** The forecast of every waiting job, in the queue's order, and the virtual cycles it took. */
    public record Result(double now, List<Expected> jobs, int cycles, Map<Integer, Expected> byId) {
        public Result(double now, List<Expected> jobs, int cycles) {
            this(now, jobs, cycles, index(jobs));
        }

        private static Map<Integer, Expected> index(List<Expected> jobs) {
            Map<Integer, Expected> m = new HashMap<>(jobs.size() * 2);
            for (Expected e : jobs) m.put(e.job(), e);
            return java.util.Collections.unmodifiableMap(m);
        }

        /** The job's forecast, or null when it was not waiting at the snapshot. */
        public Expected of(int id) {
            return byId.get(id);
        }
    }

    private StartForecast() { }

    /**
     * Copies {@code lc}'s state at {@code now}: O(hosts + jobs), meant to be taken under the driver's
     * lock. {@code limitSec} gives a job's time limit in seconds, or null for none.
     */
    public static Snapshot snapshot(Lifecycle lc, IntFunction<Long> limitSec, Quotas quotas,
                                    Map<String, Integer> shares, double now) {
        FleetState st = lc.fleet();
        Topology topo = st.topology();
        int n = topo.hostCount();
        byte[] status = new byte[n];
        long[] unhealthy = new long[n];
        for (int h = 0; h < n; h++) {
            status[h] = (byte) st.status(h).ordinal();
            unhealthy[h] = st.unhealthyMask(h);
        }
        List<Running> running = new ArrayList<>(lc.running().size());
        for (Job j : lc.running().all())
            running.add(new Running(j.id(), j.spec(), j.placement(), j.runStart(), j.estimatedEnd(),
                    j.attainedGpuSeconds(), j.restarts(), j.preemptions()));
        List<Waiting> waiting = new ArrayList<>(lc.waiting().size());
        for (Job j : lc.waiting()) {
            Long limit = limitSec.apply(j.id());
            waiting.add(new Waiting(j.id(), j.spec(), j.waitingSince(), j.attainedGpuSeconds(), j.restarts(),
                    j.preemptions(), limit == null ? Double.NaN : limit, lc.retryAt(j.id()), lc.pendingStartup(j.id())));
        }
        return new Snapshot(topo, lc.policy(), now, status, unhealthy, List.copyOf(running), List.copyOf(waiting),
                quotas == null ? new Quotas(Map.of()) : quotas, shares == null ? Map.of() : Map.copyOf(shares));
    }

    /** Runs the forecast with the default horizon, times shown as offsets from the snapshot's clock. */
    public static Result run(Snapshot s) {
        return run(s, DEFAULT_HORIZON_SEC, t -> "now+" + Math.round(t - s.now()) + "s");
    }

    /**
     * Runs the scheduler forward from the snapshot, at most {@code horizonSec} of virtual time;
     * {@code at} words a time on the snapshot's clock for reasons ("14:20").
     */
    public static Result run(Snapshot s, double horizonSec, DoubleFunction<String> at) {
        return run(s, horizonSec, RESOLUTION, at);
    }

    /** As {@link #run(Snapshot, double, DoubleFunction)}, with the clock's overshoot fraction given. */
    public static Result run(Snapshot s, double horizonSec, double resolution, DoubleFunction<String> at) {
        Map<Integer, Double> limits = new HashMap<>();
        for (Waiting w : s.waiting()) if (!Double.isNaN(w.limitSec())) limits.put(w.id(), w.limitSec());
        Lifecycle.Runs runs = new Lifecycle.Runs() {
            @Override
            public double estimate(Job job, int cluster, double now) {
                Double l = limits.get(job.id());
                if (job.state() == JobState.RUNNING) return Math.max(0, job.estimatedEnd() - now);
                return l == null ? Double.POSITIVE_INFINITY : l;
            }

            @Override
            public Lifecycle.RunPlan plan(Job job, Placement p, double now, double startup) {
                Double l = limits.get(job.id());
                return new Lifecycle.RunPlan(Double.POSITIVE_INFINITY, 0,
                        l == null ? Double.POSITIVE_INFINITY : now + l);
            }
        };
        Topology topo = s.topology();
        FleetState st = new FleetState(topo);
        // a host under a running job takes its state after the job is restored, as the controller rebuilds
        // its view: a draining host, or a GPU found bad under a job, still holds what runs there
        boolean[] holding = holding(s, topo);
        hostStates(s, st, holding, false);
        Lifecycle lc = new Lifecycle(st, s.policy(),
                new Lifecycle.Options(RestartRule.IMMEDIATE, false, 0, s.shares()), runs);
        lc.setQuotas(s.quotas());
        for (Running r : s.running()) {
            Job j = new Job(r.id(), r.spec());
            j.restore(r.restarts(), r.preemptions(), r.attained(), r.runStart());
            lc.restoreRunning(j, r.placement(), r.runStart(),
                    new Lifecycle.Restored(0, 0, Double.NaN, Double.NaN, r.estimatedEnd()));
        }
        hostStates(s, st, holding, true);
        Map<Integer, Job> copies = new LinkedHashMap<>();
        for (Waiting w : s.waiting()) {
            Job j = new Job(w.id(), w.spec());
            j.restore(w.restarts(), w.preemptions(), w.attained(), w.waitingSince());
            lc.restoreWaiting(j, new Lifecycle.Restored(0, 0, w.retryAt(), Double.NaN, Double.NaN));
            copies.put(w.id(), j);
        }

        double now = s.now(), end = now + horizonSec, t = now;
        // jobs backing off after quick failures may start at these times, earliest first
        double[] retries = s.waiting().stream().mapToDouble(Waiting::retryAt).filter(r -> r > now).sorted().toArray();
        int retry = 0;
        Map<Integer, Double> start = new HashMap<>();
        Map<Integer, String> rejected = new HashMap<>();
        Map<Integer, String> firstReason = new HashMap<>();
        Map<Integer, Status.Code> firstCode = new HashMap<>();
        int cycles = 0;
        List<Job> ending = new ArrayList<>();
        endBy(lc, topo, now, ending); // runs already past their limit end before anything else
        while (!lc.waiting().isEmpty() && t <= end) {
            for (LifecycleEvent ev : lc.cycle(t)) {
                switch (ev) {
                    case LifecycleEvent.Started x -> start.putIfAbsent(x.job().id(), t);
                    case LifecycleEvent.Rejected x -> rejected.put(x.job().id(), x.reason());
                    default -> { }
                }
            }
            if (cycles++ == 0)
                for (Job j : lc.waiting()) {
                    firstReason.put(j.id(), j.reason());
                    firstCode.put(j.id(), codeOf(j.reason()));
                }
            double next = Math.min(lc.wakeAt(), nextEnd(lc, topo));
            while (retry < retries.length && retries[retry] <= t) retry++;
            if (retry < retries.length) next = Math.min(next, retries[retry]);
            if (Double.isInfinite(next)) break;
            // past the first step, coarsen the clock in proportion to how far ahead it already is
            t = Math.max(next, t + (t - now) * resolution);
            endBy(lc, topo, t, ending);
        }

        // what is left waiting: why no start was found
        int unknownRunning = 0;
        for (Job r : lc.running().all()) if (Double.isInfinite(r.estimatedEnd())) unknownRunning++;
        boolean stuck = t <= end; // the loop ran out of events, not of horizon

        // the reservation holder and the first blocked job, in the queue's order, for the words
        Job holder = null, blocker = null;
        for (Job j : copies.values()) {
            Status.Code c = firstCode.get(j.id());
            if (c == null) continue;
            if (blocker == null && (c == Status.Code.NO_FREE_GPUS || c == Status.Code.HOLDS_RESERVATION)) blocker = j;
            if (holder == null && c == Status.Code.HOLDS_RESERVATION) holder = j;
        }
        FleetState atNow = freeAtNow(s, topo);

        List<Expected> out = new ArrayList<>(copies.size());
        for (Job j : copies.values()) {
            int id = j.id();
            Double at0 = start.get(id);
            if (at0 != null && at0 == now) {
                out.add(new Expected(id, Outcome.STARTS, now, ""));
                continue;
            }
            if (rejected.containsKey(id)) {
                out.add(new Expected(id, Outcome.NEVER, Double.NaN, "never fits: " + rejected.get(id)));
                continue;
            }
            String why = words(j, firstReason.getOrDefault(id, ""), firstCode.get(id), atNow, topo, holder, blocker,
                    start, at);
            if (at0 != null) {
                out.add(new Expected(id, Outcome.STARTS, at0, why));
            } else if (!stuck) {
                out.add(new Expected(id, Outcome.BEYOND_HORIZON, Double.NaN,
                        why + "; not within " + Math.round(horizonSec / 3600) + " h"));
            } else if (unknownRunning > 0) {
                out.add(new Expected(id, Outcome.NO_ESTIMATE, Double.NaN, why + "; no estimate: " + unknownRunning
                        + (unknownRunning == 1 ? " job runs" : " jobs run") + " without a time limit"));
            } else {
                out.add(new Expected(id, Outcome.NEVER, Double.NaN, why + "; never fits: at most "
                        + bestCapacity(lc.fleet(), topo, j) + " usable GPUs with every job ended"));
            }
        }
        return new Result(now, List.copyOf(out), cycles);
    }

    /** Completes every running job expected to end by {@code t}. */
    private static void endBy(Lifecycle lc, Topology topo, double t, List<Job> scratch) {
        scratch.clear();
        for (int c = 0; c < topo.clusterCount(); c++)
            for (Job r : lc.running().byEnd(c)) {
                if (r.estimatedEnd() > t) break;
                scratch.add(r);
            }
        for (Job r : scratch) lc.complete(r.id(), t);
    }

    private static double nextEnd(Lifecycle lc, Topology topo) {
        double next = Double.POSITIVE_INFINITY;
        for (int c = 0; c < topo.clusterCount(); c++) {
            var byEnd = lc.running().byEnd(c);
            if (!byEnd.isEmpty()) next = Math.min(next, byEnd.first().estimatedEnd());
        }
        return next;
    }

    /** Which hosts a running job holds GPUs on. */
    private static boolean[] holding(Snapshot s, Topology topo) {
        boolean[] holding = new boolean[topo.hostCount()];
        for (Running r : s.running()) for (int h : r.placement().hosts()) holding[h] = true;
        return holding;
    }

    /** Sets the snapshot's host states and bad GPUs on the hosts whose {@code holding} flag is {@code which}. */
    private static void hostStates(Snapshot s, FleetState st, boolean[] holding, boolean which) {
        var statuses = gpufleet.core.state.HostStatus.values();
        for (int h = 0; h < holding.length; h++) {
            if (holding[h] != which) continue;
            if (s.hostStatus()[h] != 0) st.setStatus(h, statuses[s.hostStatus()[h]]);
            for (long m = s.unhealthy()[h]; m != 0; m &= m - 1) st.setGpuHealthy(h, Long.numberOfTrailingZeros(m), false);
        }
    }

    /** The fleet as it is now, before the forecast's first cycle, for "N free". */
    private static FleetState freeAtNow(Snapshot s, Topology topo) {
        FleetState st = new FleetState(topo);
        boolean[] holding = holding(s, topo);
        hostStates(s, st, holding, false);
        for (Running r : s.running()) st.allocate(r.id(), r.placement());
        hostStates(s, st, holding, true);
        return st;
    }

    private static int bestCapacity(FleetState st, Topology topo, Job j) {
        int best = 0;
        for (int c = 0; c < topo.clusterCount(); c++) best = Math.max(best, st.clusterCapacity(c, j.spec().unit()));
        return best;
    }

    private static Status.Code codeOf(String reason) {
        if (reason.startsWith(Status.REASON_RESERVED)) return Status.Code.HOLDS_RESERVATION;
        if (reason.startsWith(Status.REASON_BACKFILL)) return Status.Code.WOULD_DELAY_RESERVATION;
        if (reason.startsWith(Status.REASON_BLOCKED)) return Status.Code.BEHIND_BLOCKED_JOB;
        if (reason.startsWith(Status.REASON_QUOTA)) return Status.Code.TEAM_QUOTA;
        if (reason.startsWith(Status.REASON_RESOURCES)) return Status.Code.NO_FREE_GPUS;
        return null;
    }

    /** The scheduler's reason, with the numbers behind it. */
    private static String words(Job j, String reason, Status.Code code, FleetState atNow, Topology topo, Job holder,
                                Job blocker, Map<Integer, Double> start, DoubleFunction<String> at) {
        if (code == null) return reason;
        StringBuilder b = new StringBuilder(reason);
        if (code == Status.Code.TEAM_QUOTA) return b.toString(); // its reason already carries the numbers
        b.append(": needs ").append(j.gpus()).append(j.gpus() == 1 ? " GPU" : " GPUs");
        if (j.spec().unit() > 1) b.append(" in groups of ").append(j.spec().unit()).append(" on one host");
        if (topo.clusterCount() > 1) b.append(" in one cluster");
        b.append(", ").append(bestCapacity(atNow, topo, j)).append(" free");
        switch (code) {
            case WOULD_DELAY_RESERVATION, HOLDS_RESERVATION -> {
                Job h = code == Status.Code.HOLDS_RESERVATION ? j : holder;
                if (h != null && h != j) b.append(", job ").append(h.id()).append(" holds the reservation");
                Double hs = h == null ? null : start.get(h.id());
                if (hs != null) b.append(code == Status.Code.HOLDS_RESERVATION ? ", reserved for " : " at ")
                        .append(at.apply(hs));
            }
            case BEHIND_BLOCKED_JOB -> {
                if (blocker != null && blocker != j) {
                    b.append(", behind job ").append(blocker.id());
                    Double bs = start.get(blocker.id());
                    if (bs != null) b.append(" (starts ").append(at.apply(bs)).append(')');
                }
            }
            default -> { }
        }
        return b.toString();
    }
}
