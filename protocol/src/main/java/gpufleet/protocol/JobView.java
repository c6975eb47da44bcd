package gpufleet.protocol;

import java.util.List;

/**
 * A job as every job answer shows it ({@code GET /jobs}, {@code GET /jobs/{id}}, {@code POST /jobs},
 * cancel): the controller writes it from this record, in this order, and the command line reads it into
 * this record. Times are seconds since the epoch; a boxed component is null when there is nothing to say.
 *
 * @param state          a {@code JobState} name: PENDING, RUNNING, RESTARTING, COMPLETED, FAILED, CANCELLED
 * @param reason         why it waits or why it ended, in words; empty when there is nothing to say
 * @param reasonCode     the scheduler's code for why a waiting job waits; null when it does not wait or
 *                       no cycle has said yet
 * @param placement      the GPUs it holds while RUNNING, empty otherwise
 * @param generation     bumped every time the job's assignment changes
 * @param startTime      when the current (or last) run began
 * @param firstStartTime when it first ran
 * @param runSeconds     time it held GPUs in runs that have ended
 * @param lostSeconds    work thrown away at interruptions plus time spent waiting to run again; the
 *                       single-job answer counts an interruption still being waited out
 * @param lastCheckpoint newest checkpoint the agents reported
 * @param interruptedAt  when it was last interrupted, while it waits to run again
 * @param retryAt        while it backs off after an interruption, the earliest time it may run again
 * @param quickFailures  failures of its own processes in a row, each soon after its run began
 * @param timeLimitSeconds how long one run may last; null for no limit
 * @param attainedGpuSeconds GPU-seconds held in runs that ended
 * @param lostWorkSeconds training thrown away at interruptions, without the waits
 * @param estimatedEnd   while RUNNING, when its run is expected to end; null when unknown
 */
public record JobView(long id, String name, String team, int gpus, int tp, int pp, int cp, int priority,
                      String state, double submitTime, List<String> command, int maxRestarts,
                      String checkpointDir, int restarts, String reason, String reasonCode,
                      List<PlacementView> placement, long generation, Double startTime, Double endTime,
                      Double firstStartTime, double runSeconds, double lostSeconds, Double lastCheckpoint,
                      Double interruptedAt, Double retryAt, int quickFailures, Long timeLimitSeconds,
                      double attainedGpuSeconds, double lostWorkSeconds, Double estimatedEnd) {
    public JobView {
        command = command == null ? List.of() : List.copyOf(command);
        placement = placement == null ? List.of() : List.copyOf(placement);
    }
}
