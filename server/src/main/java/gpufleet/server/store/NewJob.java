package gpufleet.server.store;

import java.util.List;

/**
 * A validated submission, before it has an id.
 *
 * @param timeLimitSeconds how long one run may last before the controller ends it, which the scheduler
 *                         also takes as the job's run-time estimate; null for no limit
 */
public record NewJob(String name, String team, int gpus, int tp, int pp, int cp, int priority, List<String> command,
                     int maxRestarts, String checkpointDir, Long timeLimitSeconds) {
    public NewJob {
        command = List.copyOf(command);
    }

    /** A job with no time limit. */
    public NewJob(String name, String team, int gpus, int tp, int pp, int cp, int priority, List<String> command,
                  int maxRestarts, String checkpointDir) {
        this(name, team, gpus, tp, pp, cp, priority, command, maxRestarts, checkpointDir, null);
    }

    public NewJob withTimeLimit(Long seconds) {
        return new NewJob(name, team, gpus, tp, pp, cp, priority, command, maxRestarts, checkpointDir, seconds);
    }
}
