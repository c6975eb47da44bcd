package gpufleet.protocol;

/**
 * A token as listed, made or revoked: never its secret, which only {@link TokenSecretView} carries, once.
 *
 * @param role      ADMIN, MEMBER, VIEWER, JOIN or AGENT
 * @param team      a member's team, else null
 * @param host      the host an agent's credential speaks for, else null
 * @param createdBy the name of the token that made it
 * @param expiresAt seconds since the epoch; null for never
 * @param revokedAt seconds since the epoch; null while it is not revoked
 * @param state     active, expired or revoked
 */
public record TokenView(String id, String name, String role, String team, String host, double createdAt,
                        String createdBy, Double expiresAt, Double revokedAt, String state) {}
