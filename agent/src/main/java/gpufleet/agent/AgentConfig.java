package gpufleet.agent;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;

/**
 * How an agent runs.
 *
 * @param address   where this host's ranks can be reached (MASTER_ADDR); null lets the controller use
 *                  the address the agent's requests come from
 * @param heartbeat how often it heartbeats when nothing happens
 * @param killGrace how long a rank gets between SIGTERM and SIGKILL
 */
public record AgentConfig(URI server, String name, String rack, String zone, String address, Path workDir,
                          Duration heartbeat, Duration killGrace) {
    public static final Duration DEFAULT_HEARTBEAT = Duration.ofSeconds(5);
    public static final Duration DEFAULT_KILL_GRACE = Duration.ofSeconds(10);
}
