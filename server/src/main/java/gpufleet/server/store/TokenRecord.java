package gpufleet.server.store;

/**
 * An API token as stored: everything but the token itself, of which only the SHA-256 is kept.
 *
 * @param name      who or what holds it: a person, or {@code host:<name>} for an agent's credential
 * @param role      ADMIN, MEMBER, VIEWER, JOIN or AGENT
 * @param team      the team of a MEMBER token, else null
 * @param host      the host an AGENT credential speaks for, else null
 * @param hash      hex SHA-256 of the whole token
 * @param createdBy the name of the token that made it, or {@code controller} for the first admin token
 * @param expiresAt epoch seconds after which it is refused; null for never
 * @param revokedAt epoch seconds it was revoked; null while it is not
 */
public record TokenRecord(String id, String name, String role, String team, String host, String hash,
                          double createdAt, String createdBy, Double expiresAt, Double revokedAt) {

    public boolean activeAt(double now) {
        return revokedAt == null && (expiresAt == null || now < expiresAt);
    }
}
