package gpufleet.protocol;

/**
 * One entry of {@code GET /audit}: a state-changing request carried out, or one refused for lack of permission.
 *
 * @param seq    position in the log
 * @param actor  the name on the token that made it
 * @param role   the token's role (ADMIN, MEMBER, ...)
 * @param action method and route
 * @param target the object it acted on
 * @param status the HTTP status answered: 2xx carried out, 403 refused
 */
public record AuditView(long seq, double time, String tokenId, String actor, String role, String address,
                        String action, String target, int status) {}
