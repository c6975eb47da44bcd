package gpufleet.server.auth;

import java.util.Locale;

/** What a token is for. Each token has exactly one role; a MEMBER token also names its team. */
public enum Role {
    /** Runs the fleet: hosts, draining, teams and quotas, tokens, the audit log; everything a member may do, for every team. */
    ADMIN,
    /** Submits, cancels and reads the logs of its own team's jobs; sees the queue, hosts and teams. */
    MEMBER,
    /** Sees the queue, jobs, hosts and teams; changes nothing and reads no job's output. */
    VIEWER,
    /** Registers new agents: exchanged at registration for a host's own credential. */
    JOIN,
    /** One host's credential: heartbeats, assignments and log shipping for that host only. */
    AGENT;

    /** A role a person (or a script acting for one) holds, as opposed to a machine's. */
    public boolean person() {
        return this == ADMIN || this == MEMBER || this == VIEWER;
    }

    /** The role named {@code s}, in any case; an unknown name is an IllegalArgumentException. */
    public static Role parse(String s) {
        return Role.valueOf(s.strip().toUpperCase(Locale.ROOT));
    }
}
