package gpufleet.protocol;

import java.util.List;

/**
 * What an agent knows of one assignment it holds.
 *
 * @param generation     the job's generation in the assignment the agent acts on; a report for an older
 *                       generation is stale and ignored
 * @param exits          ranks on this host that have ended, with their exit codes; ranks still running are absent
 * @param checkpointTime when the newest checkpoint that a rank of this run on this host reported complete
 *                       was reported (epoch seconds): the job appends {@code checkpoint STEP} to its
 *                       {@code $GPUFLEET_PROGRESS_FILE}, and this is that file's modification time at the
 *                       agent's read that found the line (within a heartbeat of its writing); null while no rank of
 *                       this run has reported one. Files in the checkpoint directory do not count: a file
 *                       there says nothing of whether the checkpoint is complete
 * @param checkpointCost the seconds of training the newest checkpoint stalled, as a rank reported it
 *                       ({@code checkpoint STEP SECONDS}); null while none was. The controller advises the
 *                       job's checkpoint interval from it
 * @param progressTime   when a rank of this run on this host last appended any line to its progress file
 *                       (epoch seconds, the file's modification time at the agent's read that found it); null
 *                       while none has. A run that reported progress and then goes quiet for the
 *                       controller's {@code --hang-timeout} is taken as hung and restarted
 */
public record TaskReport(long job, long generation, List<RankExit> exits, Double checkpointTime, Double checkpointCost,
                         Double progressTime) {
    public TaskReport {
        Fields.atLeast("job", job, 1);
        Fields.atLeast("generation", generation, 0);
        exits = Fields.list("exits", exits, 64);
        if (checkpointTime != null) Fields.range("checkpointTime", checkpointTime, 0, 1e11);
        if (checkpointCost != null) Fields.range("checkpointCost", checkpointCost, 0, 86_400);
        if (progressTime != null) Fields.range("progressTime", progressTime, 0, 1e11);
    }

    /** A report that says nothing of progress. */
    public TaskReport(long job, long generation, List<RankExit> exits, Double checkpointTime, Double checkpointCost) {
        this(job, generation, exits, checkpointTime, checkpointCost, null);
    }

    /** A report that says nothing of what checkpoints cost. */
    public TaskReport(long job, long generation, List<RankExit> exits, Double checkpointTime) {
        this(job, generation, exits, checkpointTime, null, null);
    }
}
