package gpufleet.render;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SequencedMap;
import java.util.function.DoubleFunction;

/**
 * Charts as inline SVG strings: a time series (stacked areas or lines), horizontal bars, a timeline
 * strip and a histogram, plus an HTML legend. Each returns one {@code <svg class="chart">} sized by
 * its {@code viewBox}; pass the width in CSS pixels the chart will usually get, so that its 12 px text
 * stays 12 px. Hover text uses SVG {@code <title>}, which browsers show without script. Every string
 * that reaches the markup is escaped. The look comes from {@link Style#css()}.
 *
 * <p>Pure functions of their arguments: no state, no clock, the same input gives the same markup.
 */
public final class Charts {

    /** A named sequence of y values, one per x. */
    public record Series(String name, String colour, List<Double> values) {}

    /** How an axis prints its values, and its caption (may be empty). */
    public record Axis(String caption, DoubleFunction<String> format) {}

    /** One bar: its label, length, colour and hover text. */
    public record Bar(String label, double value, String colour, String tip) {}

    /** A stretch [start, end) of a timeline, of some kind, with hover text. */
    public record Span(double start, double end, String kind, String tip) {}

    /**
     * How a timeline draws a kind: its colour; {@code thin} draws a narrow band (for states that hold
     * no resources); {@code marker} also puts a triangle above the strip where such a span begins.
     */
    public record KindStyle(String colour, boolean thin, boolean marker) {}

    /**
     * The colours of a job's life on a timeline, one definition so that the twin's largest-job
     * timeline and the dashboard's job timeline read alike. "waiting" is thin because a waiting job
     * holds no GPUs; lost work gets a marker.
     */
    public static final SequencedMap<String, KindStyle> JOB_SEGMENTS = jobSegments();

    private static final double FONT_PX = 12;
    private static final int MAX_POINTS = 800;
    private static final int HOVER_COLUMNS = 120;
    private static final KindStyle UNKNOWN_KIND = new KindStyle(Palette.REDDISH_PURPLE, false, false);

    private Charts() {}

    private static SequencedMap<String, KindStyle> jobSegments() {
        SequencedMap<String, KindStyle> m = new LinkedHashMap<>();
        m.put("running", new KindStyle(Palette.BLUE, false, false));
        m.put("lost", new KindStyle(Palette.VERMILLION, false, true));
        m.put("restarting", new KindStyle(Palette.ORANGE, false, false));
        m.put("waiting", new KindStyle(Palette.LIGHT_GREY, true, false));
        return Collections.unmodifiableSequencedMap(m);
    }

    /** A row of colour swatches with names, as HTML. */
    public static String legend(SequencedMap<String, String> nameToColour) {
        StringBuilder b = new StringBuilder("<div class=\"legend\">");
        nameToColour.forEach((name, colour) -> b.append("<span><i style=\"background:").append(Html.esc(colour))
                .append("\"></i>").append(Html.esc(name)).append("</span>"));
        return b.append("</div>").toString();
    }

    /**
     * Series against a shared, increasing x. Stacked: each series is an area on top of the previous
     * ones (for parts of a whole); otherwise lines. The y axis runs from 0 to {@code yMax}, or to a
     * round number above the data when {@code yMax} is NaN. Long series are averaged down to
     * {@value #MAX_POINTS} points. Hovering shows every series' value at the nearest x.
     */
    public static String timeSeries(String label, List<Double> xs, List<Series> series, boolean stacked,
                                    Axis x, Axis y, double yMax, double width, double height) {
        int n = xs.size();
        for (Series s : series) {
            if (s.values().size() != n) {
                throw new IllegalArgumentException("series '" + s.name() + "' has " + s.values().size()
                        + " values for " + n + " x values");
            }
        }
        if (n == 0 || series.isEmpty()) return noData(label, width, height, "No samples");
        int buckets = Math.min(n, MAX_POINTS);
        double[] px = bucketMeans(xs, buckets);
        double[][] vals = new double[series.size()][];
        for (int k = 0; k < series.size(); k++) vals[k] = bucketMeans(series.get(k).values(), buckets);

        double[][] tops = new double[series.size()][buckets];
        double dataMax = 0;
        for (int i = 0; i < buckets; i++) {
            double acc = 0;
            for (int k = 0; k < series.size(); k++) {
                double v = finiteOr0(vals[k][i]);
                acc = stacked ? acc + v : v;
                tops[k][i] = acc;
                dataMax = Math.max(dataMax, acc);
            }
        }
        double top = Double.isNaN(yMax) ? niceMax(dataMax) : yMax;
        double[] yTicks = ticks(0, top, 5);

        Plot p = new Plot(52, 14, width - 16, height - 38);
        double x0 = px[0];
        double x1 = px[buckets - 1] > x0 ? px[buckets - 1] : x0 + 1;
        Svg svg = new Svg(width, height, label);
        yGrid(svg, p, yTicks, 0, top, y.format());
        xAxis(svg, p, x0, x1, x, width / 90);

        double[] sx = new double[buckets];
        for (int i = 0; i < buckets; i++) sx[i] = p.x(px[i], x0, x1);
        for (int k = 0; k < series.size(); k++) {
            double[] sy = new double[buckets];
            for (int i = 0; i < buckets; i++) sy[i] = p.y(tops[k][i], 0, top);
            String colour = series.get(k).colour();
            if (stacked) {
                double[] base = new double[buckets];
                for (int i = 0; i < buckets; i++) base[i] = p.y(k == 0 ? 0 : tops[k - 1][i], 0, top);
                StringBuilder d = new StringBuilder(Svg.polyline(sx, sy));
                for (int i = buckets - 1; i >= 0; i--) d.append('L').append(Svg.n(sx[i])).append(',').append(Svg.n(base[i]));
                d.append('Z');
                svg.empty("path", "d", d.toString(), "fill", colour, "stroke", "none");
                svg.empty("path", "d", Svg.polyline(sx, sy), "fill", "none", "stroke", colour, "stroke-width", "1.5");
            } else {
                svg.empty("path", "d", Svg.polyline(sx, sy), "fill", "none", "stroke", colour, "stroke-width", "2",
                        "stroke-linejoin", "round");
            }
        }
        svg.line(p.left, p.bottom, p.right, p.bottom, "axis");

        int cols = Math.min(buckets, HOVER_COLUMNS);
        double colW = (p.right - p.left) / cols;
        for (int c = 0; c < cols; c++) {
            double xv = x0 + (x1 - x0) * (c + 0.5) / cols;
            int i = nearest(px, xv);
            StringBuilder tip = new StringBuilder(x.caption().isEmpty() ? "" : x.caption() + " ")
                    .append(x.format().apply(px[i]));
            for (int k = series.size() - 1; k >= 0; k--) {
                tip.append('\n').append(series.get(k).name()).append(": ").append(y.format().apply(vals[k][i]));
            }
            svg.tipped("rect", tip.toString(), "class", "hov", "x", p.left + c * colW, "y", p.top,
                    "width", colW, "height", p.bottom - p.top);
        }
        return svg.end();
    }

    /** Horizontal bars, one per row in the given order, the value printed after each bar. */
    public static String hbars(String label, List<Bar> bars, DoubleFunction<String> format, double width) {
        double rowH = 28;
        double barH = 18;
        if (bars.isEmpty()) return noData(label, width, 80, "Nothing to show");
        int longest = bars.stream().mapToInt(b -> shorten(b.label(), 40).length()).max().orElse(0);
        double labelW = Math.clamp(longest * FONT_PX * 0.6 + 14, 60, width * 0.45);
        double valueW = 70;
        double plotL = labelW;
        double plotR = width - valueW;
        double max = bars.stream().mapToDouble(b -> finiteOr0(b.value())).max().orElse(0);
        double height = bars.size() * rowH + 8;
        Svg svg = new Svg(width, height, label);
        for (int i = 0; i < bars.size(); i++) {
            Bar b = bars.get(i);
            double yMid = 4 + i * rowH + rowH / 2;
            double w = max > 0 ? (plotR - plotL) * Math.max(0, finiteOr0(b.value())) / max : 0;
            String tip = b.tip() != null ? b.tip() : b.label() + ": " + format.apply(b.value());
            svg.open("g", "class", "row");
            svg.tipped("rect", tip, "class", "rowbg", "x", 0.0, "y", yMid - rowH / 2, "width", width, "height", rowH);
            svg.text(labelW - 10, yMid + FONT_PX * 0.35, shorten(b.label(), 40), "end", "label");
            svg.rect(plotL, yMid - barH / 2, Math.max(w, 1), barH, b.colour(), null);
            svg.text(plotL + w + 6, yMid + FONT_PX * 0.35, format.apply(b.value()), "start", "value");
            svg.close("g");
        }
        return svg.end();
    }

    /**
     * A horizontal strip of spans over x (e.g. a job's life in days). Short spans get a minimum
     * width so that a ten-minute stall on a month-long strip still shows; wider spans are drawn
     * first so narrow ones stay on top.
     */
    public static String timeline(String label, List<Span> spans, Map<String, KindStyle> styles, Axis x,
                                  double width) {
        double height = 104;
        if (spans.isEmpty()) return noData(label, width, 60, "No timeline");
        double x0 = spans.stream().mapToDouble(Span::start).filter(Double::isFinite).min().orElse(0);
        double x1 = spans.stream().mapToDouble(Span::end).filter(Double::isFinite).max().orElse(x0 + 1);
        if (!(x1 > x0)) x1 = x0 + 1;
        Plot p = new Plot(16, 22, width - 16, 66);
        Svg svg = new Svg(width, height, label);
        svg.empty("rect", "x", p.left, "y", p.top, "width", p.right - p.left, "height", p.bottom - p.top,
                "class", "track");
        xAxis(svg, p, x0, x1, x, width / 110);
        List<Span> order = new ArrayList<>(spans);
        final double fx0 = x0;
        final double fx1 = x1;
        order.sort(Comparator.comparingDouble((Span s) -> -(finiteOr(s.end(), fx1) - finiteOr(s.start(), fx0))));
        double stripH = p.bottom - p.top;
        for (Span s : order) {
            KindStyle st = styles.getOrDefault(s.kind(), UNKNOWN_KIND);
            double a = p.x(finiteOr(s.start(), x0), x0, x1);
            double b = p.x(finiteOr(s.end(), x1), x0, x1);
            // true width: a floor per span would paint hundreds of short interruptions as a large share of
            // the strip; the markers above it show where each one is
            double w = Math.max(b - a, st.thin() ? 1 : 0);
            double y = st.thin() ? p.top + stripH * 0.3 : p.top;
            double h = st.thin() ? stripH * 0.4 : stripH;
            svg.tipped("rect", s.tip(), "class", "seg", "x", a, "y", y, "width", w, "height", h, "fill", st.colour());
        }
        for (Span s : spans) {
            KindStyle st = styles.getOrDefault(s.kind(), UNKNOWN_KIND);
            if (!st.marker()) continue;
            double a = p.x(finiteOr(s.start(), x0), x0, x1);
            String d = "M" + Svg.n(a - 5) + "," + Svg.n(p.top - 12) + "L" + Svg.n(a + 5) + "," + Svg.n(p.top - 12)
                    + "L" + Svg.n(a) + "," + Svg.n(p.top - 3) + "Z";
            svg.tipped("path", s.tip(), "class", "marker", "d", d, "fill", st.colour());
        }
        return svg.end();
    }

    /**
     * Equal-width bars for counts per bucket (suited to log-spaced buckets). {@code edgeLabels} has
     * one label per bucket boundary, {@code counts.size() + 1} of them (an empty label draws nothing);
     * {@code tips} one per bucket.
     */
    public static String histogram(String label, List<String> edgeLabels, List<Long> counts, List<String> tips,
                                   String colour, double width, double height) {
        return histogram(label, edgeLabels, counts, tips, colour, width, height, false);
    }

    /**
     * The same, with a logarithmic count axis when {@code logScale}: where one bucket holds most of the
     * samples (most jobs wait under a minute), a linear axis leaves every other bar a sliver. Bars start
     * at a count of 1 (log 0); the axis is marked at the powers of ten.
     */
    public static String histogram(String label, List<String> edgeLabels, List<Long> counts, List<String> tips,
                                   String colour, double width, double height, boolean logScale) {
        int k = counts.size();
        if (k == 0) return noData(label, width, height, "No samples");
        long max = counts.stream().mapToLong(Long::longValue).max().orElse(0);
        double top = logScale ? Math.max(1, Math.ceil(Math.log10(Math.max(1, max)) + 1e-9)) : niceMax(max);
        if (logScale && Math.pow(10, top) < max) top++;
        Plot p = new Plot(48, 18, width - 12, height - 30);
        Svg svg = new Svg(width, height, label);
        double[] yTicks = logScale ? java.util.stream.IntStream.rangeClosed(0, (int) top).asDoubleStream().toArray() : ticks(0, top, 4);
        yGrid(svg, p, yTicks, 0, top, logScale ? v -> Fmt.compact(Math.pow(10, v)) : v -> v == Math.rint(v) ? Fmt.compact(v) : "");
        double slot = (p.right - p.left) / k;
        double gap = Math.min(4, slot * 0.15);
        for (int i = 0; i < k; i++) {
            long c = counts.get(i);
            // on the log axis a single sample still gets a visible stub, and none gets nothing
            double y = logScale ? (c == 0 ? p.bottom : Math.min(p.bottom - 2, p.y(Math.log10(c), 0, top))) : p.y(c, 0, top);
            String tip = i < tips.size() ? tips.get(i) : Fmt.count(c);
            svg.open("g", "class", "row");
            svg.tipped("rect", tip, "class", "rowbg", "x", p.left + i * slot, "y", p.top, "width", slot,
                    "height", p.bottom - p.top);
            svg.rect(p.left + i * slot + gap / 2, y, slot - gap, p.bottom - y, colour, null);
            if (c > 0 && slot >= 26) svg.text(p.left + (i + 0.5) * slot, y - 4, Fmt.compact(c), "middle", "value");
            svg.close("g");
        }
        svg.line(p.left, p.bottom, p.right, p.bottom, "axis");
        int every = slot >= 44 ? 1 : slot >= 22 ? 2 : 3;
        for (int i = 0; i < edgeLabels.size() && i <= k; i++) {
            String s = edgeLabels.get(i);
            if (s == null || s.isEmpty() || i % every != 0) continue;
            svg.line(p.left + i * slot, p.bottom, p.left + i * slot, p.bottom + 4, "axis");
            String anchor = i == 0 ? "start" : i == k ? "end" : "middle";
            svg.text(p.left + i * slot, p.bottom + 18, s, anchor, "tick");
        }
        return svg.end();
    }

    /** A chart-sized box saying there is nothing to draw. */
    public static String noData(String label, double width, double height, String message) {
        Svg svg = new Svg(width, height, label);
        svg.empty("rect", "x", 0.5, "y", 0.5, "width", width - 1, "height", height - 1, "class", "nodata", "rx", "6");
        svg.text(width / 2, height / 2 + FONT_PX * 0.35, message, "middle", "label");
        return svg.end();
    }

    /** Round tick values from lo to hi, about {@code target} of them (1, 2 or 5 times a power of ten apart). */
    public static double[] ticks(double lo, double hi, int target) {
        if (!(hi > lo)) return new double[] {lo};
        double step = niceStep((hi - lo) / Math.max(1, target));
        double first = Math.ceil(lo / step - 1e-9) * step;
        int count = (int) Math.floor((hi - first) / step + 1e-9) + 1;
        double[] t = new double[Math.max(count, 1)];
        for (int i = 0; i < t.length; i++) t[i] = first + i * step;
        return t;
    }

    /** The smallest round number (1, 2 or 5 times a power of ten, stepped) at or above {@code max}; 1 for 0. */
    public static double niceMax(double max) {
        if (!(max > 0) || !Double.isFinite(max)) return 1;
        double step = niceStep(max / 4);
        return Math.ceil(max / step - 1e-9) * step;
    }

    private static double niceStep(double raw) {
        double pow = StrictMath.pow(10, StrictMath.floor(StrictMath.log10(raw)));
        double f = raw / pow;
        double nice = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10;
        return nice * pow;
    }

    private static void yGrid(Svg svg, Plot p, double[] ticks, double lo, double hi, DoubleFunction<String> fmt) {
        for (double t : ticks) {
            double y = p.y(t, lo, hi);
            svg.line(p.left, y, p.right, y, "grid");
            svg.text(p.left - 8, y + FONT_PX * 0.35, fmt.apply(t), "end", "tick");
        }
    }

    private static void xAxis(Svg svg, Plot p, double lo, double hi, Axis axis, double target) {
        double[] t = ticks(lo, hi, (int) Math.max(2, target));
        for (double v : t) {
            double x = p.x(v, lo, hi);
            svg.line(x, p.bottom, x, p.bottom + 4, "axis");
            svg.text(x, p.bottom + 17, axis.format().apply(v), "middle", "tick");
        }
        if (!axis.caption().isEmpty()) svg.text(p.right, p.bottom + 32, axis.caption(), "end", "caption");
    }

    private static double[] bucketMeans(List<Double> values, int buckets) {
        int n = values.size();
        double[] out = new double[buckets];
        for (int b = 0; b < buckets; b++) {
            int from = (int) ((long) b * n / buckets);
            int to = (int) ((long) (b + 1) * n / buckets);
            double sum = 0;
            int cnt = 0;
            for (int i = from; i < to; i++) {
                double v = values.get(i) == null ? Double.NaN : values.get(i);
                if (Double.isFinite(v)) { sum += v; cnt++; }
            }
            out[b] = cnt == 0 ? Double.NaN : sum / cnt;
        }
        return out;
    }

    private static int nearest(double[] sorted, double v) {
        int best = 0;
        for (int i = 1; i < sorted.length; i++) {
            if (Math.abs(sorted[i] - v) < Math.abs(sorted[best] - v)) best = i;
        }
        return best;
    }

    private static String shorten(String s, int max) {
        if (s == null) return "";
        return s.length() <= max ? s : s.substring(0, max - 1) + "…";
    }

    private static double finiteOr0(double v) {
        return Double.isFinite(v) ? v : 0;
    }

    private static double finiteOr(double v, double fallback) {
        return Double.isFinite(v) ? v : fallback;
    }

    /** The plotting rectangle inside a chart, and value-to-pixel maps. */
    private record Plot(double left, double top, double right, double bottom) {
        double x(double v, double lo, double hi) {
            return left + (right - left) * (v - lo) / (hi - lo);
        }

        double y(double v, double lo, double hi) {
            double f = (finiteOr0(v) - lo) / (hi - lo);
            return bottom - (bottom - top) * Math.clamp(f, 0, 1);
        }
    }
}
