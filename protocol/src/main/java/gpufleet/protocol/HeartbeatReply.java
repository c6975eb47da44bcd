package gpufleet.protocol;

import java.util.List;

/**
 * The controller's answer to a heartbeat or an assignments poll: what this host must be running now.
 * The agent starts what is listed and not running, and stops what runs and is not listed.
 *
 * @param status  the host's status (UP, DRAINING, DOWN)
 * @param version bumped whenever this host's assignments change; a long poll waits for a newer one
 */
public record HeartbeatReply(long hostId, long generation, String status, long version,
                             List<Assignment> assignments) {
    public HeartbeatReply {
        assignments = List.copyOf(assignments);
    }
}
