package gpufleet.server.web;

import gpufleet.server.store.JobEvent;
import gpufleet.server.store.JobRecord;
import gpufleet.render.Charts;
import gpufleet.render.Charts.Axis;
import gpufleet.render.Charts.KindStyle;
import gpufleet.render.Charts.Span;
import gpufleet.render.Fmt;
import gpufleet.render.Palette;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.SequencedMap;

/**
 * A job's life as the twin's report draws its largest job: the same {@link Charts#timeline} and the
 * same colours for running, restarting and waiting, plus a marker at each interruption and at the
 * newest checkpoint. Built from the job's events, so it shows every run, restart and failure.
 */
final class JobTimeline {
    static final double WIDTH = 1100;
    private static final DateTimeFormatter UTC = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'")
            .withZone(ZoneOffset.UTC);

    static final SequencedMap<String, KindStyle> STYLES = styles();

    private JobTimeline() {}

    private static SequencedMap<String, KindStyle> styles() {
        SequencedMap<String, KindStyle> m = new LinkedHashMap<>();
        for (String k : List.of("running", "restarting", "waiting")) m.put(k, Charts.JOB_SEGMENTS.get(k));
        m.put("interrupted", new KindStyle(Palette.VERMILLION, false, true));
        m.put("checkpoint", new KindStyle(Palette.BLUISH_GREEN, true, true));
        return m;
    }

    /** The legend and the chart, as an HTML fragment. */
    static String html(JobRecord job, List<JobEvent> events, double now) {
        List<Span> spans = spans(job, events, now);
        SequencedMap<String, String> legend = new LinkedHashMap<>();
        STYLES.forEach((k, s) -> legend.put(k, s.colour()));
        double extent = 0;
        for (Span s : spans) extent = Math.max(extent, s.end());
        Unit u = Unit.of(extent);
        List<Span> scaled = new ArrayList<>(spans.size());
        for (Span s : spans) scaled.add(new Span(s.start() / u.seconds, s.end() / u.seconds, s.kind(), s.tip()));
        return Charts.legend(legend) + "\n<div class=\"chartbox wide\">"
                + Charts.timeline("Timeline of job " + job.id(), scaled, STYLES, new Axis(u.caption, Fmt::decimal), WIDTH)
                + "</div>\n";
    }

    /** Spans in seconds since the job's submission. */
    static List<Span> spans(JobRecord job, List<JobEvent> events, double now) {
        double t0 = job.submitTime();
        double end = job.endTime() != null ? job.endTime() : now;
        List<Span> out = new ArrayList<>();
        double from = t0;
        String mode = "waiting";
        String why = "waiting to start";
        int runs = 0;
        for (JobEvent e : events) {
            switch (e.kind()) {
                case "STARTED" -> {
                    if (mode != null) out.add(span(mode, from, e.time(), t0, why));
                    runs++;
                    mode = "running";
                    why = "run " + runs + " on " + nz(e.detail());
                    from = e.time();
                }
                case "RESTART", "PREEMPTED", "COMPLETED", "CANCELLED", "FAILED", "REJECTED" -> {
                    if (mode != null) out.add(span(mode, from, e.time(), t0, why));
                    boolean interrupted = e.kind().equals("RESTART")
                            || (e.kind().equals("FAILED") && "running".equals(mode));
                    if (interrupted)
                        out.add(new Span(e.time() - t0, e.time() - t0, "interrupted",
                                e.kind() + " at " + UTC.format(instant(e.time())) + "\n" + nz(e.detail())));
                    from = e.time();
                    switch (e.kind()) {
                        case "RESTART" -> { mode = "restarting"; why = "waiting to restart after: " + nz(e.detail()); }
                        case "PREEMPTED" -> { mode = "waiting"; why = "preempted " + nz(e.detail()); }
                        default -> mode = null;
                    }
                }
                default -> { }
            }
        }
        if (mode != null && end > from) out.add(span(mode, from, end, t0, why + (job.endTime() == null ? " (now)" : "")));
        if (job.lastCheckpoint() != null && job.lastCheckpoint() >= t0)
            out.add(new Span(job.lastCheckpoint() - t0, job.lastCheckpoint() - t0, "checkpoint",
                    "newest checkpoint at " + UTC.format(instant(job.lastCheckpoint()))));
        return out;
    }

    private static Span span(String kind, double from, double to, double t0, String why) {
        return new Span(from - t0, Math.max(from, to) - t0, kind, kind + " · " + Fmt.duration(to - from) + "\n"
                + UTC.format(instant(from)) + " → " + UTC.format(instant(to)) + "\n" + why);
    }

    private static Instant instant(double epochSeconds) {
        return Instant.ofEpochMilli(Math.round(epochSeconds * 1000));
    }

    private static String nz(String s) {
        return s == null ? "" : s;
    }

    /** The axis unit that keeps the numbers readable. */
    private record Unit(double seconds, String caption) {
        static Unit of(double extentSeconds) {
            if (extentSeconds < 3 * 60) return new Unit(1, "seconds since submission");
            if (extentSeconds < 3 * 3600) return new Unit(60, "minutes since submission");
            if (extentSeconds < 3 * 86_400) return new Unit(3600, "hours since submission");
            return new Unit(86_400, "days since submission");
        }
    }
}
