package gpufleet.server.store;

import gpufleet.core.job.JobState;

import java.util.List;

/**
 * One transition of a job, written with an event. A change of state clears or sets the placement and
 * bumps the job's generation; a change of reason alone (a waiting job's explanation) does neither and
 * records no event.
 *
 * @param state     the new state, or null to keep the state and only update the reason
 * @param placement the GPUs it holds from now on (empty unless RUNNING)
 * @param time      how the run that ends here counts (zero for transitions that end no run)
 * @param estimatedEnd with RUNNING: when the run that starts is expected to end; null when unknown
 */
public record JobChange(long jobId, JobState state, List<HostGpus> placement, String reason, String eventKind,
                        String eventDetail, Accounting time, Double estimatedEnd) {

    /**
     * What a transition adds to the job's time accounting.
     *
     * @param restarts    1 when the job is requeued after a failure
     * @param runSeconds  length of the run that ends
     * @param lostSeconds work since the last checkpoint that the ending run throws away
     * @param checkpoint  newest checkpoint seen, or null
     * @param interrupted true when the job now waits to run again (the wait will count as lost)
     * @param retryAt     with {@code interrupted}: the earliest time it may run again, or null for at once
     * @param quickFailures the job's quick failures in a row from now on, or null to keep the count
     */
    public record Accounting(int restarts, double runSeconds, double lostSeconds, Double checkpoint,
                             boolean interrupted, Double retryAt, Integer quickFailures) {
        public static final Accounting NONE = new Accounting(0, 0, 0, null, false);

        public Accounting(int restarts, double runSeconds, double lostSeconds, Double checkpoint, boolean interrupted) {
            this(restarts, runSeconds, lostSeconds, checkpoint, interrupted, null, null);
        }

        /** The same, waiting until {@code retryAt} with {@code quickFailures} in a row. */
        public Accounting backingOff(Double retryAt, Integer quickFailures) {
            return new Accounting(restarts, runSeconds, lostSeconds, checkpoint, interrupted, retryAt, quickFailures);
        }
    }

    public JobChange {
        placement = placement == null ? List.of() : List.copyOf(placement);
        if (time == null) time = Accounting.NONE;
    }

    public JobChange(long jobId, JobState state, List<HostGpus> placement, String reason, String eventKind,
                     String eventDetail, Accounting time) {
        this(jobId, state, placement, reason, eventKind, eventDetail, time, null);
    }

    public JobChange(long jobId, JobState state, List<HostGpus> placement, String reason, String eventKind,
                     String eventDetail) {
        this(jobId, state, placement, reason, eventKind, eventDetail, Accounting.NONE);
    }

    public static JobChange reason(long jobId, String reason) {
        return new JobChange(jobId, null, List.of(), reason, null, null);
    }
}
