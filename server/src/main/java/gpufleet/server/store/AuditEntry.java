package gpufleet.server.store;

/**
 * One state-changing request: who ({@code actor}, the name on the token, and the token's id), what
 * ({@code action}, method and route; {@code target}, the object), when, from where, and how it ended.
 *
 * @param seq    position in the log, assigned when it is written
 * @param status the HTTP status answered: 2xx carried out, 403 refused for lack of permission
 */
public record AuditEntry(long seq, double time, String tokenId, String actor, String role, String address,
                         String action, String target, int status) {}
