package gpufleet.sim.script;

import gpufleet.core.job.CheckpointPolicy;
import gpufleet.core.job.Job;
import gpufleet.core.job.JobSpec;
import gpufleet.core.job.Parallelism;
import gpufleet.core.job.RestartBackoff;
import gpufleet.core.lifecycle.Lifecycle;
import gpufleet.core.lifecycle.LifecycleEvent;
import gpufleet.core.lifecycle.RestartRule;
import gpufleet.core.lifecycle.TimeLimitRuns;
import gpufleet.core.sched.Policy;
import gpufleet.core.sched.Quotas;
import gpufleet.core.state.FleetState;
import gpufleet.core.state.HostStatus;
import gpufleet.core.topology.Topology;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToIntFunction;

/**
 * The twin driven by a script instead of arrival streams and a failure injector: each step is applied
 * to the {@link Lifecycle} at its time on the virtual clock, then one scheduling cycle runs, as the
 * controller runs one after a change. Runs are what the controller runs: work unknown until the
 * script completes them, time limits as the only estimates, checkpoints only where reported. So a
 * script gives the same decisions here as through the controller; the conformance test holds both
 * to that.
 */
public final class ScriptedTwin {

    /** What one job went through, as the comparison reads it. */
    public static final class Record {
        public final Job job;
        public double lostWork;
        public final List<String> events = new ArrayList<>();

        Record(Job job) { this.job = job; }
    }

    private final Lifecycle lifecycle;
    private final TimeLimitRuns limits = new TimeLimitRuns();
    private final ToIntFunction<String> hostIndex;
    private final Map<Integer, Record> records = new LinkedHashMap<>();
    private final Map<Integer, Job> all = new HashMap<>();
    private int nextId = 1;

    /**
     * @param state     the fleet, laid out as the controller lays out the same hosts
     * @param hostIndex a host's index in {@code state}'s topology by name
     */
    public ScriptedTwin(FleetState state, ToIntFunction<String> hostIndex, Policy policy, RestartBackoff backoff,
                        Map<String, Integer> quotas) {
        this.lifecycle = new Lifecycle(state, policy, TimeLimitRuns.options(new RestartRule(backoff)), limits);
        this.lifecycle.setQuotas(new Quotas(quotas));
        this.hostIndex = hostIndex;
    }

    public Lifecycle lifecycle() { return lifecycle; }

    public Topology topology() { return lifecycle.topology(); }

    /** Every job submitted so far, by id, in submission order. */
    public Map<Integer, Record> records() { return records; }

    /** Applies one step at its time, then runs a cycle (time limits first, as the controller's cycle does). */
    public void apply(Step step) {
        double t = step.time();
        switch (step) {
            case Step.Submit s -> {
                int id = nextId++;
                JobSpec spec = new JobSpec(s.name(), s.team(), Parallelism.of(s.gpus(), s.tp(), 1, 1), TimeLimitRuns.UNKNOWN_WORK,
                        CheckpointPolicy.NONE, 0, s.priority(), t, null, s.maxRestarts());
                limits.set(id, s.timeLimit());
                Job job = lifecycle.submit(id, spec, t).job();
                records.put(id, new Record(job));
                all.put(id, job);
            }
            case Step.Complete c -> note(lifecycle.complete(c.job(), t));
            case Step.RankFails f -> note(lifecycle.interrupt(f.job(), t, "rank 0 exited with code 1",
                    RestartRule.Fault.JOB, false));
            case Step.Cancel c -> note(lifecycle.cancel(c.job(), t));
            case Step.HostLost l -> {
                for (var ev : lifecycle.hostDown(hostIndex.applyAsInt(l.host()), t, "host " + l.host() + " lost",
                        RestartRule.Fault.HARDWARE, false)) note(ev);
            }
            case Step.GpuFails g -> {
                int h = hostIndex.applyAsInt(g.host());
                int owner = lifecycle.fleet().ownerOf(h, g.gpu());
                if (owner >= 0) note(lifecycle.interrupt(owner, t, g.host() + " GPU " + g.gpu() + " failed",
                        RestartRule.Fault.HARDWARE, false));
                // the controller takes the whole host out of new work until an operator resumes it
                if (lifecycle.fleet().status(h) != HostStatus.DOWN) lifecycle.setHostStatus(h, HostStatus.DRAINING);
            }
            case Step.Drain d -> {
                int h = hostIndex.applyAsInt(d.host());
                if (lifecycle.fleet().status(h) == HostStatus.UP) lifecycle.setHostStatus(h, HostStatus.DRAINING);
            }
            case Step.Resume r -> lifecycle.setHostStatus(hostIndex.applyAsInt(r.host()), HostStatus.UP);
        }
        cycle(t);
    }

    private void cycle(double t) {
        for (int job : limits.overdue(lifecycle.running().all(), t)) {
            Long limit = limits.limit(job);
            note(lifecycle.fail(job, t, "exceeded its time limit of " + limit + " s"));
        }
        for (LifecycleEvent ev : lifecycle.cycle(t)) note(ev);
    }

    private void note(LifecycleEvent ev) {
        if (ev == null) return;
        Record r = records.get(ev.job().id());
        String kind = switch (ev) {
            case LifecycleEvent.Submitted s -> "SUBMITTED";
            case LifecycleEvent.Started s -> "STARTED";
            case LifecycleEvent.Preempted p -> { r.lostWork += p.end().lost(); yield "PREEMPTED"; }
            case LifecycleEvent.Interrupted i -> { r.lostWork += i.end().lost(); yield i.requeued() ? "RESTART" : "FAILED"; }
            case LifecycleEvent.Completed c -> "COMPLETED";
            case LifecycleEvent.Failed f -> "TIMEOUT";
            case LifecycleEvent.Rejected x -> "REJECTED";
            case LifecycleEvent.Cancelled c -> "CANCELLED";
        };
        r.events.add(kind);
    }
}
