package gpufleet.core.lifecycle;

import gpufleet.core.job.Job;
import gpufleet.core.state.Placement;

/**
 * What happened to a job, as the {@link Lifecycle} tells its driver. The twin turns these into its
 * statistics; the controller writes them to its store (before applying them, see
 * {@link Lifecycle#apply}). Times are seconds on the driver's clock.
 */
public sealed interface LifecycleEvent {
    Job job();

    double time();

    /** A job entered the queue. */
    record Submitted(Job job, double time) implements LifecycleEvent {}

    /**
     * A job got GPUs: its first run ({@code first}) or a resume after a preemption or interruption.
     *
     * @param startup seconds the run spends restarting before it trains
     */
    record Started(Job job, double time, Placement placement, boolean first, double startup)
            implements LifecycleEvent {}

    /** The scheduler stopped a running job so that {@code forJob} can start; it waits again. */
    record Preempted(Job job, double time, Job forJob, Placement placement, Run.End end) implements LifecycleEvent {}

    /**
     * A failure stopped a running job's run. With {@code outcome.restart()} it waits to run again
     * (requeued, maybe not before {@code outcome.retryAt()}); otherwise it FAILED.
     */
    record Interrupted(Job job, double time, String cause, RestartRule.Fault fault, boolean planned,
                       Placement placement, Run.End end, RestartRule.Outcome outcome) implements LifecycleEvent {
        public boolean requeued() { return outcome.restart(); }
    }

    /** A run ended because the job's work is done. */
    record Completed(Job job, double time, Placement placement, Run.End end) implements LifecycleEvent {}

    /** A running job was ended for good by its driver (a time limit), not by a failure. */
    record Failed(Job job, double time, String reason, Placement placement, Run.End end) implements LifecycleEvent {}

    /** The scheduler found the job can never run on this fleet. */
    record Rejected(Job job, double time, String reason) implements LifecycleEvent {}

    /** The job was cancelled; {@code placement} is what it held (null when it was waiting). */
    record Cancelled(Job job, double time, Placement placement, Run.End end) implements LifecycleEvent {}
}
