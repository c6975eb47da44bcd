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
 */
public record JobChange(long jobId, JobState state, List<HostGpus> placement, String reason, String eventKind,
                        String eventDetail) {
    public static JobChange reason(long jobId, String reason) {
        return new JobChange(jobId, null, List.of(), reason, null, null);
    }
}
