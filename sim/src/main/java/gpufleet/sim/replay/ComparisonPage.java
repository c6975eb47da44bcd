package gpufleet.sim.replay;

import gpufleet.render.Charts;
import gpufleet.render.Charts.Axis;
import gpufleet.render.Charts.Bar;
import gpufleet.render.Charts.Series;
import gpufleet.render.Fmt;
import gpufleet.render.Html;
import gpufleet.render.Palette;
import gpufleet.render.Script;
import gpufleet.render.Style;
import gpufleet.sim.report.SimReport;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.SequencedMap;

/**
 * One self-contained HTML page comparing the policies of a replay: the table {@code gpufleet replay}
 * prints ({@link ReplayTable}, the same cells), the distribution of JCT and of wait with every policy
 * on one chart each, allocation over time for every policy, and, only where the run had any,
 * preemptions and interruptions. Styles, charts (inline SVG) and the table script are inline; nothing
 * is fetched, so the file can be mailed or opened offline. Every figure uses the table's definitions
 * ({@link gpufleet.sim.engine.Simulation#replayStats}).
 */
public final class ComparisonPage {
    public static final String FILE = "compare.html";
    private static final double WIDTH = 1100;
    private static final List<String> COLOURS = List.of(Palette.BLUE, Palette.ORANGE, Palette.BLUISH_GREEN, Palette.VERMILLION,
            Palette.REDDISH_PURPLE, Palette.SKY_BLUE, Palette.BLACK, Palette.YELLOW);
    /** Points on the duration axis of a distribution chart. */
    private static final int GRID = 240;

    private ComparisonPage() {}

    /**
     * @param trace     the trace's file name
     * @param fleetLine the fleet, as the CLI's heading says it
     */
    public static String render(String trace, String fleetLine, List<Replay.Result> results) {
        StringBuilder h = new StringBuilder(128 * 1024);
        String title = "Policies on " + trace;
        h.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
         .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
         .append("<title>").append(Html.esc(title)).append(" · gpufleet replay</title>\n")
         .append("<style>\n").append(Style.css()).append("</style>\n</head>\n<body>\n<main>\n")
         .append("<header class=\"top\">\n<div class=\"kicker\">gpufleet · policy comparison</div>\n<h1>")
         .append(Html.esc(title)).append("</h1>\n<div class=\"sub\">").append(Html.esc(fleetLine)).append("</div>\n</header>\n");
        table(h, results);
        SequencedMap<String, String> legend = new LinkedHashMap<>();
        for (int i = 0; i < results.size(); i++) legend.put(results.get(i).policy().name(), colour(i));
        h.append("<div class=\"grid2\">\n");
        distribution(h, "JCT", "Job completion time: submission to completion, every completed job", results, legend, true);
        distribution(h, "Wait", "All time queued (first wait and after preemptions); waits under 1 s are drawn at 1 s",
                results, legend, false);
        h.append("</div>\n");
        allocation(h, results, legend);
        counts(h, results);
        h.append("<p class=\"note\">").append(Html.esc(String.join(" ", ReplayTable.DEFINITIONS)))
         .append(" Each policy's own page: its folder's report.html.</p>\n");
        h.append("</main>\n<script>\n").append(Script.js()).append("</script>\n</body>\n</html>\n");
        return h.toString();
    }

    private static String colour(int i) {
        return COLOURS.get(i % COLOURS.size());
    }

    private static void table(StringBuilder h, List<Replay.Result> results) {
        ReplayTable t = ReplayTable.of(results);
        // NOTES only when some policy has one: sixteen columns fit the page, an empty seventeenth would not
        int cols = t.rows().stream().anyMatch(r -> !r.getLast().isEmpty()) ? t.header().size() : t.header().size() - 1;
        h.append("<section class=\"panel\">\n<h2>The replay table</h2>\n<div class=\"sub\">As <code>gpufleet replay</code> prints it; ")
         .append("sort by any column</div>\n<style>#policies th, #policies td { padding-left: 5px; padding-right: 5px; }</style>\n")
         .append("<div class=\"scroll\"><table class=\"sortable\" id=\"policies\"><thead><tr>");
        for (String c : t.header().subList(0, cols)) h.append("<th>").append(Html.esc(c)).append("</th>");
        h.append("</tr></thead><tbody>\n");
        for (int r = 0; r < t.rows().size(); r++) {
            var stats = results.get(r).stats();
            double[] keys = {Double.NaN, stats.meanJct(), stats.p50Jct(), stats.p99Jct(), stats.meanQueueDelay(), stats.p99QueueDelay(),
                    stats.makespan(), stats.allocation(), stats.inOneHost(), stats.inOneRack(), stats.fragmentation(), stats.fairness(),
                    stats.largestJobsMeanWait(), stats.largestJobsMaxWait(), stats.preemptions(), Double.NaN};
            h.append("<tr>");
            List<String> row = t.rows().get(r);
            for (int c = 0; c < cols; c++) {
                h.append(Double.isNaN(keys[c]) ? "<td>" : "<td data-sort=\"" + keys[c] + "\">");
                if (c == 0) h.append("<i class=\"dot\" style=\"background:").append(colour(r)).append("\"></i>");
                h.append(Html.esc(row.get(c))).append("</td>");
            }
            h.append("</tr>\n");
        }
        h.append("</tbody></table></div>\n</section>\n");
    }

    /** The share of jobs at or under each duration, one line per policy, on a logarithmic duration axis. */
    private static void distribution(StringBuilder h, String name, String sub, List<Replay.Result> results,
                                     SequencedMap<String, String> legend, boolean jct) {
        double lo = 0, hi = 1;
        for (var r : results) {
            double[] v = jct ? r.samples().jcts() : r.samples().queueDelays();
            if (v.length > 0) hi = Math.max(hi, Math.log10(Math.max(1, v[v.length - 1])));
        }
        hi = Math.ceil(hi * 2) / 2 + 0.05;
        List<Double> xs = new ArrayList<>(GRID);
        for (int i = 0; i < GRID; i++) xs.add(lo + (hi - lo) * i / (GRID - 1));
        List<Series> series = new ArrayList<>();
        for (int k = 0; k < results.size(); k++) {
            double[] v = jct ? results.get(k).samples().jcts() : results.get(k).samples().queueDelays();
            List<Double> ys = new ArrayList<>(GRID);
            int j = 0;
            for (double x : xs) {
                double limit = Math.pow(10, x);
                while (j < v.length && Math.max(1, v[j]) <= limit) j++;
                ys.add(v.length == 0 ? 0.0 : (double) j / v.length);
            }
            series.add(new Series(results.get(k).policy().name(), colour(k), ys));
        }
        h.append("<section class=\"panel\" id=\"dist-").append(jct ? "jct" : "wait").append("\">\n<h2>").append(Html.esc(name))
         .append(" by policy</h2>\n<div class=\"sub\">").append(Html.esc(sub)).append(": share of jobs at or under each duration</div>\n")
         .append(Charts.legend(legend)).append('\n').append("<div class=\"chartbox\">")
         .append(Charts.timeSeries(name + " distribution by policy", xs, series, false,
                 new Axis(name + " (log scale)", x -> Fmt.duration(Math.pow(10, x))), new Axis("jobs", Fmt::percent), 1.0, 540, 300))
         .append("</div>\n</section>\n");
    }

    /** Each policy's share of GPUs allocated over the trace's span, on one chart. */
    private static void allocation(StringBuilder h, List<Replay.Result> results, SequencedMap<String, String> legend) {
        double from = Double.POSITIVE_INFINITY, to = 0;
        for (var r : results) {
            from = Math.min(from, r.samples().windowStart() / 86_400);
            to = Math.max(to, r.samples().windowEnd() / 86_400);
        }
        h.append("<section class=\"panel\" id=\"allocation\">\n<h2>Allocation over time by policy</h2>\n<div class=\"sub\">")
         .append("Share of all GPUs allocated, from the first submission to the last completion of any policy</div>\n");
        if (!(to > from)) {
            h.append("<p class=\"empty\">No job completed.</p>\n</section>\n");
            return;
        }
        int n = 400;
        List<Double> xs = new ArrayList<>(n);
        for (int i = 0; i < n; i++) xs.add(from + (to - from) * i / (n - 1));
        List<Series> series = new ArrayList<>();
        for (int k = 0; k < results.size(); k++) {
            List<SimReport.AllocationPoint> pts = results.get(k).report().allocation();
            List<Double> ys = new ArrayList<>(n);
            int j = 0;
            for (double x : xs) {
                while (j + 1 < pts.size() && pts.get(j + 1).day() <= x) j++;
                // outside a policy's own window nothing runs: its last job has completed
                boolean inside = !pts.isEmpty() && x >= pts.getFirst().day() && x <= pts.getLast().day();
                ys.add(inside ? pts.get(j).allocated() : 0.0);
            }
            series.add(new Series(results.get(k).policy().name(), colour(k), ys));
        }
        double span = to - from;
        boolean hours = span < 3;
        h.append(Charts.legend(legend)).append('\n').append("<div class=\"chartbox wide\">")
         .append(Charts.timeSeries("Allocation over time by policy", hours ? xs.stream().map(d -> d * 24).toList() : xs, series, false,
                 new Axis(hours ? "hour" : "day", Fmt::decimal), new Axis("", Fmt::percent), 1.0, WIDTH, 280))
         .append("</div>\n</section>\n");
    }

    /** Preemptions and interruptions per policy: drawn only when some policy had any. */
    private static void counts(StringBuilder h, List<Replay.Result> results) {
        long preempted = 0, interrupted = 0;
        for (var r : results) {
            preempted += r.stats().preemptions();
            interrupted += r.report().headline().interruptions();
        }
        if (preempted == 0 && interrupted == 0) return;
        // side by side when both apply; one alone takes the page's width at the page's scale
        double width = preempted > 0 && interrupted > 0 ? 520 : WIDTH;
        h.append("<div class=\"grid2\">\n");
        if (preempted > 0) bars(h, "Preemptions by policy", results, r -> r.stats().preemptions(), width);
        if (interrupted > 0) bars(h, "Interruptions by policy", results, r -> r.report().headline().interruptions(), width);
        h.append("</div>\n");
    }

    private static void bars(StringBuilder h, String title, List<Replay.Result> results,
                             java.util.function.ToLongFunction<Replay.Result> count, double width) {
        List<Bar> bars = new ArrayList<>();
        for (int k = 0; k < results.size(); k++) {
            long c = count.applyAsLong(results.get(k));
            bars.add(new Bar(results.get(k).policy().name(), c, colour(k), results.get(k).policy().name() + ": " + Fmt.count(c)));
        }
        h.append("<section class=\"panel\">\n<h2>").append(Html.esc(title)).append("</h2>\n")
         .append(Charts.hbars(title, bars, v -> Fmt.count((long) v), width)).append("\n</section>\n");
    }

}
