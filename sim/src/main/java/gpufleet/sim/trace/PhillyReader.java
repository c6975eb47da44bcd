package gpufleet.sim.trace;

import java.time.DateTimeException;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.List;

/**
 * Microsoft Philly (2017) per-job summary as published with Pollux:
 * {@code timestamp,duration,num_gpus,gpu_time,cluster}. Timestamps are wall clock without a zone; they are
 * read as UTC, which only matters for arithmetic (no daylight-saving jumps). Rows are unsorted and exact
 * duplicate rows are artefacts, dropped and counted. A row whose {@code gpu_time} is not
 * {@code duration x num_gpus} within 1% is kept, with a warning and the note {@value #GPU_TIME_MISMATCH}.
 */
final class PhillyReader extends CsvTraceReader {
    static final String GPU_TIME_MISMATCH = "gpu-time-mismatch";

    PhillyReader() {
        super("philly", "timestamp", "duration", "num_gpus", "gpu_time", "cluster");
    }

    @Override
    boolean dropsDuplicates() {
        return true;
    }

    @Override
    Parsed parse(Row row) {
        long submit = epochSecond(row);
        double duration = row.positive(1);
        int gpus = row.integerAtLeast(2, 1);
        double gpuTime = row.number(3);
        String group = row.textOr(4, "default");
        double expected = duration * gpus;
        boolean mismatch = Math.abs(gpuTime - expected) > 0.01 * expected;
        return new Parsed.Job("philly-" + row.line(), null, null, submit, duration, gpus, group,
                mismatch ? List.of(GPU_TIME_MISMATCH) : List.of(),
                mismatch ? "gpu_time " + row.raw(3) + " is not duration x num_gpus = " + TraceFormats.plain(expected)
                        + " (off by more than 1%); kept" : null);
    }

    @Override
    String epoch(double firstSubmit) {
        return format((long) firstSubmit);
    }

    /** {@code yyyy-MM-dd HH:mm:ss} as seconds since 1970 read as UTC; parsed by hand, as it is most of the work. */
    private static long epochSecond(Row row) {
        String s = row.text(0);
        if (s.length() != 19 || s.charAt(4) != '-' || s.charAt(7) != '-' || s.charAt(10) != ' '
                || s.charAt(13) != ':' || s.charAt(16) != ':')
            throw badTimestamp(s);
        try {
            return LocalDateTime.of(digits(s, 0, 4), digits(s, 5, 7), digits(s, 8, 10), digits(s, 11, 13),
                    digits(s, 14, 16), digits(s, 17, 19)).toEpochSecond(ZoneOffset.UTC);
        } catch (DateTimeException e) {
            throw badTimestamp(s);
        }
    }

    private static int digits(String s, int from, int to) {
        int x = 0;
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') throw badTimestamp(s);
            x = x * 10 + (c - '0');
        }
        return x;
    }

    private static BadRow badTimestamp(String s) {
        return new BadRow("timestamp is not a date-time 'yyyy-MM-dd HH:mm:ss': '" + s + "'");
    }

    static String format(long epochSecond) {
        LocalDateTime t = LocalDateTime.ofEpochSecond(epochSecond, 0, ZoneOffset.UTC);
        return "%04d-%02d-%02d %02d:%02d:%02d".formatted(t.getYear(), t.getMonthValue(), t.getDayOfMonth(),
                t.getHour(), t.getMinute(), t.getSecond());
    }
}
