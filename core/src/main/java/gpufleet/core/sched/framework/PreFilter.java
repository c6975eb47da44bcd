package gpufleet.core.sched.framework;

import gpufleet.core.job.Job;

/**
 * Pre-filter: checks on a job before any placement is tried (strict-order gate, admission, quota).
 * The first status that is not {@link Status#OK} ends the job's turn; {@link Status.Code#REJECTED}
 * fails the job.
 */
public interface PreFilter extends Plugin {
    Status preFilter(CycleState s, Job job);
}
