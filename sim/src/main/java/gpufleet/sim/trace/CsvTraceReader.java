package gpufleet.sim.trace;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The reading loop shared by all formats: header check, blank lines, exact duplicates, one
 * {@link #parse} per row with bad rows counted and reported, then the shift to the first submission,
 * the stable sort by (submit time, line) and dense ids. A format supplies only its columns and the
 * mapping of one row.
 */
abstract class CsvTraceReader implements TraceReader {
    private final String format;
    private final List<String> columns;

    CsvTraceReader(String format, String... columns) {
        this.format = format;
        this.columns = List.of(columns);
    }

    @Override
    public final String format() {
        return format;
    }

    @Override
    public boolean acceptsHeader(List<String> header) {
        return header.equals(columns);
    }

    @Override
    public String expectedHeader() {
        return String.join(",", columns);
    }

    /** Whether exact duplicate rows are artefacts of the trace, to be dropped and counted. */
    boolean dropsDuplicates() {
        return false;
    }

    /** Maps one row; throws {@link BadRow} when it cannot. Pure: the same row gives the same result. */
    abstract Parsed parse(Row row);

    /** What time 0 is, given the earliest submit time of the kept jobs in the file's time base. */
    abstract String epoch(double firstSubmit);

    @Override
    public final Trace read(Path path) {
        try (BufferedReader in = TraceFiles.open(path)) {
            String headerLine = TraceFiles.stripBom(in.readLine());
            List<String> header = TraceFiles.columns(headerLine);
            if (!acceptsHeader(header))
                throw new IllegalArgumentException(path + ": not a " + format + " trace: header is '"
                        + (headerLine == null ? "" : headerLine) + "'" + (headerLine == null ? " (empty file)" : "")
                        + ", expected '" + expectedHeader() + "'");
            Accumulator acc = new Accumulator(path.toString());
            Set<String> seen = dropsDuplicates() ? new HashSet<>() : null;
            int lineNo = 1;
            for (String line; (line = in.readLine()) != null; ) {
                lineNo++;
                if (line.isBlank()) {
                    acc.blankLines++;
                    continue;
                }
                acc.rows++;
                if (line.indexOf(TraceFiles.UNDECODABLE) >= 0)
                    acc.problem(lineNo, "warning: bytes that are not UTF-8, read as U+FFFD");
                if (seen != null && !seen.add(line)) {
                    acc.duplicates++;
                    continue;
                }
                try {
                    acc.add(parse(Row.split(line, lineNo, header)), lineNo);
                } catch (BadRow e) {
                    acc.badRows++;
                    acc.problem(lineNo, e.getMessage());
                }
            }
            return acc.build();
        } catch (IOException e) {
            throw new UncheckedIOException(path + ": " + e.getMessage(), e);
        }
    }

    /** A relative format's epoch: the first job, and where it lies in the file when that is not 0. */
    static String relativeEpoch(double firstSubmit) {
        return firstSubmit == 0 ? "first job" : "first job (at " + TraceFormats.plain(firstSubmit) + " s in the file)";
    }

    private record Kept(Parsed.Job job, int line) {}

    private final class Accumulator {
        final String source;
        final List<Kept> kept = new ArrayList<>();
        final Map<String, Integer> firstLineOfKey = new HashMap<>();
        final Map<String, Integer> skipped = new HashMap<>();
        final Map<String, Integer> notes = new HashMap<>();
        final List<String> problems = new ArrayList<>();
        int rows, badRows, duplicates, blankLines;

        Accumulator(String source) {
            this.source = source;
        }

        void add(Parsed parsed, int line) {
            switch (parsed) {
                case Parsed.Skip s -> skipped.merge(s.reason(), 1, Integer::sum);
                case Parsed.Job j -> {
                    if (j.key() != null) {
                        Integer first = firstLineOfKey.putIfAbsent(j.key(), line);
                        if (first != null)
                            throw new BadRow("duplicate " + j.keyName() + " '" + j.key() + "' (first on line " + first + ")");
                    }
                    kept.add(new Kept(j, line));
                    for (String note : j.notes()) notes.merge(note, 1, Integer::sum);
                    if (j.warning() != null) problem(line, "warning: " + j.warning());
                }
            }
        }

        void problem(int line, String what) {
            if (problems.size() < Trace.MAX_PROBLEMS) problems.add(source + ":" + line + ": " + what);
        }

        Trace build() {
            double first = Double.POSITIVE_INFINITY;
            for (Kept k : kept) first = Math.min(first, k.job().submit());
            // Lines are increasing in list order, so a stable sort on submit time keeps ties in line order.
            kept.sort(Comparator.comparingDouble(k -> k.job().submit()));
            List<TraceJob> jobs = new ArrayList<>(kept.size());
            for (Kept k : kept) {
                Parsed.Job j = k.job();
                jobs.add(new TraceJob(jobs.size(), j.name(), j.submit() - first, j.duration(), j.gpus(), j.group(), k.line()));
            }
            String epoch = kept.isEmpty() ? "none (no jobs)" : epoch(first);
            return new Trace(format, source, epoch, jobs, rows, badRows, duplicates, blankLines, skipped, notes, problems);
        }
    }
}
