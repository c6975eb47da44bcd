package gpufleet.core.sched;

import gpufleet.core.job.Job;
import gpufleet.core.sched.framework.CycleState;
import gpufleet.core.sched.framework.Memory;
import gpufleet.core.sched.framework.Permit;
import gpufleet.core.sched.framework.Place;
import gpufleet.core.sched.framework.PostCycle;
import gpufleet.core.sched.framework.PostFilter;
import gpufleet.core.sched.framework.PreFilter;
import gpufleet.core.sched.framework.Profile;
import gpufleet.core.sched.framework.QueueSort;
import gpufleet.core.sched.framework.Status;
import gpufleet.core.sched.framework.Filter;
import gpufleet.core.sched.framework.Unschedulable;
import gpufleet.core.sched.plugin.Admission;
import gpufleet.core.state.FleetState;
import gpufleet.core.state.Placement;
import gpufleet.core.topology.Topology;

import java.util.List;
import java.util.Map;

/**
 * One scheduling cycle: {@code (memory, now, waiting jobs, running jobs, fleet state) -> decisions,
 * next memory}. What the cycle does is the policy's {@link Profile}: a list of plugins, each
 * implementing some of the framework's extension points (package {@code gpufleet.core.sched.framework};
 * the plugins are in {@code gpufleet.core.sched.plugin}).
 *
 * <p>The same code runs in the digital twin (virtual clock) and the controller (wall clock); it
 * reads no clock, does no I/O and draws no random numbers, so the same inputs give the same
 * decisions. It is single-threaded by contract.
 *
 * <p>Waiting jobs are taken in the order of the profile's {@code QueueSort} plugins. For each job:
 * <ol>
 *   <li><b>pre-filter</b> (strict-order gate, admission, quota): the first plugin that says no ends
 *       the job's turn; admission rejects a job no cluster could ever hold;</li>
 *   <li><b>filter</b>: a cheap count of free GPUs; if none fits, placement is skipped;</li>
 *   <li><b>permit</b> before placement, <b>place</b>, then <b>permit</b> with the placement (the
 *       backfill reservation may redirect or refuse it); a placement found starts the job;</li>
 *   <li><b>post-filter</b> (preemption by priority) may make room;</li>
 *   <li>otherwise the job is <b>unschedulable</b> this cycle: its status says why, and plugins at
 *       that point decide what it does to the jobs behind it (head-of-line blocking, a reservation).</li>
 * </ol>
 * Then the <b>post-cycle</b> plugins (the rank pass) run over running and still-waiting jobs.
 * Decisions are applied to the {@link FleetState} as they are made (GPUs allocated and released),
 * so the caller must apply the job-side transitions of every returned decision. A waiting job's
 * reason is set from its {@link Status}.
 */
public final class Scheduler {

    /** Estimates how long a job would run if started now in a cluster; +infinity when unknown. */
    @FunctionalInterface
    public interface Estimator {
        double runtime(Job job, int cluster);

        Estimator UNKNOWN = (j, c) -> Double.POSITIVE_INFINITY;
    }

    /**
     * The outcome of one cycle.
     *
     * @param decisions  what to do, in order
     * @param considered how many waiting jobs the cycle looked at
     * @param memory     what the next cycle must be given
     * @param wakeAt     the latest time the profile wants its next cycle even if nothing else happens
     *                   (+infinity: only when something changes)
     */
    public record Result(List<Decision> decisions, int considered, Memory memory, double wakeAt) {
        public Result(List<Decision> decisions, int considered) {
            this(decisions, considered, Memory.EMPTY, Double.POSITIVE_INFINITY);
        }
    }

    public static final String REASON_QUOTA = Status.REASON_QUOTA;
    public static final String REASON_RESOURCES = Status.REASON_RESOURCES;
    public static final String REASON_RESERVED = Status.REASON_RESERVED;
    public static final String REASON_BACKFILL = Status.REASON_BACKFILL;
    public static final String REASON_BLOCKED = Status.REASON_BLOCKED;

    private final Topology topo;
    private final Policy policy;
    private final Profile profile;
    private final GangPlacer placer;
    // for the overloads that keep it between calls; the pure cycle takes it as an argument
    private Memory memory = Memory.EMPTY;

    public Scheduler(Topology topo, Policy policy) {
        this.topo = topo;
        this.policy = policy;
        this.profile = policy.profile();
        this.placer = new GangPlacer(topo);
    }

    public Policy policy() { return policy; }
    public GangPlacer placer() { return placer; }

    /** What the overloads without a memory argument carry to their next cycle. */
    public Memory memory() { return memory; }

    /**
     * Carries on from {@code memory}, what an earlier scheduler of the same policy remembered: a driver
     * that rebuilds its view (and so its scheduler) keeps the plugins' state between cycles.
     */
    public void resume(Memory memory) {
        this.memory = memory == null ? Memory.EMPTY : memory;
    }

    /** Why {@code job} can never run on this fleet, or null if some cluster could hold it. */
    public String admissionError(Job job) {
        return Admission.error(placer, topo, job.spec());
    }

    /**
     * Runs one cycle, carrying the profile's memory from the previous call of this scheduler.
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
        Result r = cycle(memory, now, waiting, running, st, quotas, est, shares);
        memory = r.memory();
        return r;
    }

    /**
     * One cycle as a function of its inputs: the same memory, clock, jobs and fleet give the same
     * decisions and the same next memory ({@link Result#memory()}), which the caller passes to the
     * next cycle ({@link Memory#EMPTY} for the first).
     */
    public Result cycle(Memory memory, double now, Iterable<Job> waiting, RunningSet running, FleetState st,
                        Quotas quotas, Estimator est, Map<String, Integer> shares) {
        CycleState s = new CycleState(topo, placer, profile, now, running, st, quotas, est, shares, memory);
        Iterable<Job> ordered = waiting;
        for (QueueSort q : profile.queueSorts()) ordered = q.sortWaiting(ordered, s);
        // arrays, not lists: this loop runs per waiting job, and must not allocate iterators
        PreFilter[] preFilters = profile.preFilters().toArray(PreFilter[]::new);
        Filter[] filters = profile.filters().toArray(Filter[]::new);
        Permit[] permits = profile.permits().toArray(Permit[]::new);
        PostFilter[] postFilters = profile.postFilters().toArray(PostFilter[]::new);
        Unschedulable[] unschedulables = profile.unschedulables().toArray(Unschedulable[]::new);
        Place place = profile.place();
        List<Job> candidates = s.candidates();
        int considered = 0;
        jobs:
        for (Job job : ordered) {
            considered++;
            for (int i = 0; i < preFilters.length; i++) {
                Status status = preFilters[i].preFilter(s, job);
                if (!status.ok()) {
                    waits(s, job, status);
                    continue jobs;
                }
            }
            Placement p = null;
            if (place != null && fits(s, job, filters)) {
                for (int i = 0; i < permits.length; i++) {
                    Status status = permits[i].beforePlace(s, job);
                    if (!status.ok()) {
                        waits(s, job, status);
                        continue jobs;
                    }
                }
                p = place.place(s, job);
                for (int i = 0; p != null && i < permits.length; i++) {
                    p = permits[i].permit(s, job, p);
                    if (p == null) {
                        waits(s, job, permits[i].denied());
                        continue jobs;
                    }
                }
            }
            if (p != null) {
                s.start(job, p);
                continue;
            }
            for (int i = 0; i < postFilters.length; i++) if (postFilters[i].makeRoom(s, job)) continue jobs;
            if (candidates != null) candidates.add(job);
            Status why = null;
            for (int i = 0; i < unschedulables.length; i++) {
                Status x = unschedulables[i].unschedulable(s, job);
                if (why == null) why = x;
            }
            Status w = why == null ? Status.NO_FREE_GPUS : why;
            job.setReason(w.message(), w.code().name());
        }
        for (PostCycle pc : profile.postCycles()) pc.postCycle(s);
        return new Result(s.decisions(), considered, s.nextMemory(), s.wakeAt());
    }

    private static boolean fits(CycleState s, Job job, Filter[] filters) {
        for (int i = 0; i < filters.length; i++) if (!filters[i].fits(s, job)) return false;
        return true;
    }

    private static void waits(CycleState s, Job job, Status status) {
        if (status.code() == Status.Code.REJECTED) {
            s.decisions().add(new Decision.Reject(job, status.message()));
            return;
        }
        job.setReason(status.message(), status.code().name());
        if (s.candidates() != null && status.code().rankCandidate()) s.candidates().add(job);
    }
}
