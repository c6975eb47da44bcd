package gpufleet.protocol;

import java.util.List;

/**
 * One job's share of a host: the processes the agent must run for it.
 *
 * @param generation    fences the assignment: reports must carry it, and a new generation (restart,
 *                      preemption, cancel) means the old processes must go
 * @param restart       how many times the job has been restarted (GPUFLEET_RESTART_COUNT)
 * @param checkpointDir where the job keeps its checkpoints, or null for a per-host default
 * @param masterAddr    address of the host running rank 0 (MASTER_ADDR)
 * @param groupRank     this host's index among the job's hosts (GROUP_RANK)
 * @param ranks         this host's ranks, in local-rank order
 * @param checkpointInterval seconds of training between checkpoints that the controller advises, from
 *                      the failure rate the job's hosts show (Young/Daly); it may change while the run
 *                      goes on (GPUFLEET_CHECKPOINT_INTERVAL, and the file GPUFLEET_CHECKPOINT_INTERVAL_FILE
 *                      names); null when the controller gives none
 */
public record Assignment(long job, long generation, int restart, String name, List<String> command,
                         String checkpointDir, String masterAddr, int masterPort, int worldSize,
                         int groupRank, List<RankSlot> ranks, Double checkpointInterval) {
    public Assignment {
        command = List.copyOf(command);
        ranks = List.copyOf(ranks);
    }

    /** An assignment with no advised checkpoint interval. */
    public Assignment(long job, long generation, int restart, String name, List<String> command,
                      String checkpointDir, String masterAddr, int masterPort, int worldSize,
                      int groupRank, List<RankSlot> ranks) {
        this(job, generation, restart, name, command, checkpointDir, masterAddr, masterPort, worldSize, groupRank,
                ranks, null);
    }
}
