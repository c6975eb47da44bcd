package gpufleet.server.auth;

/**
 * Who a request comes from: the token it presented, as stored.
 *
 * @param tokenId  the token's id (never the token itself)
 * @param name     the name the token was given: a person, {@code host:<name>}, or what a join token is for
 * @param team     a MEMBER's team, else null
 * @param host     the host an AGENT credential speaks for, else null
 * @param anyone   true only when authentication is off (--no-auth): every check passes
 */
public record Principal(String tokenId, String name, Role role, String team, String host, boolean anyone) {

    /** Whoever calls a controller started with --no-auth. */
    public static final Principal NO_AUTH = new Principal("-", "anyone (--no-auth)", Role.ADMIN, null, null, true);

    public Principal(String tokenId, String name, Role role, String team, String host) {
        this(tokenId, name, role, team, host, false);
    }

    /** Whether this principal may act on a job of {@code team}: an admin, or a member of that team. */
    public boolean mayActFor(String team) {
        return anyone || role == Role.ADMIN || role == Role.MEMBER && this.team != null && this.team.equals(team);
    }

    /** Whether this principal speaks for host {@code hostName}. */
    public boolean speaksFor(String hostName) {
        return anyone || role == Role.AGENT && host != null && host.equals(hostName);
    }
}
