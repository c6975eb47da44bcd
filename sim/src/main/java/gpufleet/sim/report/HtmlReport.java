package gpufleet.sim.report;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SequencedMap;
import java.util.Set;

import gpufleet.render.Charts;
import gpufleet.render.Charts.Axis;
import gpufleet.render.Charts.Bar;
import gpufleet.render.Charts.KindStyle;
import gpufleet.render.Charts.Series;
import gpufleet.render.Charts.Span;
import gpufleet.render.Fmt;
import gpufleet.render.Html;
import gpufleet.render.Palette;
import gpufleet.render.Script;
import gpufleet.render.Style;
import gpufleet.sim.report.SimReport.Distribution;
import gpufleet.sim.report.SimReport.Headline;
import gpufleet.sim.report.SimReport.Histogram;
import gpufleet.sim.report.SimReport.JobRow;
import gpufleet.sim.report.SimReport.Scenario;
import gpufleet.sim.report.SimReport.Segment;
import gpufleet.sim.report.SimReport.TeamRow;

/**
 * Renders a {@link SimReport} as one self-contained HTML page: inline CSS ({@link Style}), charts as
 * inline SVG ({@link Charts}), the shared script inline ({@link Script}: sortable tables), nothing
 * fetched from the network, so the file can be mailed or opened offline, and it reads the same with
 * scripts off. Every string from the report is escaped. Deterministic: the same report gives the
 * same page.
 */
public final class HtmlReport {

    private static final double FULL_WIDTH = 1100;
    private static final double HALF_WIDTH = 520;
    private static final double SECONDS_PER_DAY = 86_400;

    /** Timeline colours, the same as the dashboard's job timeline. */
    public static final SequencedMap<String, KindStyle> SEGMENT_STYLES = Charts.JOB_SEGMENTS;

    private static final Set<String> BADGES = Set.of("completed", "failed", "rejected", "running", "waiting",
            "pending", "restarting", "preempted", "cancelled");

    private HtmlReport() {}

    /**
     * What the report is of. A {@code REPLAY} report's figures are the replay table's (its allocation
     * window and its wait); it has no prices, energy or checkpoints to speak of, so it leaves out the
     * panels about them, and those about failures when there were none.
     */
    public enum Kind { TWIN, REPLAY }

    /** The whole page of a twin run. */
    public static String render(SimReport r) {
        return render(r, Kind.TWIN);
    }

    /** The whole page. */
    public static String render(SimReport r, Kind kind) {
        StringBuilder h = new StringBuilder(64 * 1024);
        Scenario s = r.scenario();
        boolean replay = kind == Kind.REPLAY;
        long interrupted = r.interruptionsByCause() == null ? 0
                : r.interruptionsByCause().values().stream().mapToLong(v -> v == null ? 0 : v).sum();
        boolean failures = !replay || interrupted > 0 || (s != null && !"none".equalsIgnoreCase(nz(s.failureModel())));
        h.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
         .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
         .append("<title>").append(Html.esc(title(s, kind))).append(" · gpufleet report</title>\n")
         .append("<style>\n").append(Style.css()).append("</style>\n</head>\n<body>\n<main>\n");
        header(h, s, kind);
        if (replay) replayCards(h, r, s);
        else cards(h, r.headline(), s, largestJob(r.largeJobs()));
        allocation(h, r, kind);
        h.append("<div class=\"grid2\">\n");
        if (failures) interruptions(h, r.interruptionsByCause(), r.headline());
        queueWait(h, r.queueWaitHistogram(), r.queueWait(), r.completionTime(), kind);
        h.append("</div>\n");
        if (failures) timeline(h, r.largestJobTimeline(), largestJob(r.largeJobs()));
        teams(h, r.teams(), !replay);
        if (!replay) jobClasses(h, r.jobClasses());
        if (failures) largeJobs(h, r.largeJobs());
        rejected(h, r.rejectedJobs());
        notes(h, kind);
        h.append("</main>\n<script>\n").append(inlineScript()).append("</script>\n</body>\n</html>\n");
        return h.toString();
    }

    private static String inlineScript() {
        String js = Script.js();
        // the HTML parser ends a script at the first "</script", wherever it is
        if (js.toLowerCase(Locale.ROOT).contains("</script")) throw new IllegalStateException("gpufleet.js cannot be inlined");
        return js;
    }

    private static String title(Scenario s, Kind kind) {
        if (s == null) return kind == Kind.REPLAY ? "Trace replay" : "Twin run";
        return nz(s.workload()) + " on " + nz(s.fleet()) + (kind == Kind.REPLAY ? " · " + nz(s.policy()) : "");
    }

    private static void header(StringBuilder h, Scenario s, Kind kind) {
        h.append("<header class=\"top\">\n<div class=\"kicker\">gpufleet · ")
         .append(kind == Kind.REPLAY ? "trace replay report" : "digital twin report").append("</div>\n")
         .append("<h1>").append(Html.esc(title(s, kind))).append("</h1>\n");
        if (s != null && kind == Kind.REPLAY) {
            h.append("<ul class=\"scenario\">");
            chip(h, "Trace", s.workload());
            chip(h, "Fleet", s.fleet());
            chip(h, "Policy", s.policy());
            chip(h, "GPUs", Fmt.count(s.gpus()));
            chip(h, "Hosts", Fmt.count(s.hosts()));
            chip(h, "Failures", s.failureModel());
            chip(h, "Seed", Long.toString(s.seed()));
            h.append("</ul>\n");
        } else if (s != null) {
            h.append("<ul class=\"scenario\">");
            chip(h, "Fleet", s.fleet());
            chip(h, "Workload", s.workload());
            chip(h, "Policy", s.policy());
            chip(h, "Seed", Long.toString(s.seed()));
            chip(h, "Days", Fmt.decimal(s.days()));
            chip(h, "GPUs", Fmt.count(s.gpus()));
            chip(h, "H100-equivalents", Fmt.compact(s.h100Equivalents()));
            chip(h, "Hosts", Fmt.count(s.hosts()));
            chip(h, "Clusters", Fmt.count(s.clusters()));
            chip(h, "Failures", s.failureModel());
            chip(h, "Price", Fmt.usd(s.gpuHourUsd()) + "/GPU-h");
            chip(h, "Power", Fmt.decimal(s.wattsPerGpu()) + " W/GPU");
            h.append("</ul>\n");
        }
        h.append("</header>\n");
    }

    private static void chip(StringBuilder h, String key, String value) {
        h.append("<li><span>").append(Html.esc(key)).append("</span><b>").append(Html.esc(nz(value))).append("</b></li>");
    }

    private static void cards(StringBuilder h, Headline k, Scenario s, JobRow largest) {
        if (k == null) return;
        h.append("<div class=\"cards\">\n");
        card(h, "Goodput", Fmt.percent(k.goodput()),
                Fmt.gpuHours(k.productiveGpuHours()) + " productive of " + Fmt.gpuHours(k.availableGpuHours()),
                Palette.BLUE);
        card(h, "Mean allocation", Fmt.percent(k.meanAllocation()),
                s == null ? "of all GPUs" : "of " + Fmt.count(s.gpus()) + " GPUs", Palette.BLUE);
        card(h, "Largest job ETTR", Fmt.percent(k.largestJobEttr()),
                largest == null ? "productive / wall time"
                                : largest.name() + " · " + Fmt.count(largest.gpus()) + " GPUs", Palette.BLUE);
        card(h, "Interruptions", Fmt.count(k.interruptions()),
                failures(k.hardwareFailures()), Palette.VERMILLION);
        card(h, "Preemptions", Fmt.count(k.preemptions()), "jobs displaced by higher priority", Palette.ORANGE);
        card(h, "Jobs completed", Fmt.count(k.jobsCompleted()),
                "of " + Fmt.count(k.jobsSubmitted()) + " submitted", Palette.BLUISH_GREEN);
        card(h, "Jobs failed", Fmt.count(k.jobsFailed()), Fmt.count(k.jobsCancelled()) + " cancelled",
                Palette.VERMILLION);
        card(h, "Jobs rejected", Fmt.count(k.jobsRejected()),
                Fmt.count(k.jobsRunningAtEnd()) + " running, " + Fmt.count(k.jobsWaitingAtEnd()) + " waiting at end",
                Palette.ORANGE);
        card(h, "GPU-hours", Fmt.compact(k.allocatedGpuHours()),
                "allocated; " + Fmt.gpuHours(k.lostGpuHours()) + " lost", Palette.SKY_BLUE);
        card(h, "Cost", Fmt.usd(k.costUsd()),
                s == null ? "" : "at " + Fmt.usd(s.gpuHourUsd()) + " per GPU-hour", Palette.SKY_BLUE);
        card(h, "Energy", Fmt.mwh(k.energyMWh()),
                s == null ? "" : "every GPU at " + Fmt.decimal(s.wattsPerGpu()) + " W, idle ones included", Palette.SKY_BLUE);
        h.append("</div>\n");
    }

    /** A replay's cards: the replay table's figures for this policy, nothing it did not measure. */
    private static void replayCards(StringBuilder h, SimReport r, Scenario s) {
        Headline k = r.headline();
        Distribution jct = r.completionTime(), wait = r.queueWait();
        h.append("<div class=\"cards\">\n");
        if (jct != null)
            card(h, "JCT", Fmt.duration(jct.mean()), "mean; median " + Fmt.duration(jct.p50()) + ", p99 " + Fmt.duration(jct.p99()),
                    Palette.BLUE);
        if (wait != null)
            card(h, "Wait", Fmt.duration(wait.mean()), "mean time queued; p99 " + Fmt.duration(wait.p99()), Palette.ORANGE);
        if (k != null) {
            card(h, "Allocation", Fmt.percent(k.meanAllocation()), "mean share of " + (s == null ? "all" : Fmt.count(s.gpus()))
                    + " GPUs, first submission to last completion", Palette.BLUE);
            card(h, "Jobs completed", Fmt.count(k.jobsCompleted()), "of " + Fmt.count(k.jobsSubmitted()) + " in the trace",
                    Palette.BLUISH_GREEN);
            if (k.preemptions() > 0) card(h, "Preemptions", Fmt.count(k.preemptions()), "jobs stopped to make room", Palette.ORANGE);
            if (k.interruptions() > 0)
                card(h, "Interruptions", Fmt.count(k.interruptions()), failures(k.hardwareFailures()), Palette.VERMILLION);
            if (k.jobsRejected() > 0) card(h, "Jobs rejected", Fmt.count(k.jobsRejected()), "larger than any cluster", Palette.ORANGE);
        }
        h.append("</div>\n");
    }

    private static void card(StringBuilder h, String key, String value, String sub, String accent) {
        h.append("<div class=\"card\" style=\"--accent:").append(Html.esc(accent)).append("\"><div class=\"k\">")
         .append(Html.esc(key)).append("</div><div class=\"v\">").append(Html.esc(value))
         .append("</div><div class=\"s\">").append(Html.esc(sub)).append("</div></div>\n");
    }

    private static void allocation(StringBuilder h, SimReport r, Kind kind) {
        List<SimReport.AllocationPoint> pts = nonNull(r.allocation());
        h.append("<section class=\"panel\">\n<h2>Allocation over time</h2>\n<div class=\"sub\">Share of all GPUs");
        if (kind == Kind.REPLAY) h.append(", from the first submission to the last completion");
        if (r.headline() != null) h.append(" · mean allocation ").append(Html.esc(Fmt.percent(r.headline().meanAllocation())));
        h.append("</div>\n");
        if (pts.isEmpty()) {
            h.append("<p class=\"empty\">No allocation samples.</p>\n</section>\n");
            return;
        }
        List<Double> xs = new ArrayList<>(pts.size());
        List<Double> alloc = new ArrayList<>(pts.size());
        List<Double> unhealthy = new ArrayList<>(pts.size());
        List<Double> spare = new ArrayList<>(pts.size());
        for (SimReport.AllocationPoint p : pts) {
            xs.add(p.day());
            alloc.add(p.allocated());
            unhealthy.add(p.unhealthy());
            spare.add(p.spare());
        }
        List<Series> series = List.of(
                new Series("allocated", Palette.BLUE, alloc),
                new Series("unhealthy", Palette.VERMILLION, unhealthy),
                new Series("spare", Palette.LIGHT_GREY, spare));
        SequencedMap<String, String> legend = new LinkedHashMap<>();
        for (Series x : series) legend.put(x.name(), x.colour());
        h.append(Charts.legend(legend)).append('\n');
        h.append("<div class=\"chartbox wide\">")
         .append(Charts.timeSeries("Allocation over time", xs, series, true, new Axis("day", Fmt::decimal),
                 new Axis("", Fmt::percent), 1.0, FULL_WIDTH, 260))
         .append("</div>\n");
        h.append("</section>\n");
    }

    private static void interruptions(StringBuilder h, Map<String, Integer> byCause, Headline k) {
        Map<String, Integer> m = byCause == null ? Map.of() : byCause;
        long total = m.values().stream().mapToLong(v -> v == null ? 0 : v).sum();
        h.append("<section class=\"panel\">\n<h2>Interruptions by cause</h2>\n<div class=\"sub\">")
         .append(Html.esc(Fmt.count(total))).append(total == 1 ? " interruption" : " interruptions").append(" in all</div>\n");
        if (m.isEmpty()) {
            h.append("<p class=\"empty\">No interruptions.</p>\n</section>\n");
            return;
        }
        List<Map.Entry<String, Integer>> rows = new ArrayList<>(m.entrySet());
        rows.sort(Comparator.comparing((Map.Entry<String, Integer> e) -> -nz(e.getValue()))
                .thenComparing(e -> nz(e.getKey())));
        List<Bar> bars = new ArrayList<>();
        for (Map.Entry<String, Integer> e : rows) {
            int n = nz(e.getValue());
            String tip = nz(e.getKey()) + ": " + Fmt.count(n) + " (" + Fmt.percent(total == 0 ? 0 : (double) n / total) + ")";
            bars.add(new Bar(nz(e.getKey()), n, Palette.VERMILLION, tip));
        }
        h.append(Charts.hbars("Interruptions by cause", bars, v -> Fmt.count((long) v), HALF_WIDTH)).append('\n');
        if (k != null) {
            h.append("<div class=\"figures\">");
            figure(h, Fmt.count(k.hardwareFailures()), k.hardwareFailures() == 1 ? "GPU or host failure (any cause)"
                    : "GPU and host failures (any cause)");
            figure(h, Fmt.count(k.preemptions()), "preemptions");
            figure(h, Fmt.gpuHours(k.lostGpuHours()), "lost work · " + Fmt.percent(
                    k.allocatedGpuHours() > 0 ? k.lostGpuHours() / k.allocatedGpuHours() : Double.NaN) + " of allocated");
            h.append("</div>\n");
        }
        h.append("</section>\n");
    }

    private static void figure(StringBuilder h, String value, String label) {
        h.append("<div><b>").append(Html.esc(value)).append("</b>").append(Html.esc(label)).append("</div>");
    }

    private static void queueWait(StringBuilder h, Histogram hist, Distribution wait, Distribution completion, Kind kind) {
        boolean replay = kind == Kind.REPLAY;
        h.append("<section class=\"panel\">\n<h2>").append(replay ? "Wait and JCT" : "Queue wait").append("</h2>\n<div class=\"sub\">")
         .append(replay ? "All time each completed job spent queued (first wait and after preemptions), jobs per bucket"
                        : "Time from submission to first start, jobs per bucket")
         .append(" · count axis logarithmic</div>\n");
        List<Double> edges = hist == null ? List.of() : nonNull(hist.edgesSec());
        List<Long> counts = hist == null ? List.of() : nonNull(hist.counts());
        long total = counts.stream().mapToLong(c -> c == null ? 0 : c).sum();
        if (counts.isEmpty() || total == 0) {
            h.append("<p class=\"empty\">No jobs waited.</p>\n");
        } else {
            int k = Math.min(counts.size(), edges.size());
            boolean openEnded = counts.size() >= edges.size();
            List<String> labels = new ArrayList<>();
            List<String> tips = new ArrayList<>();
            List<Long> shown = new ArrayList<>();
            for (int i = 0; i < k; i++) {
                double lo = edges.get(i);
                boolean last = i == k - 1 && openEnded;
                double hi = last ? Double.POSITIVE_INFINITY : edges.get(i + 1);
                long c = counts.get(i) == null ? 0 : counts.get(i);
                labels.add(edgeLabel(lo));
                shown.add(c);
                String range = last ? "≥ " + edgeLabel(lo) : edgeLabel(lo) + " – " + edgeLabel(hi);
                tips.add(range + ": " + Fmt.count(c) + " jobs (" + Fmt.percent((double) c / total) + ")");
            }
            labels.add(openEnded ? "" : edgeLabel(edges.get(k)));
            h.append(Charts.histogram("Queue-wait histogram", labels, shown, tips, Palette.SKY_BLUE, HALF_WIDTH, 220, true))
             .append('\n');
        }
        if (wait != null || completion != null) {
            h.append("<div class=\"scroll\"><table class=\"dist\"><thead><tr><th></th><th>Jobs</th><th>Mean</th>")
             .append("<th>Median</th><th>p90</th><th>p99</th><th>Max</th></tr></thead><tbody>");
            distribution(h, replay ? "Wait" : "Queue wait", wait);
            distribution(h, replay ? "JCT" : "Completion time", completion);
            h.append("</tbody></table></div>\n");
        }
        h.append("</section>\n");
    }

    private static String edgeLabel(double sec) {
        return sec == 0 ? "0" : Fmt.duration(sec);
    }

    private static void distribution(StringBuilder h, String name, Distribution d) {
        if (d == null) return;
        h.append("<tr><td>").append(Html.esc(name)).append("</td>");
        td(h, Fmt.count(d.count()));
        for (double v : new double[] {d.mean(), d.p50(), d.p90(), d.p99(), d.max()}) td(h, Fmt.duration(v));
        h.append("</tr>");
    }

    private static void timeline(StringBuilder h, List<Segment> segments, JobRow largest) {
        List<Segment> segs = nonNull(segments);
        h.append("<section class=\"panel\">\n<h2>Largest job");
        if (largest != null) h.append(": ").append(Html.esc(largest.name()));
        h.append("</h2>\n<div class=\"sub\">");
        if (largest != null) {
            h.append(Html.esc(nz(largest.team()) + " · " + plural(largest.gpus(), "GPU") + " · ETTR "
                    + Fmt.percent(largest.ettr()) + " · " + plural(largest.restarts(), "restart") + " · "
                    + plural(largest.preemptions(), "preemption") + " · " + Fmt.percent(largest.progress()) + " done"));
        } else {
            h.append("Where the largest job's wall time went");
        }
        h.append("</div>\n");
        if (segs.isEmpty()) {
            h.append("<p class=\"empty\">No timeline recorded.</p>\n</section>\n");
            return;
        }
        SequencedMap<String, String> legend = new LinkedHashMap<>();
        Map<String, Double> totals = new LinkedHashMap<>();
        for (Segment s : segs) totals.merge(nz(s.kind()), Math.max(0, s.end() - s.start()), Double::sum);
        SEGMENT_STYLES.forEach((kind, st) -> legend.put(kind + " " + Fmt.duration(totals.getOrDefault(kind, 0.0)), st.colour()));
        for (String kind : totals.keySet()) {
            if (!SEGMENT_STYLES.containsKey(kind)) legend.put(kind + " " + Fmt.duration(totals.get(kind)), Palette.REDDISH_PURPLE);
        }
        List<Span> spans = new ArrayList<>(segs.size());
        for (Segment s : segs) {
            StringBuilder tip = new StringBuilder(nz(s.kind())).append(" · ").append(Fmt.duration(s.end() - s.start()));
            if (s.cause() != null && !s.cause().isBlank()) tip.append("\ncause: ").append(s.cause());
            tip.append("\nday ").append(Fmt.decimal(s.start() / SECONDS_PER_DAY)).append(" → day ")
               .append(Fmt.decimal(s.end() / SECONDS_PER_DAY));
            spans.add(new Span(s.start() / SECONDS_PER_DAY, s.end() / SECONDS_PER_DAY, nz(s.kind()), tip.toString()));
        }
        h.append(Charts.legend(legend)).append('\n');
        h.append("<div class=\"chartbox wide\">")
         .append(Charts.timeline("Largest job timeline", spans, SEGMENT_STYLES, new Axis("day", Fmt::decimal),
                 FULL_WIDTH))
         .append("</div>\n");
        h.append("<div class=\"sub\">Triangles mark lost work; hover a segment for its cause.</div>\n");
        h.append("</section>\n");
    }

    private static void teams(StringBuilder h, List<TeamRow> teamRows, boolean money) {
        List<TeamRow> rows = new ArrayList<>(nonNull(teamRows));
        h.append("<section class=\"panel\">\n<h2>Teams</h2>\n");
        if (rows.isEmpty()) {
            h.append("<p class=\"empty\">No teams.</p>\n</section>\n");
            return;
        }
        rows.sort(Comparator.comparingDouble((TeamRow t) -> -finite(t.gpuHours())).thenComparing(t -> nz(t.team())));
        double max = rows.stream().mapToDouble(t -> finite(t.gpuHours())).max().orElse(0);
        h.append("<div class=\"scroll\"><table class=\"sortable\" id=\"teams\"><thead><tr><th>Team</th><th>Jobs</th><th>Completed</th>")
         .append(money ? "<th>GPU-hours</th><th>Productive</th><th>Cost</th><th>Energy</th><th>Mean wait</th>"
                       : "<th>GPU-hours</th><th>Mean wait</th>")
         .append("<th>Interruptions</th></tr></thead><tbody>\n");
        for (TeamRow t : rows) {
            double frac = max > 0 ? finite(t.gpuHours()) / max : 0;
            h.append("<tr><td>").append(Html.esc(t.team())).append("</td>");
            td(h, Fmt.count(t.jobs()), t.jobs());
            td(h, Fmt.count(t.completed()), t.completed());
            h.append("<td class=\"barcell\" data-sort=\"").append(sortKey(t.gpuHours())).append("\"><div class=\"hbar\"><span>")
             .append(Html.esc(Fmt.compact(t.gpuHours())))
             .append("</span><span class=\"track\"><span class=\"fill\" style=\"width:")
             .append(String.format(Locale.ROOT, "%.1f", 100 * frac)).append("%\"></span></span></div></td>");
            if (money) {
                td(h, Fmt.compact(t.productiveGpuHours()), t.productiveGpuHours());
                td(h, Fmt.usd(t.costUsd()), t.costUsd());
                td(h, Fmt.mwh(t.energyMWh()), t.energyMWh());
            }
            td(h, Fmt.duration(t.meanQueueWait()), t.meanQueueWait());
            td(h, Fmt.count(t.interruptions()), t.interruptions());
            h.append("</tr>\n");
        }
        h.append("</tbody></table></div>\n</section>\n");
    }

    /** Each class's outcome mix and where its GPU time went, largest first; absent in older reports. */
    private static void jobClasses(StringBuilder h, List<SimReport.JobClassRow> classRows) {
        List<SimReport.JobClassRow> rows = new ArrayList<>(nonNull(classRows));
        if (rows.isEmpty()) return;
        rows.sort(Comparator.comparingDouble((SimReport.JobClassRow c) -> -finite(c.gpuHours()))
                .thenComparing(c -> nz(c.jobClass())));
        h.append("<section class=\"panel\">\n<h2>Job classes</h2>\n<div class=\"sub\">Outcomes, and the share of each "
                + "class's GPU-hours that was productive, lost to interruptions (work and restarts), spent resuming after "
                + "preemptions, or done by jobs that then crashed for their own reasons</div>\n");
        h.append("<div class=\"scroll\"><table class=\"sortable\" id=\"classes\"><thead><tr><th>Class</th><th>Submitted</th>")
         .append("<th>Completed</th><th>Crashed</th><th>Failed</th><th>Unfinished</th><th>GPU-hours</th><th>Productive</th>")
         .append("<th>Lost to failures</th><th>Lost to preemptions</th><th>Crashed work</th></tr></thead><tbody>\n");
        for (var c : rows) {
            double g = finite(c.gpuHours()) > 0 ? c.gpuHours() : 1;
            h.append("<tr><td>").append(Html.esc(c.jobClass())).append("</td>");
            td(h, Fmt.count(c.submitted()), c.submitted());
            td(h, Fmt.count(c.completed()), c.completed());
            td(h, Fmt.count(c.crashed()), c.crashed());
            td(h, Fmt.count(c.failed()), c.failed());
            td(h, Fmt.count(c.unfinished()), c.unfinished());
            td(h, Fmt.compact(c.gpuHours()), c.gpuHours());
            for (double v : new double[] {c.productiveGpuHours(), c.lostToFailuresGpuHours(), c.lostToPreemptionsGpuHours(),
                    c.crashedGpuHours()})
                td(h, String.format(Locale.ROOT, "%.1f%%", 100 * finite(v) / g), finite(v) / g);
            h.append("</tr>\n");
        }
        h.append("</tbody></table></div>\n</section>\n");
    }

    private static void largeJobs(StringBuilder h, List<JobRow> jobs) {
        List<JobRow> rows = nonNull(jobs);
        h.append("<section class=\"panel\">\n<h2>Large jobs</h2>\n")
         .append("<div class=\"sub\">Wall time split into productive, lost, checkpoint, restart and wait time; ")
         .append("ETTR = productive / wall time</div>\n");
        if (rows.isEmpty()) {
            h.append("<p class=\"empty\">No large jobs.</p>\n</section>\n");
            return;
        }
        h.append("<div class=\"scroll\"><table class=\"sortable\" id=\"large-jobs\"><thead><tr><th>Job</th><th>GPUs</th><th>State</th><th>Wall</th>")
         .append("<th>Productive</th><th>Lost</th><th>Checkpoint</th><th>Restart</th><th>Wait</th>")
         .append("<th>Restarts</th><th>ETTR</th><th>Progress</th></tr></thead><tbody>\n");
        for (JobRow j : rows) {
            String state = nz(j.state()).toLowerCase(Locale.ROOT);
            String badge = BADGES.contains(state) ? state : "other";
            h.append("<tr><td>").append(Html.esc(j.name())).append(" <span class=\"muted\">")
             .append(Html.esc(j.team())).append("</span></td>");
            td(h, Fmt.count(j.gpus()), j.gpus());
            h.append("<td><span class=\"badge ").append(badge).append("\">").append(Html.esc(state)).append("</span></td>");
            td(h, Fmt.duration(j.wallTime()), j.wallTime());
            td(h, Fmt.duration(j.productiveTime()), j.productiveTime());
            td(h, Fmt.duration(j.lostTime()), j.lostTime());
            td(h, Fmt.duration(j.checkpointTime()), j.checkpointTime());
            td(h, Fmt.duration(j.restartTime()), j.restartTime());
            td(h, Fmt.duration(j.waitTime()), j.waitTime());
            h.append("<td data-sort=\"").append(j.restarts()).append("\" title=\"")
             .append(Html.esc(causes(j.interruptionsByCause()))).append("\">")
             .append(Html.esc(Fmt.count(j.restarts()))).append("</td>");
            td(h, Fmt.percent(j.ettr()), j.ettr());
            td(h, Fmt.percent(j.progress()), j.progress());
            h.append("</tr>\n");
        }
        h.append("</tbody></table></div>\n</section>\n");
    }

    private static void rejected(StringBuilder h, List<SimReport.Rejection> rejections) {
        List<SimReport.Rejection> rows = nonNull(rejections);
        if (rows.isEmpty()) return;
        h.append("<section class=\"panel\">\n<h2>Rejected jobs</h2>\n")
         .append("<div class=\"sub\">Jobs no cluster of this fleet could ever hold; the run went on without them</div>\n")
         .append("<div class=\"scroll\"><table><thead><tr><th>Job</th><th>GPUs</th><th>Reason</th></tr></thead><tbody>\n");
        for (SimReport.Rejection j : rows) {
            h.append("<tr><td>").append(Html.esc(j.name())).append(" <span class=\"muted\">#").append(j.id())
             .append("</span></td>");
            td(h, Fmt.count(j.gpus()));
            h.append("<td>").append(Html.esc(j.reason())).append("</td></tr>\n");
        }
        h.append("</tbody></table></div>\n</section>\n");
    }

    private static String causes(Map<String, Integer> byCause) {
        if (byCause == null || byCause.isEmpty()) return "no interruptions";
        StringBuilder b = new StringBuilder();
        byCause.entrySet().stream().sorted(Map.Entry.comparingByKey())
               .forEach(e -> b.append(b.isEmpty() ? "" : ", ").append(e.getKey()).append(": ").append(nz(e.getValue())));
        return b.toString();
    }

    private static void notes(StringBuilder h, Kind kind) {
        if (kind == Kind.REPLAY) {
            h.append("<p class=\"note\"><b>JCT</b>: submission to completion. <b>Wait</b>: all time queued (first wait and after ")
             .append("preemptions). <b>Allocation</b>: mean share of GPUs allocated from the first submission to the last ")
             .append("completion. The same definitions as <code>gpufleet replay</code>'s table.</p>\n");
            return;
        }
        h.append("<p class=\"note\"><b>Goodput</b> = productive GPU-hours / available GPU-hours. ")
         .append("<b>Allocation</b> = allocated GPUs / all GPUs. ")
         .append("<b>ETTR</b> (effective training time ratio) = productive time / wall time since the job first started. ")
         .append("Lost time is work done since the last checkpoint and thrown away by an interruption. ")
         .append("Field definitions: docs/report.md.</p>\n");
    }

    /** The failure events of GPUs and hosts: every cause the failure model has, software and maintenance included. */
    private static String failures(long n) {
        return n == 1 ? "1 GPU or host failure (any cause)" : Fmt.count(n) + " GPU and host failures (any cause)";
    }

    private static String plural(long n, String noun) {
        return Fmt.count(n) + " " + noun + (n == 1 ? "" : "s");
    }

    private static void td(StringBuilder h, String text) {
        h.append("<td>").append(Html.esc(text)).append("</td>");
    }

    /** A cell that sorts by {@code value} rather than by its text ("12.3k", "4.5 h"). */
    private static void td(StringBuilder h, String text, double value) {
        h.append("<td data-sort=\"").append(sortKey(value)).append("\">").append(Html.esc(text)).append("</td>");
    }

    /** A sort key the shared script reads as a number; empty (sorts first) when not finite. */
    private static String sortKey(double v) {
        if (!Double.isFinite(v)) return "";
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
    }

    /** The job the timeline follows: the one with most GPUs, the first on ties. */
    private static JobRow largestJob(List<JobRow> jobs) {
        JobRow best = null;
        for (JobRow j : nonNull(jobs)) if (best == null || j.gpus() > best.gpus()) best = j;
        return best;
    }

    private static <T> List<T> nonNull(List<T> xs) {
        return xs == null ? List.of() : xs;
    }

    private static String nz(String s) {
        return s == null ? "" : s;
    }

    private static int nz(Integer i) {
        return i == null ? 0 : i;
    }

    private static double finite(double v) {
        return Double.isFinite(v) ? v : 0;
    }
}
