package gpufleet.core.sched.framework;

import gpufleet.core.job.Job;
import gpufleet.core.sched.GangPlacer;
import gpufleet.core.sched.QueueOrder;
import gpufleet.core.sched.Quotas;
import gpufleet.core.sched.Decision;
import gpufleet.core.sched.RunningSet;
import gpufleet.core.sched.Scheduler;
import gpufleet.core.state.FleetState;
import gpufleet.core.state.Placement;
import gpufleet.core.topology.Topology;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Everything one cycle's plugins share: the inputs (clock, fleet, running jobs, quotas, estimates),
 * what the cycle has decided so far, and a scratch store for plugins. Made fresh for every cycle
 * and thrown away after it, except what plugins {@link #remember}.
 */
public final class CycleState {
    private final Topology topo;
    private final GangPlacer placer;
    private final Profile profile;
    private final double now;
    private final RunningSet running;
    private final FleetState fleet;
    private final Quotas quotas;
    private final Scheduler.Estimator est;
    private final Map<String, Integer> shares;
    private final QueueOrder.View view;
    private final Memory memory;
    private final List<Decision> decisions = new ArrayList<>();
    private final Map<String, Integer> teamUse = new HashMap<>();
    private final java.util.function.Function<String, Integer> heldByRunning;
    // still in the running set (the caller removes them after the cycle), but no longer victims
    private final Set<Job> preempted = Collections.newSetFromMap(new IdentityHashMap<>());
    private final List<Job> candidates;
    private final Map<Object, Object> scratch = new IdentityHashMap<>();
    private Map<String, Object> remembered = Map.of();
    private Job firstBlocked;
    private double wakeAt = Double.POSITIVE_INFINITY;

    public CycleState(Topology topo, GangPlacer placer, Profile profile, double now, RunningSet running,
                      FleetState fleet, Quotas quotas, Scheduler.Estimator est, Map<String, Integer> shares,
                      Memory memory) {
        this.topo = topo;
        this.placer = placer;
        this.profile = profile;
        this.now = now;
        this.running = running;
        this.fleet = fleet;
        this.quotas = quotas;
        this.est = est;
        this.shares = shares;
        this.memory = memory == null ? Memory.EMPTY : memory;
        this.view = new QueueOrder.View(now, est, shares, running::teamGpus);
        this.heldByRunning = running::teamGpus;
        this.candidates = profile.postCycles().isEmpty() ? null : new ArrayList<>();
    }

    public Topology topology() { return topo; }
    public GangPlacer placer() { return placer; }
    public Profile profile() { return profile; }
    public double now() { return now; }
    public RunningSet running() { return running; }
    public FleetState fleet() { return fleet; }
    public Quotas quotas() { return quotas; }
    public Scheduler.Estimator estimator() { return est; }
    public Map<String, Integer> shares() { return shares; }

    /** What orders may look at this cycle, with GPUs held by running jobs per team. */
    public QueueOrder.View view() { return view; }

    /** The same without held GPUs, for ordering running and waiting jobs together. */
    public QueueOrder.View rankView() { return new QueueOrder.View(now, est, shares); }

    /** The decisions so far, in order. */
    public List<Decision> decisions() { return decisions; }

    /** GPUs the team holds now, counting jobs started (and preempted-for) this cycle. */
    public int teamUse(String team) {
        return teamUse.computeIfAbsent(team, heldByRunning);
    }

    /** A copy of the per-team use looked at so far (teams not yet looked at are absent). */
    public Map<String, Integer> teamUseSoFar() {
        return new HashMap<>(teamUse);
    }

    /** Allocates the placement and records the start. */
    public void start(Job job, Placement p) {
        fleet.allocate(job.id(), p);
        decisions.add(new Decision.Start(job, p));
        teamUse.put(job.team(), teamUse(job.team()) + job.gpus());
    }

    /** Records a preemption; the caller has released or handed over the victim's GPUs. */
    public void preempt(Job victim, Job forJob) {
        decisions.add(new Decision.Preempt(victim, forJob));
        preempted.add(victim);
    }

    /** Whether the running job was already preempted this cycle (it is no candidate victim). */
    public boolean preempted(Job job) {
        return preempted.contains(job);
    }

    /** Waiting jobs a post-cycle pass may still start (null when the profile has none). */
    public List<Job> candidates() { return candidates; }

    /** The first job this cycle that could not start and blocks others, or null. */
    public Job firstBlocked() { return firstBlocked; }

    public boolean blocked() { return firstBlocked != null; }

    /** Makes {@code job} the first blocked job if there is none; true when it is (now) that job. */
    public boolean block(Job job) {
        if (firstBlocked == null) firstBlocked = job;
        return firstBlocked == job;
    }

    /** A plugin's scratch value for this cycle. */
    public Object scratch(Object key) { return scratch.get(key); }

    public void scratch(Object key, Object value) { scratch.put(key, value); }

    /** What the plugin remembered from the previous cycle, or null. */
    public Object recall(Plugin p) {
        Object v = remembered.get(p.name());
        return v != null ? v : memory.get(p.name());
    }

    /** Keeps an immutable value for the plugin's next cycle. */
    public void remember(Plugin p, Object value) {
        if (remembered.isEmpty()) remembered = new HashMap<>();
        remembered.put(p.name(), value);
    }

    /** Asks for another cycle at time {@code t} even if nothing else happens by then. */
    public void wakeAt(double t) {
        if (t > now && t < wakeAt) wakeAt = t;
    }

    public double wakeAt() { return wakeAt; }

    /** The memory for the next cycle. */
    public Memory nextMemory() {
        return memory.with(remembered);
    }
}
