package gpufleet.core.sched.framework;

import gpufleet.core.job.Job;

/**
 * What a job that cannot start does to the jobs behind it (head-of-line blocking, a backfill
 * reservation). Every such plugin is called; the first one's status is the job's. Without any,
 * jobs wait with {@link Status#NO_FREE_GPUS} and nothing blocks.
 */
public interface Unschedulable extends Plugin {
    Status unschedulable(CycleState s, Job job);
}
