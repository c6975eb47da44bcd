package gpufleet.core.sched.plugin;

import gpufleet.core.job.Job;
import gpufleet.core.sched.framework.CycleState;
import gpufleet.core.sched.framework.PreFilter;
import gpufleet.core.sched.framework.Status;
import gpufleet.core.sched.framework.Unschedulable;

/**
 * Head-of-line blocking: the first job that cannot start blocks every job behind it in order for
 * the rest of the cycle.
 */
public record StrictOrder() implements PreFilter, Unschedulable {
    @Override public String name() { return "strict-order"; }

    @Override
    public Status preFilter(CycleState s, Job job) {
        return s.blocked() ? Status.BEHIND_BLOCKED_JOB : Status.OK;
    }

    @Override
    public Status unschedulable(CycleState s, Job job) {
        return s.block(job) ? Status.HOLDS_RESERVATION : Status.NO_FREE_GPUS;
    }
}
