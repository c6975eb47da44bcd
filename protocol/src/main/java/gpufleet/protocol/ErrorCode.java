package gpufleet.protocol;

import java.util.Locale;

/**
 * Why the controller refused a request: the {@code code} of every error body,
 * {@code {"error": {"code", "message", "field"}}}. Clients decide what to do from the code and show
 * the message; the message may be reworded, the code may not. On the wire a code is its name in
 * lower case ({@link #wire()}). The OpenAPI document lists the same codes with the same meanings.
 */
public enum ErrorCode {
    /** 400: the body is not JSON or not a JSON object. */
    MALFORMED_BODY(400, "the body is not JSON, or not a JSON object"),
    /** 400: the body has a field the route does not take (a misspelt name, or a client newer than this controller). */
    UNKNOWN_FIELD(400, "the body has a field this route does not take; 'field' names it"),
    /** 400: a body field, path parameter or query parameter is missing or out of range. */
    INVALID_FIELD(400, "a body field, path parameter or query parameter is missing, of the wrong type or out of range; 'field' names it"),
    /** 400: a well-formed job the fleet as registered now can never run. */
    UNSATISFIABLE(400, "the job asks for more than the registered fleet can ever give it (GPUs, or a tensor-parallel group larger than a host)"),
    /** 400: Jetty could not make sense of the request itself (request line, path, headers). */
    MALFORMED_REQUEST(400, "the HTTP request itself is malformed (request line, path or headers); refused before routing"),
    /** 401: no token, or one that is unknown, revoked or expired. */
    UNAUTHENTICATED(401, "no token was sent, or the token is unknown, revoked or expired"),
    /** 403: the token's role or team may not do this. */
    FORBIDDEN(403, "the token is valid but its role, team or host may not make this request"),
    /** 404: the job, host or token named does not exist. */
    NOT_FOUND(404, "the job, host or token the request names does not exist; an agent registers again when its host is unknown"),
    /** 404: no route has this path. */
    NO_SUCH_ROUTE(404, "no route has this path (a wrong --server URL, or a client newer than this controller)"),
    /** 405: the path exists but not with this method. */
    METHOD_NOT_ALLOWED(405, "the path exists but does not take this method"),
    /** 409: an agent spoke with a generation that is no longer its host's: another agent registered as the host. */
    STALE_GENERATION(409, "the agent's generation is no longer the host's: another agent process has registered as this host since; the older one stops"),
    /** 409: a log chunk for a generation the job has not reached. */
    GENERATION_AHEAD(409, "a log chunk names a generation the job has not reached yet"),
    /** 409: a join token was used for a host that has its credential already. */
    ALREADY_JOINED(409, "the host has joined already and has a live credential; its agent must use that credential, or an admin revokes it to join the host again"),
    /** 409: a host that runs jobs tried to change its GPU count, rack or zone. */
    HOST_BUSY(409, "the host runs jobs, so it cannot change its GPUs, rack or zone now"),
    /** 409: the job has ended already. */
    JOB_ENDED(409, "the job has ended already (completed, failed or cancelled)"),
    /** 409: resuming a host whose GPUs still report a fault, without force. */
    GPU_FAULT(409, "the host's GPUs still report a fault, or have not reported since the controller started; fix the GPU or resume with force"),
    /** 409: revoking the last usable admin token. */
    LAST_ADMIN(409, "the token is the last usable admin token; create another before revoking it"),
    /** 409: a token operation on a controller run without authentication. */
    AUTH_DISABLED(409, "authentication is off (--no-auth), so there are no tokens"),
    /** 409: any other conflict with the controller's state. */
    CONFLICT(409, "a conflict with the controller's state that no more specific code describes"),
    /** 413: the body is over the size limit. */
    BODY_TOO_LARGE(413, "the body is larger than the limit (1 MiB)"),
    /** 414 or 431: the request line or headers are over Jetty's limits. */
    REQUEST_TOO_LARGE(431, "the URI or the headers are larger than the server accepts (414 or 431)"),
    /** 429: the client made too many requests; Retry-After says when to try again. */
    RATE_LIMITED(429, "too many requests from this client (token, else address); retry after the Retry-After header's seconds"),
    /** 307: a change sent to a standby controller; the headers name the leader to send it to. */
    NOT_LEADER(307, "this controller is a standby; the Location and X-Gpufleet-Leader headers name the leader, where the request is to be sent again (clients given several controllers do so)"),
    /** 500: the controller failed unexpectedly; the details are in its log, not in the answer. */
    INTERNAL(500, "the controller failed unexpectedly; details are in its log. Retry later"),
    /** 503: the controller cannot answer now (starting, stopping, or its database is away). */
    UNAVAILABLE(503, "the controller cannot serve the request now (starting, stopping, overloaded, or its database cannot be reached: the message says which); retry later");

    private final int status;
    private final String meaning;

    ErrorCode(int status, String meaning) {
        this.status = status;
        this.meaning = meaning;
    }

    /** The HTTP status this code is answered with (the usual one, for the codes that several statuses share). */
    public int status() { return status; }

    /** What the code means, as the OpenAPI document says it. */
    public String meaning() { return meaning; }

    /** The code as it is written in error bodies, e.g. {@code stale_generation}. */
    public String wire() { return name().toLowerCase(Locale.ROOT); }

    /** The code written as {@code wire}, or null when this side does not know it (a newer controller's code). */
    public static ErrorCode fromWire(String wire) {
        if (wire == null) return null;
        for (ErrorCode c : values()) if (c.wire().equals(wire)) return c;
        return null;
    }

    /** The general code for a refusal with this HTTP status that no handler gave a code of its own. */
    public static ErrorCode forStatus(int status) {
        return switch (status) {
            case 401 -> UNAUTHENTICATED;
            case 403 -> FORBIDDEN;
            case 404 -> NOT_FOUND;
            case 405 -> METHOD_NOT_ALLOWED;
            case 409 -> CONFLICT;
            case 413 -> BODY_TOO_LARGE;
            case 414, 431 -> REQUEST_TOO_LARGE;
            case 429 -> RATE_LIMITED;
            case 503 -> UNAVAILABLE;
            default -> status >= 500 ? INTERNAL : MALFORMED_REQUEST;
        };
    }
}
