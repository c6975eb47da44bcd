package gpufleet.cli;

import gpufleet.agent.gpu.SimulatedGpus;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;
import tools.jackson.databind.JsonNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The dashboard in a real browser (headless Chromium) against a running controller with two agents
 * as real processes. The tests share one fleet and one browser and build on each other, in order:
 * a job is submitted, runs, a host is drained, the job is restarted by a GPU error. Each main page
 * is kept as a screenshot in {@code target/screenshots}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DashboardBrowserTest {
    Path dir;
    TestFleet fleet;
    Browser browser;
    Path ckpt;
    long job;

    @BeforeAll
    void start() throws IOException {
        dir = Files.createTempDirectory("gpufleet-dashboard");
        browser = Browser.shared(); // first: without a browser there is nothing to test
        fleet = new TestFleet(dir);
        fleet.startAgent("host-a", "r1", 8);
        fleet.startAgent("host-b", "r2", 8);
        ckpt = Files.createDirectories(dir.resolve("ckpt"));
        fleet.awaitHosts(2);
    }

    @Test
    @Order(0)
    void aBrowserSeesNothingOfTheFleetUntilItSignsIn() {
        // whatever session an earlier test class left for this host (cookies are per host, not per port) ends
        browser.open(url("/")).js("return fetch('/api/v1/session', {method: 'DELETE'})");
        browser.open(url("/"));
        browser.await("the sign-in form", 15, () -> browser.count("#signin-token"), n -> n == 1);
        assertThat(browser.count("#heatmap button.host")).isZero();
        assertThat(browser.text("#main")).contains("Sign in").doesNotContain("host-a");
        browser.one("#signin-token").sendKeys("gft_0000000000_" + "a".repeat(43));
        browser.one("#signin button[type=submit]").click();
        browser.await("the refusal", 10, () -> browser.text("#signin-problem"), t -> t != null && t.contains("unknown token"));
        browser.signIn(fleet.url, fleet.adminToken);
        assertThat(browser.text("#who")).contains("admin");
        // the token went into an HttpOnly cookie: the page's own scripts cannot read it
        assertThat((String) browser.js("return document.cookie")).doesNotContain("gft_");
        // the refusals above are in the console as failed loads: expected here, and not the later tests' to see
        assertThat(browser.console()).allMatch(l -> l.contains("401"));
    }

    @AfterAll
    void stop() {
        try {
            if (browser != null) browser.close();
        } finally {
            if (fleet != null) fleet.close();
        }
    }

    private String url(String path) {
        return fleet.url + path;
    }

    private List<WebElement> hostCells() {
        return browser.all("#heatmap button.host");
    }

    private String cellState(String host) {
        return browser.attr("#heatmap button.host[data-host='" + host + "']", "data-state");
    }

    private String cellBackground(String host) {
        return (String) browser.js("return getComputedStyle(arguments[0]).backgroundImage;",
                browser.one("#heatmap button.host[data-host='" + host + "']"));
    }

    private void put(String path, String body) {
        try {
            var r = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                            java.net.URI.create(fleet.url + "/api/v1" + path)).header("Content-Type", "application/json")
                    .header("Authorization", "Bearer " + fleet.adminToken)
                    .PUT(java.net.http.HttpRequest.BodyPublishers.ofString(body)).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        } catch (IOException | InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    private String hostOf(long id) {
        return fleet.job(id).get("placement").get(0).get("host").stringValue();
    }

    @Test
    @Order(1)
    void theFleetPageShowsEveryRegisteredHost() {
        browser.open(url("/"));
        browser.await("two host cells", 15, () -> browser.count("#heatmap button.host"), n -> n == 2);
        assertThat(hostCells()).extracting(c -> c.getAttribute("data-host")).containsExactly("host-a", "host-b");
        assertThat(cellState("host-a")).isEqualTo("free");
        assertThat(browser.text("#hm-legend")).contains("busy", "free", "draining", "unhealthy", "down");
        assertThat(browser.text(".live")).isEqualTo("live");
    }

    @Test
    @Order(2)
    void aSubmittedJobAppearsAndStartsWithoutAReload() throws IOException {
        browser.open(url("/jobs"));
        browser.await("the jobs page", 15, () -> browser.text("#jobs-count"), t -> t.equals("0 jobs"));
        browser.mark();
        job = fleet.submit("llama-ft", 8, 8, 3, ckpt, "/bin/sh", fleet.trainScript().toString(), "100000", "0.2");
        String row = "#jobs-table tr[data-job='" + job + "']";
        browser.await("job " + job + " listed", 10, () -> browser.count(row), n -> n == 1);
        browser.await("job " + job + " running", 15, () -> browser.text(row + " .badge"), "running"::equals);
        assertThat(browser.text(row)).contains("llama-ft", "default");
        assertThat(browser.marked()).as("the page was not reloaded").isTrue();

        // filtering by state is a URL of its own
        browser.open(url("/jobs?state=pending"));
        browser.await("no pending jobs", 10, () -> browser.text("#jobs-count"), "0 jobs"::equals);
        browser.open(url("/jobs?state=running&team=default"));
        browser.await("the running job", 10, () -> browser.count(row), n -> n == 1);
        assertThat(browser.js("return document.getElementById('f-state').value;")).isEqualTo("running");
    }

    @Test
    @Order(3)
    void aDrainedHostChangesColourWithoutAReload() {
        String busy = hostOf(job);
        String idle = busy.equals("host-a") ? "host-b" : "host-a";
        browser.open(url("/"));
        browser.await("the job's host busy", 15, () -> cellState(busy), "busy"::equals);
        assertThat(cellState(idle)).isEqualTo("free");
        String before = cellBackground(idle);
        browser.mark();

        fleet.post("/hosts/" + idle + "/drain", "{\"reason\": \"cable swap\"}");
        browser.await(idle + " drawn as draining", 5, () -> cellState(idle), "draining"::equals);
        assertThat(cellBackground(idle)).as("its look changes, not only an attribute").isNotEqualTo(before);
        assertThat(browser.marked()).as("the page was not reloaded").isTrue();
        assertThat(browser.text("#hm-legend")).contains("draining 1");

        // the keyboard reaches every host: focus the first, move right, Enter shows it
        WebElement first = browser.one("#heatmap button.host[tabindex='0']");
        first.sendKeys(Keys.END);
        browser.await("the last host focused", 5, () -> browser.js("return document.activeElement.dataset.host;"), "host-b"::equals);
        browser.one("#heatmap button.host[data-host='host-b']").sendKeys(Keys.ARROW_LEFT);
        browser.await("the first host focused", 5, () -> browser.js("return document.activeElement.dataset.host;"), "host-a"::equals);
        browser.one("#heatmap button.host[data-host='host-a']").sendKeys(Keys.ENTER);
        browser.await("host-a's details", 5, () -> browser.text("#host-detail"), t -> t.contains("host-a") && t.contains("GPU 7"));
        // focus the host whose details make the screenshot worth keeping: the busy one
        browser.one("#heatmap button.host[data-host='" + busy + "']").click();
        browser.await(busy + "'s details", 5, () -> browser.text("#host-detail"), t -> t.contains("#" + job + " llama-ft"));
        browser.screenshot("fleet");
    }

    @Test
    @Order(4)
    void theJobPageShowsARestartAsItHappens() throws IOException {
        browser.open(url("/jobs/" + job)); // a deep link: the job page has its own URL
        browser.await("the job page", 15, () -> browser.text("#job-title"), t -> t.contains("llama-ft") && t.contains("running"));
        browser.await("rank 0's log", 15, () -> browser.text("#rank-log-0"), t -> t.contains("rank 0/8"));
        assertThat(browser.text("#card-restarts .v")).isEqualTo("0 / 3");
        String first = hostOf(job);
        String other = first.equals("host-a") ? "host-b" : "host-a";
        fleet.post("/hosts/" + other + "/resume", "{}"); // room to restart on
        browser.mark();

        fleet.await("a checkpoint", 30, () -> Files.exists(ckpt.resolve("step")), ok -> ok);
        SimulatedGpus.requestXid(fleet.agentWorkDir(first).resolve("inject"), 3, 79);
        browser.await("the restart on the job page", 15, () -> browser.text("#card-restarts .v"), "1 / 3"::equals);
        browser.await("the job running again", 15, () -> browser.text("#job-title"), t -> t.contains("running"));
        assertThat(browser.marked()).as("the page was not reloaded").isTrue();
        assertThat(browser.text("#job-events")).contains("RESTART", "GPU_FAILED", "XID 79");
        assertThat(browser.text("#job-failures")).contains("restart", first + " GPU 3");
        assertThat(browser.count("#job-timeline svg path.marker")).as("the interruption's marker").isPositive();
        assertThat(browser.text("#job-placement")).contains(other);
        browser.await("the restarted run's log", 20, () -> browser.text("#rank-log-0"), t -> t.contains("restart 1"));

        // times in the viewer's zone, UTC on hover
        assertThat(browser.attr("#card-submitted time", "title")).endsWith(" UTC");
        assertThat(browser.text("#card-submitted time")).doesNotContain("UTC").containsAnyOf("GMT+5:30", "IST");
        browser.fullScreenshot("job");
    }

    @Test
    @Order(5)
    void theSchedulerSaysWhyAJobWaitsAndTeamsShowUseAgainstQuota() {
        put("/teams/vision", "{\"quotaGpus\": 16}");
        // one host is free (the other runs the job, or is unhealthy): 16 GPUs cannot start
        JsonNode big = fleet.post("/jobs", "{\"name\":\"vit-huge\",\"team\":\"vision\",\"gpus\":16,\"tp\":8,"
                + "\"command\":[\"sleep\",\"600\"]}");
        long id = big.get("id").longValue();
        browser.open(url("/scheduler"));
        String row = "#queue tr[data-job='" + id + "']";
        browser.await("the waiting job", 15, () -> browser.count(row), n -> n == 1);
        browser.await("its reason", 15, () -> browser.text(row + " td.reason"),
                t -> !t.isBlank() && !t.equals("not yet considered"));
        assertThat(browser.text(row)).contains("vit-huge", "vision");
        browser.screenshot("scheduler");

        browser.open(url("/teams"));
        browser.await("the teams table", 15, () -> browser.count("#teams-table tbody tr"), n -> n == 2);
        String vision = browser.text("#teams-table");
        assertThat(vision).contains("vision", "16", "default");
        assertThat(browser.count("#usage-chart svg.chart")).isEqualTo(1);

        // sortable by keyboard: Enter on a header's button sorts by it
        WebElement byTeam = browser.one("#teams-table th:first-child button.sort");
        byTeam.sendKeys(Keys.ENTER);
        browser.await("sorted ascending", 5, () -> browser.attr("#teams-table th:first-child", "aria-sort"), "ascending"::equals);
        assertThat(browser.text("#teams-table tbody tr")).startsWith("default");
        browser.one("#teams-table th:first-child button.sort").sendKeys(Keys.ENTER);
        browser.await("sorted descending", 5, () -> browser.attr("#teams-table th:first-child", "aria-sort"), "descending"::equals);
        assertThat(browser.text("#teams-table tbody tr")).startsWith("vision");
        browser.screenshot("teams");

        browser.open(url("/jobs"));
        browser.await("both jobs", 10, () -> browser.count("#jobs-table tbody tr"), n -> n == 2);
        browser.screenshot("jobs");
        assertThat(browser.console()).as("console errors on the dashboard").isEmpty();
    }

    @Test
    @Order(6)
    void theRackViewDrawsOneCellPerRackAndListsItsHosts() {
        // what a fleet past the per-host limit gets; asked for here, as two hosts never reach it
        browser.open(url("/?view=racks"));
        browser.await("two rack cells", 15, () -> browser.count("#heatmap button.rackcell"), n -> n == 2);
        assertThat(browser.attr("#heatmap", "data-mode")).isEqualTo("racks");
        assertThat(browser.count("#heatmap button.host:not(.rackcell)")).isZero();
        browser.one("#heatmap button.rackcell[data-host='rack:z1/r1']").sendKeys(Keys.ENTER);
        browser.await("rack r1's hosts", 5, () -> browser.text("#host-detail"), t -> t.contains("Rack r1") && t.contains("host-a"));
        assertThat(browser.attr("#heatmap button.rackcell[data-host='rack:z1/r1']", "aria-label")).startsWith("rack r1 in zone z1: 1 ");
    }
}
