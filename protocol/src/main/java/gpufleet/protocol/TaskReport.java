package gpufleet.protocol;

import java.util.List;

/**
 * What an agent knows of one assignment it holds.
 *
 * @param generation     the job's generation in the assignment the agent acts on; a report for an older
 *                       generation is stale and ignored
 * @param exits          ranks on this host that have ended, with their exit codes; ranks still running are absent
 * @param checkpointTime newest modification time (epoch seconds) seen under the job's checkpoint directory,
 *                       or null if none was seen
 */
public record TaskReport(long job, long generation, List<RankExit> exits, Double checkpointTime) {
    public TaskReport {
        exits = exits == null ? List.of() : List.copyOf(exits);
    }
}
