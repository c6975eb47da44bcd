package gpufleet.core.sched;

import gpufleet.core.job.Job;
import gpufleet.core.state.Placement;

/** What one scheduling cycle tells its caller to do. The fleet state already reflects it. */
public sealed interface Decision {
    Job job();

    /** Start (or restart) the job on these GPUs. */
    record Start(Job job, Placement placement) implements Decision {}

    /** Stop the job, returning it to the queue, so that {@code forJob} can start. */
    record Preempt(Job job, Job forJob) implements Decision {}

    /** The job can never run on this fleet; fail it with the reason. */
    record Reject(Job job, String reason) implements Decision {}
}
