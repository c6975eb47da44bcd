package gpufleet.sim.preset;

/**
 * A fleet or workload file that cannot be used. The message says which file, where in it (a field
 * path such as {@code clusters[2].hostsPerRack}, or a line and column for a syntax error) and what
 * is wrong, in words a user can act on; it never needs a stack trace to be understood.
 */
public final class PresetFileException extends IllegalArgumentException {
    private final String source;
    private final String path;
    private final int line;
    private final int column;

    private PresetFileException(String message, String source, String path, int line, int column) {
        super(message);
        this.source = source;
        this.path = path;
        this.line = line;
        this.column = column;
    }

    /** A well-formed file with a bad value: {@code <source>: <path>: <problem>}. */
    static PresetFileException atField(String source, String path, String problem) {
        String where = path.isEmpty() ? "" : path + ": ";
        return new PresetFileException(source + ": " + where + problem, source, path, 0, 0);
    }

    /** A file that does not parse: {@code <source>:<line>:<column>: <problem>}. */
    static PresetFileException atLine(String source, int line, int column, String problem) {
        String where = line > 0 ? ":" + line + (column > 0 ? ":" + column : "") : "";
        return new PresetFileException(source + where + ": " + problem, source, "", line, column);
    }

    /** A problem with the file as a whole (not found, unreadable, unknown preset). */
    static PresetFileException ofFile(String source, String problem) {
        return new PresetFileException(source + ": " + problem, source, "", 0, 0);
    }

    /** A problem whose message already says everything, such as an unknown preset name. */
    static PresetFileException plain(String source, String message) {
        return new PresetFileException(message, source, "", 0, 0);
    }

    /** The file or preset the problem is in, as the user named it. */
    public String source() {
        return source;
    }

    /** The field path, e.g. {@code jobs[0].tp}; empty when the problem is not in one field. */
    public String path() {
        return path;
    }

    /** 1-based line of a syntax error; 0 when not known. */
    public int line() {
        return line;
    }

    /** 1-based column of a syntax error; 0 when not known. */
    public int column() {
        return column;
    }
}
