package gpufleet.cli;

import gpufleet.render.Script;
import gpufleet.render.Style;
import gpufleet.server.GpufleetServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.Keys;
import org.openqa.selenium.Rectangle;
import org.openqa.selenium.WebElement;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The twin's report.html in the dashboard's browser: it opens from disk with no console errors, its
 * charts are drawn, its tables sort; and it shares its stylesheet and script with the dashboard.
 */
class ReportBrowserTest {
    @TempDir
    Path dir;
    Browser browser;

    @AfterEach
    void stop() {
        if (browser != null) browser.close();
    }

    @Test
    void theTwinsReportOpensWithItsChartsDrawnAndNoConsoleErrors() throws Exception {
        Path out = dir.resolve("run");
        // four days of the default scenario (the Llama 3 run beside a research mix on 24,576 GPUs): every
        // chart has something to draw, and the largest job is interrupted
        int code = Main.run("simulate", "--days", "4", "--out", out.toString(), "--quiet");
        assertThat(code).isZero();
        Path report = out.resolve("report.html");
        assertThat(report).exists();

        browser = Browser.shared();
        browser.open(report.toUri().toString());
        browser.await("the report", 10, () -> browser.js("return document.readyState;"), "complete"::equals);
        assertThat(browser.one("h1").getText()).contains("h100-24k-roce");

        List<WebElement> charts = browser.all("svg.chart");
        assertThat(charts).hasSize(4);
        for (WebElement c : charts) {
            Rectangle r = c.getRect();
            String label = c.getAttribute("aria-label");
            assertThat(r.getWidth()).as("%s width", label).isGreaterThan(300);
            assertThat(r.getHeight()).as("%s height", label).isGreaterThan(50);
            // drawn, not an empty box: shapes with a size the browser laid out
            Number shapes = (Number) browser.js("return Array.from(arguments[0].querySelectorAll('path, rect'))"
                    + ".filter(e => { const b = e.getBBox(); return b.width > 0 && b.height > 0; }).length;", c);
            assertThat(shapes.intValue()).as("%s shapes drawn", label).isGreaterThan(3);
        }
        assertThat(browser.all("svg.chart rect.nodata")).as("charts that had nothing to draw").isEmpty();
        assertThat(browser.all("#large-jobs tbody tr")).isNotEmpty();

        // the shared script ran: headers are buttons, and Enter sorts
        WebElement gpus = browser.one("#teams th:nth-child(4) button.sort");
        gpus.sendKeys(Keys.ENTER);
        browser.await("teams sorted by GPU-hours", 5, () -> browser.one("#teams th:nth-child(4)").getAttribute("aria-sort"), "ascending"::equals);
        List<Double> hours = browser.all("#teams tbody td:nth-child(4)").stream()
                .map(td -> Double.parseDouble(td.getAttribute("data-sort"))).toList();
        assertThat(hours).isSorted();

        // the page uses the window: at 1,400 px no table scrolls sideways or loses its last column
        assertThat(((Number) browser.js("return document.querySelector('main').getBoundingClientRect().width;")).doubleValue())
                .isGreaterThan(1300);
        for (WebElement box : browser.all(".scroll"))
            assertThat((Boolean) browser.js("return arguments[0].scrollWidth <= arguments[0].clientWidth + 1;", box))
                    .as("a table that fits: " + box.getText().lines().findFirst().orElse("")).isTrue();
        // the largest job's strip draws lost work at its true width, not every interruption at a minimum one
        Number lostShare = (Number) browser.js("const svg = document.querySelector('svg[aria-label=\"Largest job timeline\"]');"
                + "const track = svg.querySelector('rect.track').getBBox().width;"
                + "return [...svg.querySelectorAll('rect.seg')].filter(r => r.querySelector('title').textContent.startsWith('lost ·'))"
                + ".reduce((a, r) => a + r.getBBox().width, 0) / track;");
        assertThat(lostShare.doubleValue()).as("share of the strip drawn as lost").isLessThan(0.15);
        // labels that say what is counted: failures of every cause, energy with idle GPUs in it, a log count axis
        assertThat(browser.text(".cards")).contains("GPU and host failures (any cause)", "idle ones included");
        assertThat(browser.text("main")).contains("count axis logarithmic");

        assertThat(browser.console()).as("console errors and warnings").isEmpty();
        browser.fullScreenshot("report");
    }

    @Test
    void theDashboardServesTheReportsOwnStylesheetAndScript() throws Exception {
        Path data = Files.createDirectories(dir.resolve("controller"));
        try (GpufleetServer server = GpufleetServer.start(data, 0, Duration.ofSeconds(1))) {
            HttpClient http = HttpClient.newHttpClient();
            String base = "http://127.0.0.1:" + server.port();
            HttpResponse<String> css = http.send(HttpRequest.newBuilder(URI.create(base + "/ui/gpufleet.css")).build(),
                    HttpResponse.BodyHandlers.ofString());
            HttpResponse<String> js = http.send(HttpRequest.newBuilder(URI.create(base + "/ui/gpufleet.js")).build(),
                    HttpResponse.BodyHandlers.ofString());
            HttpResponse<String> page = http.send(HttpRequest.newBuilder(URI.create(base + "/")).build(),
                    HttpResponse.BodyHandlers.ofString());
            // one source: what the dashboard serves is what the report embeds
            assertThat(css.body()).isEqualTo(Style.css());
            assertThat(js.body()).isEqualTo(Script.js());
            assertThat(css.headers().firstValue("content-type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/css"));
            assertThat(page.body()).contains("href=\"/ui/gpufleet.css\"", "src=\"/ui/gpufleet.js\"")
                    .doesNotContain("http://", "https://");
        }
    }
}
