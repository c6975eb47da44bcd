package gpufleet.server.auth;

import gpufleet.protocol.ErrorCode;
import gpufleet.server.control.RequestError;
import gpufleet.server.store.AuditEntry;
import gpufleet.server.store.Store;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import io.javalin.security.RouteRole;

import java.time.Clock;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Authentication, rate limits, authorization and the audit log, as three Javalin handlers around every
 * route:
 *
 * <ol>
 *   <li>{@link #authenticate} (before every request): reads {@code Authorization: Bearer <token>} (or
 *   the dashboard's session cookie: for reads, and for changes with its {@link #CSRF_HEADER}),
 *   then spends one request from the client's budget (its token's when valid, else its address's), so
 *   that guessing tokens is rate-limited like everything else. It refuses nothing else itself.</li>
 *   <li>{@link #authorize} (before a matched route): the route's {@link Access} against the token's
 *   role: 401 without a valid token, 403 when the role may not call the route. Finer checks (the job
 *   is the member's team's, the host is the credential's) are the handlers', through
 *   {@link #principal} and {@link #forbid}.</li>
 *   <li>{@link #audit} (after a matched route): every request other than GET that was carried out
 *   (2xx), and every request of any kind refused for lack of permission (403), is written to the audit
 *   log with who, what, when and from where. Heartbeats and log shipping are the agents' routine
 *   traffic and are left out when they succeed; what they change shows in the jobs' events.</li>
 * </ol>
 *
 * With authentication off every request is {@link Principal#NO_AUTH}, which passes every check.
 */
public final class Guard {
    private static final System.Logger LOG = System.getLogger(Guard.class.getName());
    /** The cookie a browser presents instead of the Authorization header: for reads, and for changes with the CSRF token. */
    public static final String SESSION_COOKIE = "gpufleet_session";
    private static final String PRINCIPAL = "gpufleet.principal";
    private static final String REFUSAL = "gpufleet.refusal";
    private static final String TARGET = "gpufleet.audit.target";
    private static final Pattern UNAUDITED = Pattern.compile("/api/v1/(hosts/[^/]+/heartbeat|jobs/[^/]+/logs/[^/]+)");
    private static final Set<HandlerType> READS = Set.of(HandlerType.GET, HandlerType.HEAD, HandlerType.OPTIONS);
    /** The header a change made from the dashboard carries: proof that the page making it is the controller's own. */
    public static final String CSRF_HEADER = "X-CSRF-Token";
    /** Signs sessions into CSRF tokens; new with every start, which only makes open pages ask for a fresh token. */
    private static final byte[] CSRF_KEY = new java.security.SecureRandom().generateSeed(32);

    private final Tokens tokens;
    private final RateLimiter limiter;
    private final Store store;
    private final Clock clock;

    /** {@code tokens} null: authentication is off. */
    public Guard(Tokens tokens, RateLimiter limiter, Store store, Clock clock) {
        this.tokens = tokens;
        this.limiter = limiter;
        this.store = store;
        this.clock = clock;
    }

    /** The tokens, or null when authentication is off. */
    public Tokens tokens() {
        return tokens;
    }

    public boolean authOn() {
        return tokens != null;
    }

    /** Before every request: who is calling, and whether they have requests left. */
    public void authenticate(Context ctx) {
        Principal p = null;
        String refusal = null;
        if (tokens == null) {
            p = Principal.NO_AUTH;
        } else {
            String header = ctx.header("Authorization");
            // a browser cannot put a header on the dashboard's page loads or its event stream, so reads may
            // present the token in the session cookie instead; a change may only with the CSRF token that
            // the dashboard reads for its session (another site's page can neither read it nor forge it),
            // so that another site cannot make a signed-in browser change anything (the cookie is
            // SameSite=Strict besides)
            String session = header == null ? ctx.cookie(SESSION_COOKIE) : null;
            if (session != null && session.isBlank()) session = null;
            String cookie = session != null && (READS.contains(ctx.method()) || csrfMatches(session, ctx.header(CSRF_HEADER)))
                    ? session : null;
            if (session != null && cookie == null)
                refusal = "a change made with the session cookie needs the dashboard's " + CSRF_HEADER + " header";
            if (header != null) {
                if (header.length() < 7 || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
                    refusal = "the Authorization header must be 'Bearer <token>'";
                } else {
                    Tokens.Check c = tokens.check(header.substring(7).strip());
                    p = c.principal();
                    refusal = c.refusal();
                }
            } else if (cookie != null && !cookie.isBlank()) {
                Tokens.Check c = tokens.check(cookie.strip());
                p = c.principal();
                refusal = c.refusal() == null ? null : "the session's " + c.refusal() + "; sign in again";
            }
        }
        String client = p != null && !p.anyone() ? "token " + p.tokenId() : "address " + ctx.ip();
        if (!limiter.tryAcquire(client)) {
            ctx.header("Retry-After", "1");
            throw new RequestError(ErrorCode.RATE_LIMITED, null, "too many requests from this client: the limit is "
                    + fmt(limiter.perSecond()) + " a second; retry later");
        }
        if (p != null) ctx.attribute(PRINCIPAL, p);
        if (refusal != null) ctx.attribute(REFUSAL, refusal);
    }

    /** Before a matched route: the route's {@link Access} against the caller's token. */
    public void authorize(Context ctx) {
        Access access = accessOf(ctx.routeRoles());
        if (access == Access.PUBLIC) return;
        Principal p = ctx.attribute(PRINCIPAL);
        if (p == null) {
            ctx.header("WWW-Authenticate", "Bearer realm=\"gpufleet\"");
            String why = ctx.attribute(REFUSAL);
            throw new RequestError(ErrorCode.UNAUTHENTICATED, null, why != null ? "not authenticated: " + why
                    : "not authenticated: send 'Authorization: Bearer <token>'");
        }
        if (p.anyone() || access.admits(p.role())) return;
        throw new RequestError(ErrorCode.FORBIDDEN, null, "forbidden: " + article(p.role()) + " token may not "
                + ctx.method() + " " + ctx.path());
    }

    /** The route's declared access; a route declared with none is for admins only. */
    static Access accessOf(Set<RouteRole> roles) {
        for (RouteRole r : roles) if (r instanceof Access a) return a;
        return Access.ADMIN;
    }

    /** After a matched route: the audit log. */
    public void audit(Context ctx) {
        int status;
        try {
            status = ctx.statusCode();
        } catch (IllegalStateException recycled) {
            return; // answered after the server stopped under it: nothing was sent, nothing to audit
        }
        if (READS.contains(ctx.method()) && status != 403) return;
        Principal p = ctx.attribute(PRINCIPAL);
        if (p == null) return;
        boolean carriedOut = status / 100 == 2 && !READS.contains(ctx.method()) && !UNAUDITED.matcher(ctx.path()).matches();
        if (!carriedOut && status != 403) return;
        String target = ctx.attribute(TARGET);
        try {
            store.audit(new AuditEntry(0, clock.millis() / 1000.0, p.tokenId(), p.name(), p.role().name(), ctx.ip(),
                    ctx.method() + " " + ctx.path(), target != null ? target : "", status));
        } catch (RuntimeException e) {
            // the action itself is done and answered; losing its record is for the operator to see
            LOG.log(System.Logger.Level.ERROR, "cannot write the audit log for " + ctx.method() + " " + ctx.path(), e);
        }
    }

    /** The caller; never null inside a matched route (the route's check has passed). */
    public static Principal principal(Context ctx) {
        Principal p = ctx.attribute(PRINCIPAL);
        if (p == null) throw new RequestError(ErrorCode.UNAUTHENTICATED, null, "not authenticated");
        return p;
    }

    /** Refuses the request with 403 unless {@code allowed}. */
    public static void forbid(boolean allowed, String why) {
        if (!allowed) throw new RequestError(ErrorCode.FORBIDDEN, null, "forbidden: " + why);
    }

    /** What the audit log names as the object of this request, e.g. {@code job 42}. */
    public static void target(Context ctx, String target) {
        ctx.attribute(TARGET, target);
    }

    /** The CSRF token for a session cookie's value: what {@link #CSRF_HEADER} must carry with it. */
    public static String csrfToken(String session) {
        try {
            javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
            mac.init(new javax.crypto.spec.SecretKeySpec(CSRF_KEY, "HmacSHA256"));
            byte[] sig = mac.doFinal(session.strip().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(sig);
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }

    private static boolean csrfMatches(String session, String presented) {
        if (presented == null || presented.isBlank()) return false;
        return java.security.MessageDigest.isEqual(csrfToken(session).getBytes(java.nio.charset.StandardCharsets.US_ASCII),
                presented.strip().getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    }

    /** "an admin", "a viewer": how refusals name a role. */
    public static String article(Role role) {
        String r = role.name().toLowerCase(Locale.ROOT);
        return ("aeiou".indexOf(r.charAt(0)) >= 0 ? "an " : "a ") + r;
    }

    private static String fmt(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }
}
