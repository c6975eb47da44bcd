package gpufleet.server.control;

import gpufleet.protocol.ErrorCode;

/**
 * A request the controller refuses: the {@link ErrorCode} clients act on, the HTTP status to answer
 * (the code's own unless given), and the request field at fault (null when no single field is).
 * Thrown before anything is changed.
 */
public final class RequestError extends RuntimeException {
    private final int status;
    private final ErrorCode code;
    private final String field;

    public RequestError(ErrorCode code, String field, String message) {
        this(code.status(), code, field, message);
    }

    public RequestError(int status, ErrorCode code, String field, String message) {
        super(message, null, false, false);
        this.status = status;
        this.code = code;
        this.field = field;
    }

    /** A field that is missing, of the wrong type or out of range. */
    public static RequestError badRequest(String field, String message) {
        return new RequestError(ErrorCode.INVALID_FIELD, field, message);
    }

    public static RequestError notFound(String field, String message) {
        return new RequestError(ErrorCode.NOT_FOUND, field, message);
    }

    /** A 409; {@code code} says which conflict, since clients resolve each differently. */
    public static RequestError conflict(ErrorCode code, String field, String message) {
        if (code.status() != 409) throw new IllegalArgumentException(code + " is not a conflict");
        return new RequestError(code, field, message);
    }

    public int status() { return status; }
    public ErrorCode code() { return code; }
    public String field() { return field; }
}
