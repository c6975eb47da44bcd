package gpufleet.server.store;

import java.util.List;

/** A validated submission, before it has an id. */
public record NewJob(String name, String team, int gpus, int tp, int pp, int cp, int priority, List<String> command,
                     int maxRestarts, String checkpointDir) {
    public NewJob {
        command = List.copyOf(command);
    }
}
