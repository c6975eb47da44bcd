package gpufleet.server.auth;

import io.javalin.security.RouteRole;

/**
 * Who may call a route, declared where the route is registered
 * ({@code r.get(path, handler, Access.READ)}). This is the coarse check, made before the handler
 * runs; the handler then makes the checks that need the object: whether the job is the member's
 * team's, whether the host is the credential's.
 *
 * <p>A route registered without an Access is open to admins only, so a route added later without
 * thinking about it is closed rather than open.
 */
public enum Access implements RouteRole {
    /** Anyone, without a token: liveness only. */
    PUBLIC,
    /** Any person: admin, member or viewer. */
    READ,
    /** An admin, or a member (for its own team, which the handler checks). */
    TEAM,
    /** Admins only. */
    ADMIN,
    /** Any valid token, whatever its role (who am I). */
    ANY,
    /** A join token, or a host's own credential re-registering that host. */
    JOIN,
    /** A host's credential (for that host, which the handler checks). */
    AGENT;

    /** Whether a token of {@code role} passes this coarse check. */
    public boolean admits(Role role) {
        return switch (this) {
            case PUBLIC, ANY -> true;
            case READ -> role.person();
            case TEAM -> role == Role.ADMIN || role == Role.MEMBER;
            case ADMIN -> role == Role.ADMIN;
            case JOIN -> role == Role.JOIN || role == Role.AGENT;
            case AGENT -> role == Role.AGENT;
        };
    }
}
