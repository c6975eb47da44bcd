package gpufleet.core.testkit;

import gpufleet.core.job.Job;
import gpufleet.core.state.FleetState;
import gpufleet.core.state.Placement;
import gpufleet.core.sched.Decision;
import gpufleet.core.sched.Policy;
import gpufleet.core.sched.Quotas;
import gpufleet.core.sched.RunningSet;
import gpufleet.core.sched.Scheduler;
import gpufleet.core.topology.FleetSpec;
import gpufleet.core.topology.Topology;

import java.util.ArrayList;
import java.util.List;

/**
 * A fleet, its state, the running set and a scheduler, with the caller's side of a cycle done the
 * way the controller does it: sort the queue, run the cycle, apply each decision to the jobs and the
 * running set. Estimated ends are start time plus the job's fixed duration unless set by hand.
 */
public final class Harness {
    public final Topology topo;
    public final FleetState state;
    public final RunningSet running;
    public final Scheduler scheduler;
    private Quotas quotas = Quotas.NONE;
    private Scheduler.Estimator estimator = durations();

    public Harness(FleetSpec fleet, Policy policy) {
        this.topo = new Topology(fleet);
        this.state = new FleetState(topo);
        this.running = new RunningSet(topo);
        this.scheduler = new Scheduler(topo, policy);
    }

    /** The job's duration, whatever the cluster (fixture jobs have fixed durations, so no GPU type is needed). */
    public static Scheduler.Estimator durations() {
        return (j, c) -> j.spec().work().seconds(null, j.gpus());
    }

    public Harness quotas(Quotas q) { quotas = q; return this; }
    public Harness estimator(Scheduler.Estimator e) { estimator = e; return this; }

    /** Starts {@code job} at {@code now} on {@code p}, expected to end at {@code end}. */
    public Job runOn(Job job, Placement p, double now, double end) {
        state.allocate(job.id(), p);
        job.start(now, p);
        job.setEstimatedEnd(end);
        running.add(job);
        return job;
    }

    /** Starts {@code job} at {@code now} where the placer puts it, expected to end after its duration. */
    public Job run(Job job, double now) {
        Placement p = scheduler.placer().place(job.spec(), state);
        if (p == null) throw new IllegalStateException(job + " does not fit");
        return runOn(job, p, now, now + job.spec().work().seconds(null, job.gpus()));
    }

    public void complete(Job job, double now) {
        running.remove(job);
        state.release(job.id(), job.placement());
        job.complete(now);
    }

    /** Sorts the waiting jobs in the policy's order, runs one cycle and applies its decisions. */
    public Scheduler.Result cycle(double now, List<Job> waiting) {
        var queue = new ArrayList<>(waiting);
        queue.sort(scheduler.policy().order().comparator());
        var result = scheduler.cycle(now, queue, running, state, quotas, estimator);
        apply(now, result.decisions());
        return result;
    }

    public Scheduler.Result cycle(double now, Job... waiting) {
        return cycle(now, List.of(waiting));
    }

    private void apply(double now, List<Decision> decisions) {
        for (Decision d : decisions) {
            switch (d) {
                case Decision.Preempt(Job v, Job by) -> {
                    running.remove(v);
                    v.preempt(now, by.id());
                }
                case Decision.Start(Job j, Placement p) -> {
                    j.start(now, p);
                    j.setEstimatedEnd(now + estimator.runtime(j, p.cluster(topo)));
                    running.add(j);
                }
                case Decision.Reject(Job j, String reason) -> j.fail(now, reason);
            }
        }
    }

    public static List<Job> started(Scheduler.Result r) {
        return r.decisions().stream().filter(d -> d instanceof Decision.Start).map(Decision::job).toList();
    }

    public static List<Job> preempted(Scheduler.Result r) {
        return r.decisions().stream().filter(d -> d instanceof Decision.Preempt).map(Decision::job).toList();
    }
}
