package gpufleet.protocol;

import java.util.List;

/**
 * The controller's answer to a heartbeat or an assignments poll: what this host must be running now.
 * The agent starts what is listed and not running, and stops what runs and is not listed.
 *
 * @param status  the host's status (UP, DRAINING, DOWN)
 * @param version bumped whenever this host's assignments change; a long poll waits for a newer one.
 *                Versions are ordered only within one {@code epoch}: each controller counts its own
 * @param epoch   the leader epoch of the controller that answered (0 with one controller). An agent
 *                ignores an answer from an epoch older than one it has applied (a leader that was paused
 *                and does not know yet that it was replaced) and takes any version from a newer one
 */
public record HeartbeatReply(long hostId, long generation, String status, long version,
                             List<Assignment> assignments, long epoch) {
    public HeartbeatReply {
        assignments = List.copyOf(assignments);
    }

    /** Whether this answer comes after {@code (epoch, version)}, an answer already applied, or is that one. */
    public boolean notOlderThan(long appliedEpoch, long appliedVersion) {
        return epoch != appliedEpoch ? epoch > appliedEpoch : version >= appliedVersion;
    }
}
