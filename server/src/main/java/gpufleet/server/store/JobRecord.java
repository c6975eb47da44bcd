package gpufleet.server.store;

import gpufleet.core.job.JobState;

import java.util.List;

/**
 * A job as stored. Times are seconds since the epoch.
 *
 * @param placement  the GPUs it holds while RUNNING, empty otherwise
 * @param generation bumped every time the job's assignment changes (start, preemption, cancel):
 *                   an agent acting on an older generation is acting on a stale assignment
 */
public record JobRecord(long id, String name, String team, int gpus, int tp, int pp, int cp, int priority,
                        JobState state, double submitTime, List<String> command, int maxRestarts,
                        String checkpointDir, int restarts, String reason, List<HostGpus> placement,
                        long generation, Double startTime, Double endTime) {
    public JobRecord {
        command = List.copyOf(command);
        placement = placement == null ? List.of() : List.copyOf(placement);
    }
}
