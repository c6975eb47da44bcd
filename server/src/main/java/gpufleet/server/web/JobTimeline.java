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
        // work thrown away at an interruption: drawn over the end of the run it was part of
        m.put("lost work", new KindStyle(Palette.VERMILLION, false, false));
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
        List<Span> cutRuns = new ArrayList<>(); // runs an interruption ended
        double waits = 0; // waits after interruptions: lost time too
        boolean afterCut = false;
        for (JobEvent e : events) {
            switch (e.kind()) {
                case "STARTED" -> {
                    if (mode != null) out.add(span(mode, from, e.time(), t0, why));
                    if (afterCut) waits += e.time() - from;
                    afterCut = false;
                    runs++;
                    mode = "running";
                    why = "run " + runs + " on " + nz(e.detail());
                    from = e.time();
                }
                case "RESTART", "PREEMPTED", "COMPLETED", "CANCELLED", "FAILED", "REJECTED" -> {
                    if (mode != null) out.add(span(mode, from, e.time(), t0, why));
                    boolean interrupted = e.kind().equals("RESTART")
                            || (e.kind().equals("FAILED") && "running".equals(mode));
                    if ("running".equals(mode) && (interrupted || e.kind().equals("PREEMPTED"))) cutRuns.add(out.getLast());
                    afterCut = e.kind().equals("RESTART") || e.kind().equals("PREEMPTED");
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
        if (afterCut && job.interruptedAt() != null) waits += Math.max(0, end - from); // a wait still under way
        out.addAll(lostWork(job, cutRuns, waits, end, t0));
        if (job.lastCheckpoint() != null && job.lastCheckpoint() >= t0)
            out.add(new Span(job.lastCheckpoint() - t0, job.lastCheckpoint() - t0, "checkpoint",
                    "newest checkpoint at " + UTC.format(instant(job.lastCheckpoint()))));
        return out;
    }

    /**
     * The work thrown away at each interruption, as spans over the ends of the interrupted runs. The
     * job's lost time is that work plus the waits to run again (the "restarting" spans); the events do
     * not say where each run's last checkpoint was, so the work is placed from the newest interruption
     * back: the newest checkpoint, when it falls inside that run, bounds it exactly (the common case of
     * one interruption), and what remains goes to the earlier runs, newest first.
     */
    static List<Span> lostWork(JobRecord job, List<Span> interrupted, double waits, double end, double t0) {
        double work = Math.max(0, job.lostSecondsAt(end) - waits);
        List<Span> out = new ArrayList<>();
        Double ck = job.lastCheckpoint() == null || job.checkpointDir() == null ? null : job.lastCheckpoint() - t0;
        for (int i = interrupted.size() - 1; i >= 0 && work > 1e-6; i--) {
            Span r = interrupted.get(i);
            double len = r.end() - r.start();
            double lost = i == interrupted.size() - 1 && ck != null && ck >= r.start() && ck <= r.end()
                    ? Math.min(work, r.end() - ck) : Math.min(work, len);
            if (lost <= 0) continue;
            work -= lost;
            out.add(new Span(r.end() - lost, r.end(), "lost work", "lost work · " + Fmt.duration(lost)
                    + "\nrun since the last checkpoint it could resume from, thrown away at the interruption"));
        }
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
