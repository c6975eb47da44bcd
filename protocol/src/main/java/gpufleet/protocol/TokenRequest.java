package gpufleet.protocol;

import java.util.Locale;
import java.util.Set;

/**
 * {@code POST /api/v1/tokens}: a token for a person, a CI job or joining agents. Host credentials are
 * not asked for: they come only from a host joining, bound to that host.
 *
 * @param role       admin, member, viewer or join (any case; lower case after construction)
 * @param team       a member's team: required for a member, refused for the others
 * @param ttlSeconds expires this long after it is made, at most ten years; null for never
 */
public record TokenRequest(String name, String role, String team, Long ttlSeconds) {
    public static final Set<String> ROLES = Set.of("admin", "member", "viewer", "join");
    /** Ten years: longer than any token should live, short enough that the arithmetic stays exact. */
    public static final long MAX_TTL_SECONDS = 10L * 366 * 86_400;

    public TokenRequest {
        name = Fields.text("name", Fields.required("name", name), 128);
        Fields.text("role", Fields.required("role", role), 16);
        String given = role;
        role = role.strip().toLowerCase(Locale.ROOT);
        if (!ROLES.contains(role))
            throw InvalidField.said("role", "'role' must be admin, member, viewer or join, got '" + given + "'");
        team = Fields.text("team", team, 128);
        if (role.equals("member") && team == null) throw new InvalidField("team", "is required");
        if (!role.equals("member") && team != null) throw InvalidField.said("team", "only a member token has a team");
        if (ttlSeconds != null) {
            Fields.atLeast("ttlSeconds", ttlSeconds, 1);
            if (ttlSeconds > MAX_TTL_SECONDS)
                throw new InvalidField("ttlSeconds", "must be at most " + MAX_TTL_SECONDS + " (ten years)");
        }
    }
}
