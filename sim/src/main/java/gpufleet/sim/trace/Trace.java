package gpufleet.sim.trace;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A trace file read into jobs, with an account of every data row: each one became a job, or was a
 * bad row, an exact duplicate, or skipped for a stated reason, so that
 * {@code rows == jobs.size() + badRows + duplicates + (sum of skipped)}.
 *
 * @param format     the format's name in {@link TraceFormats}
 * @param source     the path as given to the reader
 * @param epoch      what submit time 0 is: the earliest timestamp for wall-clock formats, "first job" for
 *                   relative ones
 * @param jobs       sorted by (submitTime, sourceLine); ids are 0..n-1 in that order
 * @param rows       non-blank lines after the header
 * @param badRows    rows that could not become a job (each one also reported in {@code problems}, up to
 *                   {@link #MAX_PROBLEMS})
 * @param duplicates exact copies of an earlier row, dropped (only where the format says they are artefacts)
 * @param blankLines empty or whitespace-only lines, anywhere in the file; not rows
 * @param skipped    reason -> rows deliberately not replayed (for example CPU-only pods)
 * @param notes      note -> jobs kept but changed or suspicious (for example fractional GPUs rounded up)
 * @param problems   the first {@value #MAX_PROBLEMS} bad rows and warnings in file order, each
 *                   {@code "file:line: what is wrong"}
 */
public record Trace(String format, String source, String epoch, List<TraceJob> jobs, int rows, int badRows,
                    int duplicates, int blankLines, Map<String, Integer> skipped, Map<String, Integer> notes,
                    List<String> problems) {

    /** At most this many problems are kept; the counts cover all of them. */
    public static final int MAX_PROBLEMS = 20;

    public Trace {
        if (format == null || format.isBlank()) throw new IllegalArgumentException("a trace needs a format");
        if (source == null) throw new IllegalArgumentException("a trace needs a source");
        if (epoch == null) throw new IllegalArgumentException("a trace needs an epoch");
        jobs = List.copyOf(jobs);
        skipped = Collections.unmodifiableMap(new TreeMap<>(skipped));
        notes = Collections.unmodifiableMap(new TreeMap<>(notes));
        problems = List.copyOf(problems);
        if (rows < 0 || badRows < 0 || duplicates < 0 || blankLines < 0)
            throw new IllegalArgumentException(source + ": counts must be >= 0");
        if (problems.size() > MAX_PROBLEMS)
            throw new IllegalArgumentException(source + ": at most " + MAX_PROBLEMS + " problems are kept");
        int skippedRows = 0;
        for (int n : skipped.values()) {
            if (n < 0) throw new IllegalArgumentException(source + ": skipped counts must be >= 0");
            skippedRows += n;
        }
        if (rows != jobs.size() + badRows + duplicates + skippedRows)
            throw new IllegalArgumentException(source + ": " + rows + " rows != " + jobs.size() + " jobs + " + badRows
                    + " bad + " + duplicates + " duplicates + " + skippedRows + " skipped");
        for (int i = 0; i < jobs.size(); i++) {
            TraceJob j = jobs.get(i);
            if (j.id() != i) throw new IllegalArgumentException(source + ": job ids must be 0..n-1 in order, job " + i + " has id " + j.id());
            if (i > 0) {
                TraceJob prev = jobs.get(i - 1);
                if (prev.submitTime() > j.submitTime()
                        || prev.submitTime() == j.submitTime() && prev.sourceLine() >= j.sourceLine())
                    throw new IllegalArgumentException(source + ": jobs must be sorted by (submitTime, sourceLine), not at job " + i);
            }
        }
    }

    /** Rows skipped for any reason. */
    public int skippedRows() {
        return skipped.values().stream().mapToInt(Integer::intValue).sum();
    }

    /** Seconds from the first submission to the last; 0 for fewer than two jobs. */
    public double arrivalSpan() {
        return jobs.isEmpty() ? 0 : jobs.getLast().submitTime();
    }

    /** GPU-hours of run time over all jobs. */
    public double gpuHours() {
        double s = 0;
        for (TraceJob j : jobs) s += j.gpuSeconds();
        return s / 3600;
    }

    /** One line for people, e.g. {@code "philly: 82182 jobs from 82247 rows (0 bad, 65 duplicates, 0 skipped, 1 blank line)"}. */
    public String summary() {
        return format + ": " + jobs.size() + " jobs from " + rows + " rows (" + badRows + " bad, " + duplicates
                + " duplicates, " + skippedRows() + " skipped, " + blankLines + (blankLines == 1 ? " blank line)" : " blank lines)");
    }
}
