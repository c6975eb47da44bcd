package gpufleet.cli;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * {@code gpufleet replay}'s pages in the browser: the comparison page shows the CLI's table cell for
 * cell, a JCT and a wait distribution with every policy on one chart, allocation over time per policy,
 * and only the panels the run has something for; each policy's own report uses the table's
 * definitions (its window, its wait), is titled with the trace's file name and shows no cost or failure
 * panels for a run without prices or failures.
 */
class ReplayComparisonBrowserTest {
    @TempDir
    Path dir;
    Browser browser;

    @AfterEach
    void stop() {
        if (browser != null) browser.close();
    }

    @Test
    void theComparisonPageShowsTheTablesFiguresAndOnlyThePanelsThatApply() throws Exception {
        Path trace = CliTest.tiresiasCut();
        Path out = dir.resolve("replay");
        var r = CliTest.run("replay", "--trace", trace.toString(), "--fleet", "hosts:32x8", "--policy", "fifo,srtf,las",
                "--out", out.toString());
        assertThat(r.code()).as(r.err()).isZero();
        Path page = out.resolve("compare.html");
        assertThat(r.out()).contains(page.toString());
        assertThat(page).exists();

        browser = Browser.shared();
        browser.open(page.toUri().toString());
        browser.await("the page", 10, () -> browser.js("return document.readyState;"), "complete"::equals);
        assertThat(browser.text("h1")).isEqualTo("Policies on " + trace.getFileName()).doesNotContain("/");

        // the CLI's table, cell for cell: each row, spaces collapsed, is a line the CLI printed
        List<String> printed = r.out().lines().map(l -> l.strip().replaceAll("\\s+", " ")).toList();
        List<List<String>> rows = new ArrayList<>();
        for (WebElement tr : browser.all("#policies tbody tr"))
            rows.add(tr.findElements(org.openqa.selenium.By.tagName("td")).stream().map(WebElement::getText).toList());
        assertThat(rows).extracting(row -> row.getFirst()).containsExactly("fifo", "srtf", "las");
        for (List<String> row : rows)
            assertThat(printed).contains(String.join(" ", row).strip().replaceAll("\\s+", " "));

        // one chart each for JCT and wait with every policy on it, and allocation over time per policy
        for (String id : List.of("#dist-jct", "#dist-wait", "#allocation")) {
            assertThat(browser.text(id + " .legend")).as(id).contains("fifo", "srtf", "las");
            Number lines = (Number) browser.js("return Array.from(document.querySelectorAll(arguments[0] + ' svg.chart path'))"
                    + ".filter(e => { const b = e.getBBox(); return b.width > 50; }).length;", id);
            assertThat(lines.intValue()).as(id + " lines drawn").isGreaterThanOrEqualTo(3);
        }
        assertThat(browser.all("svg.chart rect.nodata")).isEmpty();
        // only the panels that apply: no failures were simulated; preemptions only where a policy preempted
        List<String> headings = browser.texts("h2");
        assertThat(headings).doesNotContain("Interruptions by policy");
        boolean preempted = rows.stream().anyMatch(row -> !row.get(14).equals("0"));
        assertThat(headings.contains("Preemptions by policy")).isEqualTo(preempted);

        // sortable like the CLI's columns: by mean JCT
        browser.one("#policies th:nth-child(2) button.sort").sendKeys(Keys.ENTER);
        browser.await("sorted by JCT", 5, () -> browser.attr("#policies th:nth-child(2)", "aria-sort"), "ascending"::equals);
        assertThat(browser.console()).isEmpty();
        browser.fullScreenshot("replay-compare");

        // each policy's own report: the table's numbers (window, wait), the trace's name, no empty panels
        JsonMapper json = JsonMapper.builder().build();
        for (String policy : List.of("fifo", "srtf")) {
            JsonNode rep = json.readTree(Files.readString(out.resolve(policy).resolve("report.json")));
            // the table is sorted by now: find the policy's row by its name
            String find = "const r = [...document.querySelectorAll('#policies tbody tr')].find(r => r.cells[0].innerText.trim() === arguments[0]);"
                    + " return r.cells[arguments[1]].getAttribute('data-sort');";
            double p99Wait = Double.parseDouble((String) browser.js(find, policy, 5));
            double alloc = Double.parseDouble((String) browser.js(find, policy, 7));
            assertThat(rep.get("queueWait").get("p99").doubleValue()).as(policy + " p99 wait").isCloseTo(p99Wait, within(1e-6));
            assertThat(rep.get("headline").get("meanAllocation").doubleValue()).as(policy + " allocation").isCloseTo(alloc, within(1e-9));
            assertThat(rep.get("scenario").get("workload").stringValue()).isEqualTo(trace.getFileName().toString());
        }
        browser.open(out.resolve("fifo").resolve("report.html").toUri().toString());
        browser.await("fifo's report", 10, () -> browser.js("return document.readyState;"), "complete"::equals);
        assertThat(browser.text("h1")).isEqualTo(trace.getFileName() + " on hosts:32x8 · fifo");
        String cards = browser.text(".cards");
        assertThat(cards).contains("JCT", "Wait", "Allocation").doesNotContain("Cost").doesNotContain("Energy")
                .doesNotContain("Goodput").doesNotContain("Interruptions");
        assertThat(browser.texts("h2")).contains("Wait and JCT").doesNotContain("Interruptions by cause", "Large jobs");
        assertThat(browser.text("table.dist")).contains("JCT", "Wait");
        assertThat(browser.all("svg.chart rect.nodata")).isEmpty();
        assertThat(browser.console()).isEmpty();
        browser.fullScreenshot("replay-fifo");
    }
}
