package gpufleet.sim.trace;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Opening trace files and reading their header line. */
final class TraceFiles {
    private TraceFiles() {}

    /** What a byte sequence that is not UTF-8 reads as: the row that holds it is kept and warned about. */
    static final char UNDECODABLE = '\uFFFD';

    /**
     * Opens a UTF-8 text file; a missing path or a directory is an IllegalArgumentException naming it.
     * Bytes that are not UTF-8 read as U+FFFD rather than failing the whole file: real traces carry the
     * odd Latin-1 name, and one bad row must not cost the others.
     */
    static BufferedReader open(Path path) throws IOException {
        if (!Files.exists(path)) throw new IllegalArgumentException("trace file not found: " + path);
        if (!Files.isRegularFile(path)) throw new IllegalArgumentException("not a trace file (not a regular file): " + path);
        return new BufferedReader(new InputStreamReader(Files.newInputStream(path), StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPLACE).onUnmappableCharacter(CodingErrorAction.REPLACE)));
    }

    /** The file's first line without a UTF-8 byte-order mark; null for an empty file. */
    static String firstLine(Path path) throws IOException {
        try (BufferedReader in = open(path)) {
            return stripBom(in.readLine());
        }
    }

    static String stripBom(String line) {
        return line != null && line.startsWith("\uFEFF") ? line.substring(1) : line;
    }

    /** A header line split on commas, each name trimmed; empty for null. */
    static List<String> columns(String headerLine) {
        List<String> out = new ArrayList<>();
        if (headerLine == null) return out;
        for (String c : headerLine.split(",", -1)) out.add(c.strip());
        return out;
    }
}
