package gpufleet.render;

import java.util.Locale;

/**
 * A small builder for inline SVG: elements with escaped attributes and text, coordinates rounded to
 * hundredths. The root has a {@code viewBox} and no fixed size, so CSS ({@code svg.chart}) scales it
 * to the width of its container. No {@code xmlns}: inline SVG in HTML does not need one.
 */
public final class Svg {

    private final StringBuilder out = new StringBuilder(4096);
    private final double width;
    private final double height;

    /** Opens {@code <svg class="chart" viewBox="0 0 width height" role="img" aria-label="label">}. */
    public Svg(double width, double height, String label) {
        this.width = width;
        this.height = height;
        out.append("<svg class=\"chart\" viewBox=\"0 0 ").append(n(width)).append(' ').append(n(height))
           .append("\" role=\"img\" aria-label=\"").append(Html.esc(label)).append("\">");
    }

    public double width() {
        return width;
    }

    public double height() {
        return height;
    }

    /** {@code <name attrs...>}; attrs are name, value pairs; a null value leaves the attribute out. */
    public Svg open(String name, Object... attrs) {
        out.append('<').append(name);
        attrs(attrs);
        out.append('>');
        return this;
    }

    public Svg close(String name) {
        out.append("</").append(name).append('>');
        return this;
    }

    /** {@code <name attrs.../>}. */
    public Svg empty(String name, Object... attrs) {
        out.append('<').append(name);
        attrs(attrs);
        out.append("/>");
        return this;
    }

    /** An element that shows {@code tip} on hover: {@code <name attrs...><title>tip</title></name>}. */
    public Svg tipped(String name, String tip, Object... attrs) {
        if (tip == null || tip.isEmpty()) return empty(name, attrs);
        open(name, attrs);
        out.append("<title>").append(Html.esc(tip)).append("</title>");
        return close(name);
    }

    /** {@code <text x y class>escaped</text>}, anchored start, middle or end. */
    public Svg text(double x, double y, String text, String anchor, String cssClass) {
        open("text", "x", x, "y", y, "text-anchor", anchor, "class", cssClass);
        out.append(Html.esc(text));
        return close("text");
    }

    public Svg rect(double x, double y, double w, double h, String fill, String tip) {
        return tipped("rect", tip, "x", x, "y", y, "width", Math.max(0, w), "height", Math.max(0, h), "fill", fill);
    }

    public Svg line(double x1, double y1, double x2, double y2, String cssClass) {
        return empty("line", "x1", x1, "y1", y1, "x2", x2, "y2", y2, "class", cssClass);
    }

    /** Markup that is already safe (built by another {@code Svg} or escaped by the caller). */
    public Svg raw(String markup) {
        out.append(markup);
        return this;
    }

    /** Closes the root and returns the markup. */
    public String end() {
        return out.append("</svg>").toString();
    }

    /** A coordinate: at most two decimals, no trailing zeros, never NaN (0 instead). */
    public static String n(double v) {
        if (!Double.isFinite(v)) return "0";
        double r = Math.round(v * 100) / 100.0;
        if (r == Math.rint(r) && Math.abs(r) < 1e15) return Long.toString((long) r);
        String s = String.format(Locale.ROOT, "%.2f", r);
        return s.endsWith("0") ? s.substring(0, s.length() - 1) : s;
    }

    /** Path data {@code M x,y L x,y ...} through the given points. */
    public static String polyline(double[] xs, double[] ys) {
        StringBuilder d = new StringBuilder(xs.length * 14);
        for (int i = 0; i < xs.length; i++) {
            d.append(i == 0 ? 'M' : 'L').append(n(xs[i])).append(',').append(n(ys[i]));
        }
        return d.toString();
    }

    private void attrs(Object[] attrs) {
        if (attrs.length % 2 != 0) throw new IllegalArgumentException("attributes come in name, value pairs");
        for (int i = 0; i < attrs.length; i += 2) {
            Object v = attrs[i + 1];
            if (v == null) continue;
            String s = v instanceof Double d ? n(d) : v instanceof Float f ? n(f) : String.valueOf(v);
            out.append(' ').append(attrs[i]).append("=\"").append(Html.esc(s)).append('"');
        }
    }
}
