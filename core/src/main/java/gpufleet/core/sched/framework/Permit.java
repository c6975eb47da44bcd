package gpufleet.core.sched.framework;

import gpufleet.core.job.Job;
import gpufleet.core.state.Placement;

/**
 * Permit: may hold back a job that could start (the backfill reservation), once before placement
 * (counting GPUs) and once with the placement found, which it may replace by another.
 */
public interface Permit extends Plugin {
    /** Before placement; a status other than OK makes the job wait. */
    Status beforePlace(CycleState s, Job job);

    /**
     * With a placement: the placement to use ({@code p} itself or another), or null to make the job
     * wait with {@link #denied()}. (A placement, not a result object: this runs for every start.)
     */
    Placement permit(CycleState s, Job job, Placement p);

    /** The status of a job this plugin's {@link #permit} refused. */
    Status denied();
}
