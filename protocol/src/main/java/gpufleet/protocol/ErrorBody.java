package gpufleet.protocol;

/**
 * The body of every refusal, {@code {"error": {"code", "message", "field"}}}: the controller writes it,
 * the agent and the command line read it.
 */
public record ErrorBody(Detail error) {
    /**
     * @param code    an {@link ErrorCode} as {@link ErrorCode#wire()} writes it; a client meeting one it does not
     *                know acts on the HTTP status
     * @param message one line for a person; may be reworded between versions
     * @param field   the request field at fault, or null when no single field is
     */
    public record Detail(String code, String message, String field) {}

    public static ErrorBody of(ErrorCode code, String message, String field) {
        return new ErrorBody(new Detail(code.wire(), message, field));
    }

    /** The code, or null when this side does not know it (a newer controller's) or the body had none. */
    public ErrorCode code() {
        return error == null ? null : ErrorCode.fromWire(error.code());
    }
}
