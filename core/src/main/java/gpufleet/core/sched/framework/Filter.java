package gpufleet.core.sched.framework;

import gpufleet.core.job.Job;

/** Filter: a cheap test of whether a job could be placed now at all; false skips placement. */
public interface Filter extends Plugin {
    boolean fits(CycleState s, Job job);
}
