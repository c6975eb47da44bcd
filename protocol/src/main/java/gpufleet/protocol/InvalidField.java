package gpufleet.protocol;

/**
 * A request field that is missing, of the wrong type or out of range, found by a request type's
 * constructor: the controller answers it as 400 {@link ErrorCode#INVALID_FIELD} naming {@link #field()},
 * and a command line prints {@link #getMessage()} as its one line. Nested objects name the field by its
 * path from the body's top, e.g. {@code tasks[2].exits[0].rank}.
 */
public final class InvalidField extends IllegalArgumentException {
    private final String field;
    /** What is wrong, said after the quoted field name; null when {@link #said} gave the whole message. */
    private final String problem;

    /** {@code 'field' problem}, e.g. {@code 'gpus' must be in [1, 64], got 0}. */
    public InvalidField(String field, String problem) {
        this(field, problem, "'" + field + "' " + problem);
    }

    private InvalidField(String field, String problem, String message) {
        super(message);
        this.field = field;
        this.problem = problem;
    }

    /** A refusal of {@code field} in words of its own, e.g. one that relates two fields. */
    public static InvalidField said(String field, String message) {
        return new InvalidField(field, null, message);
    }

    public String field() { return field; }

    public ErrorCode code() { return ErrorCode.INVALID_FIELD; }

    /** The same refusal for the object at {@code path} inside a larger body: {@code tasks[2].} + field. */
    public InvalidField within(String path) {
        if (path == null || path.isEmpty()) return this;
        String f = path + field;
        return problem == null ? new InvalidField(f, null, getMessage()) : new InvalidField(f, problem);
    }
}
