package gpufleet.server.store;

import gpufleet.core.job.JobState;

/** A change asked for a transition {@link JobState#canMoveTo} does not allow; nothing was written. */
public final class IllegalTransitionException extends StoreException {
    private final long jobId;
    private final JobState from, to;

    public IllegalTransitionException(long jobId, JobState from, JobState to) {
        super("job " + jobId + ": cannot go from " + from + " to " + to, null);
        this.jobId = jobId;
        this.from = from;
        this.to = to;
    }

    public long jobId() { return jobId; }
    public JobState from() { return from; }
    public JobState to() { return to; }
}
