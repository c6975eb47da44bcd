package gpufleet.render;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

class ChartsTest {

    @Test
    void ticksAreRound() {
        // (1 - 0) / 5 = 0.2 is already round (2 x 10^-1): six ticks 0.2 apart, up to 1 inclusive
        assertThat(Charts.ticks(0, 1, 5)).containsExactly(new double[] {0, 0.2, 0.4, 0.6, 0.8, 1}, within(1e-12));
        // 30 / 10 = 3 rounds up to 5
        assertThat(Charts.ticks(0, 30, 10)).containsExactly(0, 5, 10, 15, 20, 25, 30);
        // 2.5 / 5 = 0.5; the first tick is the first multiple of 0.5 at or above 0.3
        assertThat(Charts.ticks(0.3, 2.8, 5)).containsExactly(new double[] {0.5, 1, 1.5, 2, 2.5}, within(1e-12));
        assertThat(Charts.ticks(3, 3, 5)).containsExactly(3);
        assertThat(Charts.niceMax(74)).isEqualTo(80);
        assertThat(Charts.niceMax(0)).isEqualTo(1);
    }

    @Test
    void coordinatesAreShortAndNeverNaN() {
        assertThat(Svg.n(12.0)).isEqualTo("12");
        assertThat(Svg.n(12.345)).isEqualTo("12.35");
        assertThat(Svg.n(12.5)).isEqualTo("12.5");
        assertThat(Svg.n(Double.NaN)).isEqualTo("0");
    }

    @Test
    void timeSeriesAveragesLongSeriesDown() {
        List<Double> xs = new java.util.ArrayList<>();
        List<Double> ys = new java.util.ArrayList<>();
        for (int i = 0; i < 100_000; i++) { xs.add(i / 1000.0); ys.add(i % 2 == 0 ? 0.0 : 1.0); }
        String svg = Charts.timeSeries("t", xs, List.of(new Charts.Series("s", "#000", ys)), false,
                new Charts.Axis("x", Fmt::decimal), new Charts.Axis("", Fmt::percent), Double.NaN, 600, 200);
        assertThat(svg.length()).isLessThan(100_000);
        assertThat(svg).startsWith("<svg").endsWith("</svg>");
        // 100,000 samples into at most 800 points: buckets of 125 consecutive samples of 0, 1, 0, 1, ...
        // A bucket starting on a 0 holds 63 zeros and 62 ones (62/125 = 49.6%), one starting on a 1
        // the reverse (50.4%); every value shown on hover is one of the two, never a raw 0 or 1.
        var shown = Pattern.compile("s: ([0-9.]+%)").matcher(svg).results().map(m -> m.group(1)).toList();
        assertThat(shown).isNotEmpty().allMatch(v -> v.equals("49.6%") || v.equals("50.4%"));
    }

    @Test
    void mismatchedSeriesAreRejected() {
        assertThatThrownBy(() -> Charts.timeSeries("t", List.of(1.0, 2.0), List.of(new Charts.Series("s", "#000",
                List.of(1.0))), true, new Charts.Axis("", Fmt::decimal), new Charts.Axis("", Fmt::decimal), 1, 600, 200))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void emptyInputsDrawAPlaceholder() {
        Charts.Axis axis = new Charts.Axis("", Fmt::decimal);
        assertThat(Charts.timeSeries("t", List.of(), List.of(), true, axis, axis, 1, 600, 200)).contains("No samples");
        assertThat(Charts.hbars("b", List.of(), Fmt::decimal, 600)).contains("Nothing to show");
        assertThat(Charts.timeline("l", List.of(), Map.of(), axis, 600)).contains("No timeline");
        assertThat(Charts.histogram("h", List.of(), List.of(), List.of(), "#000", 600, 200)).contains("No samples");
    }

    @Test
    void legendAndLabelsAreEscaped() {
        var m = new LinkedHashMap<String, String>();
        m.put("<b>", "#000\"");
        assertThat(Charts.legend(m)).contains("&lt;b&gt;", "#000&quot;").doesNotContain("<b>");
        assertThat(Charts.hbars("<x>", List.of(new Charts.Bar("a&b", 1, "#000", "<tip>")), Fmt::decimal, 600))
                .contains("a&amp;b", "&lt;tip&gt;", "aria-label=\"&lt;x&gt;\"").doesNotContain("<tip>");
    }
}
