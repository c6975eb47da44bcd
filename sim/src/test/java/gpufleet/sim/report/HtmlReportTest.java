package gpufleet.sim.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import gpufleet.render.Html;
import gpufleet.render.Script;
import gpufleet.render.Style;

class HtmlReportTest {

    private static final String EVIL = "<script>alert(1)</script>";

    @Test
    void selfContainedWithNoNetworkReferences() {
        String html = HtmlReport.render(ReportFixtures.sample());
        assertThat(html).startsWith("<!DOCTYPE html>")
                .doesNotContain("http://").doesNotContain("https://")
                .doesNotContainPattern("(?i)<script[^>]*\\bsrc")
                .doesNotContainPattern("(?i)<link\\b")
                .doesNotContainPattern("(?i)@import")
                .doesNotContainPattern("(?i)url\\(")
                .doesNotContainPattern("(?i)<(img|iframe|object|embed)\\b");
    }

    @Test
    void drawsEveryChartAsInlineSvg() {
        String html = HtmlReport.render(ReportFixtures.sample());
        assertThat(count(html, "<svg")).isEqualTo(4);
        assertThat(html).contains("aria-label=\"Allocation over time\"", "aria-label=\"Interruptions by cause\"",
                "aria-label=\"Largest job timeline\"", "aria-label=\"Queue-wait histogram\"");
    }

    @Test
    void showsScenarioHeadlineTeamsCausesAndJobs() {
        SimReport r = ReportFixtures.sample();
        String html = HtmlReport.render(r);
        assertThat(html).contains("h100-2k", "llm-mix", "gang-priority-preempt", "2,048", ">42<");
        r.teams().forEach(t -> assertThat(html).contains(Html.esc(t.team())));
        r.interruptionsByCause().keySet().forEach(c -> assertThat(html).contains(Html.esc(c)));
        r.largeJobs().forEach(j -> assertThat(html).contains(Html.esc(j.name())));
        r.largestJobTimeline().stream().filter(s -> s.cause() != null)
                .forEach(s -> assertThat(html).contains("cause: " + Html.esc(s.cause())));
        assertThat(html).contains("81.2%", "$3.2M", "901 MWh", "1.3M", "88.4%");
        for (String kind : new String[] {"running", "lost", "restarting", "waiting"}) assertThat(html).contains(kind);
    }

    @Test
    void escapesEveryNameFromTheReport() {
        String html = HtmlReport.render(ReportFixtures.hostile(EVIL));
        // the one script is the shared one; nothing from the report becomes another
        assertThat(count(html, "<script")).isEqualTo(1);
        assertThat(html).doesNotContain(EVIL).contains("<script>\n" + Script.js() + "</script>")
                .contains("&lt;script&gt;alert(1)&lt;/script&gt;");
        assertThat(HtmlReport.render(ReportFixtures.hostile("\" onmouseover=\"x"))).doesNotContain("\" onmouseover=\"x");
    }

    @Test
    void sharesItsStylesheetAndScriptWithTheDashboard() {
        String html = HtmlReport.render(ReportFixtures.sample());
        assertThat(html).contains("<style>\n" + Style.css() + "</style>").contains(Script.js());
        // the tables the shared script sorts, with numeric keys where the text is "12.3k" or "4.5 h"
        assertThat(html).contains("<table class=\"sortable\" id=\"teams\">", "<table class=\"sortable\" id=\"large-jobs\">");
        ReportFixtures.sample().teams().forEach(t -> assertThat(html).contains("data-sort=\"" + t.jobs() + "\""));
    }

    @Test
    void emptyReportStillRenders() {
        assertThatCode(() -> HtmlReport.render(ReportFixtures.empty())).doesNotThrowAnyException();
        String html = HtmlReport.render(ReportFixtures.empty());
        assertThat(html).contains("No interruptions.", "No large jobs.", "No teams.", "No timeline recorded.")
                .doesNotContain("NaN").doesNotContain("Infinity").endsWith("</html>\n");
    }

    @Test
    void nullsInTheReportDoNotBreakRendering() {
        SimReport nulls = new SimReport(null, null, null, null, null, null, null, null, null, null, null);
        assertThatCode(() -> HtmlReport.render(nulls)).doesNotThrowAnyException();
        String html = HtmlReport.render(nulls);
        assertThat(html).startsWith("<!DOCTYPE html>").endsWith("</html>\n").contains("No interruptions.", "No large jobs.", "No teams.");
        // the shared script and stylesheet aside, no Java null or NaN leaks into the page
        String page = html.replaceAll("(?s)<script>.*?</script>|<style>.*?</style>", "");
        assertThat(page).doesNotContain("null").doesNotContain("NaN");
    }

    /** The figures of a day worked out by hand (see {@link ReportFixtures#twoJobs}), as a reader sees them. */
    @Test
    void twoJobDayShowsItsHandWorkedFigures() {
        String html = HtmlReport.render(ReportFixtures.twoJobs());
        // 68/192 = 35.42%, 72/192 = 37.5%; 68 and 192 GPU-hours; $144 = 72 GPU-h at $2
        assertThat(html).contains(card("Goodput", "35.4%", "68 GPU-h productive of 192 GPU-h"),
                card("Mean allocation", "37.5%", "of 8 GPUs"),
                card("Jobs completed", "2", "of 2 submitted"),
                card("GPU-hours", "72", "allocated; 4 GPU-h lost"),
                card("Cost", "$144", "at $2 per GPU-hour"),
                card("Interruptions", "1", "1 GPU or host failure (any cause)"),
                card("Largest job ETTR", "100%", "alpha · 8 GPUs"));
        // the interruptions panel words the count as the card does
        assertThat(html).contains("<div><b>1</b>GPU or host failure (any cause)</div>").doesNotContain("hardware failure");
        // teams by GPU-hours, a (48) above b (24)
        assertThat(html).containsPattern("<tr><td>a</td>.*\\n<tr><td>b</td>").contains("tiny-8", "two-jobs", "gpu-xid-79");
    }

    @Test
    void aReplayReportShowsTheTablesFiguresAndNoPricesOrEnergy() {
        String html = HtmlReport.render(ReportFixtures.twoJobs(), HtmlReport.Kind.REPLAY);
        assertThat(html).contains("trace replay report", "<h2>Wait and JCT</h2>", "first submission to last completion")
                .contains(card("Allocation", "37.5%", "mean share of 8 GPUs, first submission to last completion"))
                .doesNotContain("<div class=\"k\">Cost</div>").doesNotContain("<div class=\"k\">Energy</div>")
                .doesNotContain("<div class=\"k\">Goodput</div>").doesNotContain("<th>Cost</th>");
        // it had an interruption, so the failure panels apply
        assertThat(html).contains("Interruptions by cause");
        assertThat(HtmlReport.render(ReportFixtures.twoJobs())).contains("<div class=\"k\">Energy</div>",
                "every GPU at 700 W, idle ones included");
    }

    private static String card(String key, String value, String sub) {
        return "<div class=\"k\">" + key + "</div><div class=\"v\">" + Html.esc(value) + "</div><div class=\"s\">"
                + Html.esc(sub) + "</div>";
    }

    @Test
    void histogramWithABoundedLastBucketLabelsItsUpperEdge() {
        SimReport s = ReportFixtures.sample();
        SimReport bounded = new SimReport(s.scenario(), s.headline(), s.allocation(), s.interruptionsByCause(),
                s.queueWait(), s.completionTime(),
                new SimReport.Histogram(List.of(0.0, 60.0, 3_600.0, 86_400.0), List.of(5L, 7L, 2L)),
                s.teams(), s.largeJobs(), s.largestJobTimeline(), s.rejectedJobs());
        String html = HtmlReport.render(bounded);
        assertThat(html).contains(">1 d</text>", "1 h – 1 d: 2 jobs").doesNotContain("≥");
        assertThat(HtmlReport.render(s)).contains("≥ 3 d: 8 jobs");
    }

    @Test
    void deterministic() {
        assertThat(HtmlReport.render(ReportFixtures.sample())).isEqualTo(HtmlReport.render(ReportFixtures.sample()));
    }

    private static int count(String s, String needle) {
        Matcher m = Pattern.compile(Pattern.quote(needle)).matcher(s);
        int n = 0;
        while (m.find()) n++;
        return n;
    }
}
