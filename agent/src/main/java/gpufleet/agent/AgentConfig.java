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
 * @param joinToken exchanged at the first registration for this host's own credential, which is kept in
 *                  {@code <workDir>/credential}; null when the host has joined already or the controller
 *                  needs no tokens
 * @param caCert    the certificate authority (PEM) that signed the controller's certificate, for an
 *                  https controller whose certificate the JDK's own CAs do not vouch for; null otherwise
 * @param runAs     the user the ranks run as; null: the agent's own user
 * @param moreServers controllers besides {@code server} that share its database (standbys); empty for one
 */
public record AgentConfig(URI server, String name, String rack, String zone, String address, Path workDir,
                          Duration heartbeat, Duration killGrace, String joinToken, Path caCert, RunAs runAs,
                          java.util.List<URI> moreServers) {
    /** With one controller. */
    public AgentConfig(URI server, String name, String rack, String zone, String address, Path workDir,
                       Duration heartbeat, Duration killGrace, String joinToken, Path caCert, RunAs runAs) {
        this(server, name, rack, zone, address, workDir, heartbeat, killGrace, joinToken, caCert, runAs, java.util.List.of());
    }

    /** Every controller named: {@link #server()} first, then the others sharing its database. */
    public java.util.List<URI> servers() {
        var all = new java.util.ArrayList<URI>();
        all.add(server);
        all.addAll(moreServers);
        return all;
    }

    public static final Duration DEFAULT_HEARTBEAT = Duration.ofSeconds(5);
    public static final Duration DEFAULT_KILL_GRACE = Duration.ofSeconds(10);
    /** The file in the work directory that holds this host's credential. */
    public static final String CREDENTIAL_FILE = "credential";

    public AgentConfig(URI server, String name, String rack, String zone, String address, Path workDir,
                       Duration heartbeat, Duration killGrace) {
        this(server, name, rack, zone, address, workDir, heartbeat, killGrace, null, null, null);
    }

    public Path credentialFile() {
        return workDir.resolve(CREDENTIAL_FILE);
    }
}
