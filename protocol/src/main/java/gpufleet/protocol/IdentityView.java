package gpufleet.protocol;

/**
 * {@code GET /whoami}: the token the request presented.
 *
 * @param role           ADMIN, MEMBER, VIEWER, JOIN or AGENT
 * @param team           a member's team, else null
 * @param host           the host an agent's credential speaks for, else null
 * @param authentication false when the controller runs without it ({@code --no-auth})
 */
public record IdentityView(String tokenId, String name, String role, String team, String host, boolean authentication) {}
