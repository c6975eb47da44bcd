package gpufleet.server.api;

import gpufleet.server.auth.Access;
import gpufleet.server.auth.Guard;
import gpufleet.server.auth.Role;
import gpufleet.server.auth.Tokens;
import gpufleet.server.control.Controller;
import gpufleet.protocol.ErrorCode;
import gpufleet.protocol.SignInRequest;
import gpufleet.protocol.TokenRequest;
import gpufleet.server.control.RequestError;
import gpufleet.server.store.TokenRecord;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The routes about access itself: who am I, tokens (made, listed, revoked) and the audit log. A
 * token's secret appears in exactly one answer, the one that made it; listings show ids and owners.
 */
final class AccessApi {
    private static final int MAX_AUDIT = 10_000;

    private final Guard guard;
    private final Controller controller;

    AccessApi(Guard guard, Controller controller) {
        this.guard = guard;
        this.controller = controller;
    }

    void routes(RoutesConfig r) {
        r.get("/api/v1/whoami", this::whoami, Access.ANY);
        r.get("/api/v1/tokens", ctx -> Api.json(ctx, 200, tokens().list().stream().map(t -> Views.token(t, now())).toList()),
                Access.ADMIN);
        r.post("/api/v1/tokens", this::create, Access.ADMIN);
        r.post("/api/v1/tokens/{id}/revoke", this::revoke, Access.ADMIN);
        r.get("/api/v1/audit", this::audit, Access.ADMIN);
        r.post("/api/v1/session", this::signIn, Access.PUBLIC);
        r.delete("/api/v1/session", ctx -> {
            ctx.header("Set-Cookie", Guard.SESSION_COOKIE + "=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict");
            Api.json(ctx, 200, Map.of("signedIn", false));
        }, Access.PUBLIC);
    }

    /** Longest a browser keeps a session cookie; the token's own expiry, when sooner, wins. */
    private static final long SESSION_SECONDS = 30L * 86_400;

    /**
     * Signs a browser in: checks the token in the body and sets it as an HttpOnly cookie (out of the
     * page's scripts' reach), SameSite=Strict and, over HTTPS, Secure. The cookie is honoured for reads
     * only; anyone who can sign in may read what their token may read, in the browser as in the API.
     */
    private void signIn(Context ctx) {
        String token = Body.read(ctx.body(), SignInRequest.class).token();
        Tokens tokens = guard.tokens();
        if (tokens == null) {
            Api.json(ctx, 200, Map.of("signedIn", true, "authentication", false));
            return;
        }
        Tokens.Check c = tokens.check(token);
        if (c.principal() == null) throw new RequestError(ErrorCode.UNAUTHENTICATED, "token", "not accepted: " + c.refusal());
        if (!c.principal().role().person())
            throw new RequestError(ErrorCode.FORBIDDEN, "token", "a " + c.principal().role().name().toLowerCase(Locale.ROOT)
                    + " token is for agents, not for signing in");
        TokenRecord t = tokens.get(c.principal().tokenId()).orElseThrow();
        long maxAge = SESSION_SECONDS;
        if (t.expiresAt() != null) maxAge = Math.max(1, Math.min(maxAge, (long) (t.expiresAt() - now())));
        boolean https = "https".equalsIgnoreCase(ctx.scheme());
        ctx.header("Set-Cookie", Guard.SESSION_COOKIE + "=" + token + "; Path=/; Max-Age=" + maxAge + "; HttpOnly; SameSite=Strict"
                + (https ? "; Secure" : ""));
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("signedIn", true);
        out.put("name", c.principal().name());
        out.put("role", c.principal().role().name());
        out.put("team", c.principal().team());
        Api.json(ctx, 200, out);
    }

    private static double now() {
        return System.currentTimeMillis() / 1000.0;
    }

    private Tokens tokens() {
        Tokens t = guard.tokens();
        if (t == null) throw RequestError.conflict(ErrorCode.AUTH_DISABLED, null, "authentication is off (--no-auth): there are no tokens");
        return t;
    }

    private void whoami(Context ctx) {
        Api.json(ctx, 200, Views.identity(Guard.principal(ctx), guard.authOn()));
    }

    private void create(Context ctx) {
        Tokens tokens = tokens();
        // the request type refuses the agent role: host credentials come only from joining, so that each
        // one is bound to the host that joined
        TokenRequest req = Body.read(ctx.body(), TokenRequest.class);
        String name = req.name();
        Role role = Role.parse(req.role());
        String team = req.team();
        if (team != null && controller.store().teams().stream().noneMatch(t -> t.name().equals(team)))
            throw RequestError.badRequest("team", "unknown team '" + team + "'");
        Long ttl = req.ttlSeconds();
        Tokens.Issued issued = tokens.create(name, role, team, null, ttl, Guard.principal(ctx).name());
        Guard.target(ctx, "token " + issued.record().id() + " (" + name + ", " + role.name().toLowerCase(Locale.ROOT)
                + (team == null ? "" : " of team " + team) + ")");
        // the view, then the secret: the one answer that carries it
        @SuppressWarnings("unchecked")
        Map<String, Object> out = new LinkedHashMap<>(Api.OUT.convertValue(Views.token(issued.record(), issued.record().createdAt()), Map.class));
        out.put("token", issued.token());
        Api.json(ctx, 201, out);
    }

    private void revoke(Context ctx) {
        Tokens tokens = tokens();
        String id = ctx.pathParam("id");
        TokenRecord t = tokens.get(id).orElseThrow(() -> RequestError.notFound("id", "no token " + id));
        // the last admin token is the only way back in: keep it until another exists
        if (Role.ADMIN.name().equals(t.role()) && t.activeAt(now()) && tokens.activeAdmins() <= 1)
            throw RequestError.conflict(ErrorCode.LAST_ADMIN, "id", "token " + id + " is the last usable admin token; create another first");
        TokenRecord revoked = tokens.revoke(id).orElseThrow();
        Guard.target(ctx, "token " + id + " (" + t.name() + ")");
        if (Role.AGENT.name().equals(t.role()) && t.host() != null)
            controller.fenceHost(t.host(), "credential " + id + " revoked");
        Api.json(ctx, 200, Views.token(revoked, now()));
    }

    private void audit(Context ctx) {
        String s = ctx.queryParam("since");
        Double since = null;
        if (s != null && !s.isEmpty()) {
            try {
                since = Double.parseDouble(s);
                if (!Double.isFinite(since)) throw new NumberFormatException();
            } catch (NumberFormatException e) {
                throw RequestError.badRequest("since", "query parameter 'since' must be epoch seconds, got '" + s + "'");
            }
        }
        String actor = Api.text(ctx, "actor", 256);
        int limit = (int) Api.query(ctx, "limit", false, 1, MAX_AUDIT, 100);
        Api.json(ctx, 200, controller.store().auditLog(since, actor, limit).stream().map(Views::audit).toList());
    }
}
