package gpufleet.core.sched.framework;

import gpufleet.core.job.Job;
import gpufleet.core.state.Placement;

/** Placement: finds GPUs for a job's whole gang, or null. Only the first such plugin is used. */
public interface Place extends Plugin {
    Placement place(CycleState s, Job job);

    /** The same, but only in cluster {@code cluster}. */
    Placement placeIn(CycleState s, Job job, int cluster);
}
