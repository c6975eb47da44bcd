package gpufleet.core.sched.framework;

import gpufleet.core.job.Job;

import java.util.List;

/**
 * Queue sort: the order in which a cycle considers jobs. A profile's sorts are applied one after
 * another (for example the policy's order, then the starvation bound).
 */
public interface QueueSort extends Plugin {
    /**
     * The waiting jobs in this plugin's order. May return {@code waiting} itself when it is already
     * in order (callers may keep their queue sorted), so that a static order costs nothing.
     */
    Iterable<Job> sortWaiting(Iterable<Job> waiting, CycleState s);

    /**
     * Running and waiting jobs together, for passes that rank one against the other. Returns the
     * sorted jobs: {@code jobs} itself (sorted in place) or a new list.
     */
    List<Job> sortAll(List<Job> jobs, CycleState s);
}
