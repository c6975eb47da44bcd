package gpufleet.sim.trace;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.StringJoiner;

/**
 * The registry of trace formats (name -> reader, in a fixed order; no scanning), detection by header,
 * and the writer of gpufleet's own format. See docs/trace-formats.md.
 */
public final class TraceFormats {
    /** The format argument that picks a reader by the file's header. */
    public static final String AUTO = "auto";

    private static final List<TraceReader> READERS = List.of(
            new PhillyReader(), new TiresiasReader(), new AlibabaOpenbReader(), new GpufleetReader());

    private TraceFormats() {}

    /** The format names, in registry order. */
    public static List<String> names() {
        return READERS.stream().map(TraceReader::format).toList();
    }

    /** The reader of a format; an unknown name is an IllegalArgumentException listing the known ones. */
    public static TraceReader reader(String format) {
        for (TraceReader r : READERS) if (r.format().equals(format)) return r;
        throw new IllegalArgumentException("unknown trace format '" + format + "'; known: " + String.join(", ", names())
                + " (or " + AUTO + ")");
    }

    /** Reads {@code path} as {@code formatOrAuto}, or as the format its header names when that is {@value #AUTO}. */
    public static Trace read(Path path, String formatOrAuto) {
        return (AUTO.equals(formatOrAuto) ? reader(detect(path)) : reader(formatOrAuto)).read(path);
    }

    /** The format whose header the file starts with; otherwise an IllegalArgumentException naming both. */
    public static String detect(Path path) {
        String header;
        try {
            header = TraceFiles.firstLine(path);
        } catch (IOException e) {
            throw new UncheckedIOException(path + ": " + e.getMessage(), e);
        }
        List<String> columns = TraceFiles.columns(header);
        StringJoiner expected = new StringJoiner("; ");
        for (TraceReader r : READERS) {
            if (r.acceptsHeader(columns)) return r.format();
            expected.add(r.format() + " '" + r.expectedHeader() + "'");
        }
        throw new IllegalArgumentException(path + ": unknown trace format: header is '" + (header == null ? "" : header)
                + "'" + (header == null ? " (empty file)" : "") + ", expected one of: " + expected);
    }

    /**
     * Writes the jobs of {@code trace} in gpufleet's format, header {@code id,submit_time,duration,gpus,group,name},
     * one job a line in job order, numbers in their shortest exact decimal form, {@code \n} line ends. Reading
     * the file back gives the same jobs except for {@code sourceLine}. Names and groups must not contain a
     * comma or a line break, nor start or end with white space (the format has no quoting).
     */
    public static void writeGpufleet(Trace trace, Path out) {
        try {
            Path parent = out.toAbsolutePath().getParent();
            if (parent != null) Files.createDirectories(parent);
            try (BufferedWriter w = Files.newBufferedWriter(out, StandardCharsets.UTF_8)) {
                w.write(String.join(",", GpufleetReader.COLUMNS_WITH_NAME));
                w.write('\n');
                StringBuilder line = new StringBuilder(64);
                for (TraceJob j : trace.jobs()) {
                    line.setLength(0);
                    line.append(j.id()).append(',').append(plain(j.submitTime())).append(',').append(plain(j.duration()))
                            .append(',').append(j.gpus()).append(',').append(field(j.group(), "group", j))
                            .append(',').append(field(j.name(), "name", j)).append('\n');
                    w.append(line);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(out + ": " + e.getMessage(), e);
        }
    }

    /** The shortest decimal that reads back as exactly {@code x}, without an exponent: 30, 0.25, 12345678.5. */
    static String plain(double x) {
        if (x == 0) return "0";
        return BigDecimal.valueOf(x).stripTrailingZeros().toPlainString();
    }

    private static String field(String s, String what, TraceJob j) {
        if (s.indexOf(',') >= 0 || s.indexOf('\n') >= 0 || s.indexOf('\r') >= 0 || !s.equals(s.strip()))
            throw new IllegalArgumentException("job " + j.id() + ": " + what + " '" + s
                    + "' cannot be written in the gpufleet format (comma, line break or outer white space)");
        return s;
    }
}
