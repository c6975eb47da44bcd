package gpufleet.server.control;

/**
 * A request the controller refuses, with the HTTP status to answer and the request field at fault
 * (null when no single field is). Thrown before anything is changed.
 */
public final class RequestError extends RuntimeException {
    private final int status;
    private final String field;

    public RequestError(int status, String field, String message) {
        super(message, null, false, false);
        this.status = status;
        this.field = field;
    }

    public static RequestError badRequest(String field, String message) {
        return new RequestError(400, field, message);
    }

    public static RequestError notFound(String field, String message) {
        return new RequestError(404, field, message);
    }

    public static RequestError conflict(String field, String message) {
        return new RequestError(409, field, message);
    }

    public int status() { return status; }
    public String field() { return field; }
}
