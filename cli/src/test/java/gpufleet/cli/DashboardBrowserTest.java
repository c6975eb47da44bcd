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

    /** Clicks what {@code css} finds, finding it again if the page redrew it in between (panels redraw on events). */
    private void click(String css) {
        browser.await("a click on " + css, 5, () -> {
            browser.one(css).click();
            return true;
        }, ok -> ok);
    }

    private String hostStatus(String name) {
        for (JsonNode h : fleet.get("/hosts")) if (h.get("name").stringValue().equals(name)) return h.get("status").stringValue();
        throw new AssertionError("no host " + name);
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
        assertThat(browser.text("#hm-legend")).contains("Hosts:", "draining 1");
        // the tile counts the drained host's idle GPUs, and says they are that host's
        browser.await("the draining tile", 5, () -> browser.text("#card-draining .v"), "8"::equals);
        assertThat(browser.text("#card-draining .s")).isEqualTo("idle GPUs on 1 drained host");
        assertThat(browser.text("#card-unhealthy .v")).isEqualTo("0");

        // a small fleet gets cells big enough to carry their host's name and GPUs in use, under their rack's name
        assertThat(browser.text("#heatmap button.host[data-host='" + busy + "']")).contains(busy, "8/8");
        assertThat(browser.text("#heatmap button.host[data-host='" + idle + "']")).contains(idle, "0/8");
        assertThat(browser.texts("#heatmap .rack-name")).containsExactly("r1", "r2");
        assertThat(((Number) browser.js("return document.querySelector('#heatmap button.host').getBoundingClientRect().height;"))
                .doubleValue()).isGreaterThanOrEqualTo(30);

        // the keyboard reaches every host, moving as drawn: racks are columns side by side, so Right is the next rack
        WebElement first = browser.one("#heatmap button.host[tabindex='0']");
        first.sendKeys(Keys.END);
        browser.await("the last host focused", 5, () -> browser.js("return document.activeElement.dataset.host;"), "host-b"::equals);
        browser.one("#heatmap button.host[data-host='host-b']").sendKeys(Keys.ARROW_LEFT);
        browser.await("the first host focused", 5, () -> browser.js("return document.activeElement.dataset.host;"), "host-a"::equals);
        browser.one("#heatmap button.host[data-host='host-a']").sendKeys(Keys.ARROW_DOWN); // host-a is alone in rack r1
        assertThat(browser.js("return document.activeElement.dataset.host;")).as("Down stays in the rack").isEqualTo("host-a");
        browser.one("#heatmap button.host[data-host='host-a']").sendKeys(Keys.ARROW_RIGHT);
        browser.await("the next rack's host focused", 5, () -> browser.js("return document.activeElement.dataset.host;"), "host-b"::equals);
        browser.one("#heatmap button.host[data-host='host-b']").sendKeys(Keys.ARROW_LEFT);
        browser.await("back in the first rack", 5, () -> browser.js("return document.activeElement.dataset.host;"), "host-a"::equals);
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
        // the work since the last checkpoint, thrown away by the XID, is drawn over the end of the first run
        browser.await("lost work on the timeline", 15, () -> (String) browser.js(
                "return document.querySelector('#job-timeline svg').textContent;"), t -> t.contains("lost work ·"));
        assertThat(browser.text("#job-timeline .legend")).contains("lost work");
        assertThat(browser.text("#card-team .s")).isEqualTo("normal priority");
        // tiles coloured by their values: one restart of three is a warning, not an alarm; rows carry short times
        assertThat(browser.attr("#card-restarts", "style")).contains("var(--orange)");
        assertThat(browser.texts("#events time")).allSatisfy(t -> assertThat(t).matches("\\d\\d:\\d\\d:\\d\\d"));
        assertThat(browser.attr("#events time", "title")).endsWith(" UTC");
        assertThat(browser.text("#job-cards")).contains("8 GPUs · TP 8").doesNotContain("priority 1");
        assertThat(browser.text("#job-placement")).contains(other);
        browser.await("the restarted run's log", 20, () -> browser.text("#rank-log-0"), t -> t.contains("restart 1"));
        // each run's output once: the same line twice would be the controller's copy repeating output
        String log = browser.text("#rank-log-0");
        for (String run : List.of("restart 0 from step", "restart 1 from step"))
            assertThat(log.lines().filter(l -> l.contains(run)).count()).as(run + " in\n" + log).isEqualTo(1);

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
        // when it should start, from the scheduler run forward: the running job has no time limit, so nobody knows
        browser.await("its expected start", 15, () -> browser.text(row + " td.start"), t -> t.startsWith("unknown"));
        assertThat(browser.text(row + " td.reason")).contains("needs 16 GPUs in groups of 8 on one host")
                .contains("no estimate");
        browser.screenshot("scheduler");
        browser.open(url("/jobs/" + id));
        browser.await("the job's expected start", 15, () -> browser.count("#job-expected-start"), n -> n == 1);
        assertThat(browser.text("#job-expected-start")).isEqualTo("Expected start: unknown: waits on jobs without a time limit");
        assertThat(browser.text("#job-reason")).startsWith("Waiting: ").contains("needs 16 GPUs");

        browser.open(url("/teams"));
        browser.await("the teams table", 15, () -> browser.count("#teams-table tbody tr"), n -> n == 2);
        String vision = browser.text("#teams-table");
        assertThat(vision).contains("vision", "16", "default");
        // a job that ran for seconds used a small fraction of a GPU-hour: said with its digits, not rounded to 0
        String defaultHours = (String) browser.js("const r = [...document.querySelectorAll('#teams-table tbody tr')]"
                + ".find(r => r.cells[0].innerText === 'default'); return r.cells[6].innerText;");
        assertThat(defaultHours).matches("0\\.0*[1-9][0-9]?");
        assertThat(browser.text("#team-cards")).doesNotContain("/20"); // one date format: no locale-formatted dates
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
        // the legend counts what is drawn: racks, by their worst host
        assertThat(browser.text("#hm-legend")).contains("Racks, each by its worst host");
        int racksCounted = 0;
        for (String st : List.of("busy", "free", "draining", "unhealthy", "down")) {
            var m = java.util.regex.Pattern.compile(st + " (\\d+)").matcher(browser.text("#hm-legend"));
            assertThat(m.find()).as(st).isTrue();
            racksCounted += Integer.parseInt(m.group(1));
        }
        assertThat(racksCounted).isEqualTo(2);
    }

    @Test
    @Order(7)
    void oneStateModelTheTilesCountWhatTheHostPanelSays() {
        // the host that had the XID is out of service: unhealthy, everywhere, and its idle GPUs with it
        browser.open(url("/"));
        browser.await("the XID host unhealthy", 15, () -> browser.count("#heatmap button.host[data-state='unhealthy']"), n -> n == 1);
        String bad = browser.attr("#heatmap button.host[data-state='unhealthy']", "data-host");
        browser.await("the unhealthy tile", 10, () -> browser.text("#card-unhealthy .v"), "8"::equals);
        assertThat(browser.text("#card-unhealthy .s")).isEqualTo("out of service on 1 host with GPU errors");
        assertThat(browser.text("#card-draining .v")).as("no idle GPU of the XID host counted as draining").isEqualTo("0");
        browser.one("#heatmap button.host[data-host='" + bad + "']").click();
        browser.await(bad + "'s panel", 5, () -> browser.text("#host-detail"), t -> t.contains("GPU 7"));
        String panel = browser.text("#host-detail");
        assertThat(browser.text("#host-state")).isEqualTo("unhealthy");
        assertThat(panel).doesNotContain("DRAINING").doesNotContain("status ").contains("(reported an error)", "(its host is out of service)");
        // the agent's readings and the XID, from its heartbeats
        browser.await(bad + "'s telemetry", 15, () -> browser.count("#host-tel tbody tr"), n -> n == 8);
        assertThat(browser.texts("#host-tel thead th")).containsExactly("GPU", "Util %", "Mem GB", "W", "°C", "ECC");
        assertThat(browser.text("#host-tel tbody tr[data-gpu='0'] td:nth-child(3)")).matches("\\d+(\\.\\d)? / \\d+");
        // no panel clips its table: every column is inside the panel
        assertThat((Boolean) browser.js("const t = document.getElementById('host-tel'); return t.scrollWidth <= t.parentNode.clientWidth + 1;"))
                .isTrue();
        browser.await(bad + "'s XID", 10, () -> browser.text("#host-xids"), t -> t.contains("GPU 3 · XID 79"));
    }

    @Test
    @Order(8)
    void anAdminDrainsAndResumesAHostAndCancelsAJobAfterConfirmingAndTheActorIsShown() {
        String who = fleet.get("/whoami").get("name").stringValue();
        String host = hostOf(job);
        browser.open(url("/?host=" + host));
        browser.await(host + "'s panel with its drain button", 15, () -> browser.count("#act-drain"), n -> n == 1);
        click("#act-drain");
        browser.await("the confirmation", 5, () -> browser.count("dialog#confirm[open]"), n -> n == 1);
        // changing one's mind changes nothing
        click("#confirm-no");
        browser.await("the confirmation closed", 5, () -> browser.count("dialog#confirm"), n -> n == 0);
        assertThat(hostStatus(host)).isEqualTo("UP");

        click("#act-drain");
        browser.await("the confirmation", 5, () -> browser.count("dialog#confirm[open]"), n -> n == 1);
        browser.one("#confirm-reason").sendKeys("swap the NIC");
        click("#confirm-yes");
        browser.await(host + " draining", 10, () -> cellState(host), "draining"::equals);
        assertThat(hostStatus(host)).isEqualTo("DRAINING");
        browser.await("who drained it", 10, () -> browser.text("#host-detail"), t -> t.contains("drained by " + who));
        assertThat(browser.text("#host-detail")).contains("swap the NIC");
        JsonNode audit = fleet.get("/audit?limit=1000");
        List<String> actions = new java.util.ArrayList<>();
        for (JsonNode e : audit) actions.add(e.get("actor").stringValue() + " " + e.get("action").stringValue() + " " + e.get("status").intValue());
        assertThat(actions).contains(who + " POST /api/v1/hosts/" + host + "/drain 200");
        browser.await("the resume button", 10, () -> browser.count("#act-resume"), n -> n == 1);
        click("#act-resume");
        browser.await("the confirmation", 5, () -> browser.count("dialog#confirm[open]"), n -> n == 1);
        click("#confirm-yes");
        browser.await("who resumed it", 10, () -> browser.text("#host-detail"), t -> t.contains("resumed by " + who));
        // the busy host's GPUs run the job: the simulated backend reads them as busy (88-99%)
        browser.await("busy GPUs' utilization", 25, () -> browser.text("#host-tel tbody tr[data-gpu='0'] td:nth-child(2)"),
                t -> t != null && t.strip().matches("8[89]|9\\d"));
                // the README's picture: a window tall enough for the whole host panel, telemetry and all
        var size = browser.driver.manage().window().getSize();
        browser.driver.manage().window().setSize(new org.openqa.selenium.Dimension(1400, 1400));
        try {
            browser.await("the panel redrawn at this size", 5, () -> browser.count("#host-tel tbody tr"), n -> n == 8);
            browser.screenshot("dashboard-fleet");
        } finally {
            browser.driver.manage().window().setSize(size);
        }

        // cancel the job from its page; its lost time then stands still, and its page says where it last ran
        browser.open(url("/jobs/" + job));
        browser.await("the cancel button", 15, () -> browser.count("#act-cancel"), n -> n == 1);
        click("#act-cancel");
        browser.await("the confirmation", 5, () -> browser.count("dialog#confirm[open]"), n -> n == 1);
        click("#confirm-yes");
        browser.await("cancelled by " + who, 15, () -> browser.text("#job-actions"), t -> t.contains("cancelled by " + who));
        assertThat(browser.text("#job-title")).contains("cancelled");
        assertThat(browser.count("#act-cancel")).isZero();
        browser.await("where it last ran", 10, () -> browser.text("#job-placement"), t -> t.contains("Its last run"));
        assertThat(browser.text("#job-placement")).contains(host).contains("ended by cancelled").doesNotContain("Holds no GPUs now.");
        double lost = fleet.job(job).get("lostSeconds").doubleValue();
        String card = browser.text("#card-restarts .s");
        // time passes (what the bug needed: lost time grew with the clock after the end), then the page redraws
        long t0 = System.nanoTime();
        browser.await("3 s to pass", 10, () -> System.nanoTime() - t0 > 3e9, ok -> ok);
        String loaded = browser.attr("#main", "data-loaded");
        browser.js("window.gpufleetDashboard.refresh();");
        browser.await("a redraw", 10, () -> browser.attr("#main", "data-loaded"), l -> !l.equals(loaded));
        assertThat(fleet.job(job).get("lostSeconds").doubleValue()).as("lost time after the end").isEqualTo(lost);
        assertThat(browser.text("#card-restarts .s")).isEqualTo(card);
        browser.fullScreenshot("job-cancelled");
    }

    @Test
    @Order(9)
    void aViewerIsToldItsTokenCannotReadLogsAndNothingIsRefused() {
        String viewer = fleet.post("/tokens", "{\"name\":\"wall-screen\",\"role\":\"viewer\"}").get("token").stringValue();
        browser.signIn(fleet.url, viewer);
        browser.open(url("/jobs/" + job));
        browser.await("the job page", 15, () -> browser.text("#job-title"), t -> t.contains("llama-ft"));
        browser.await("the logs explained", 10, () -> browser.text("#job-logs"), t -> t.contains("Your token cannot read this job's logs"));
        assertThat(browser.text("#job-logs")).doesNotContain("no output yet").doesNotContain("bytes");
        assertThat((Long) browser.js("return performance.getEntriesByType('resource').filter(e => e.name.includes('/logs/')).length;"))
                .as("the page never asks").isZero();
        assertThat(browser.count("#act-cancel")).as("a viewer gets no buttons").isZero();
        JsonNode refused = fleet.get("/audit?limit=1000&actor=wall-screen");
        assertThat(refused.findValues("status").stream().map(JsonNode::intValue)).doesNotContain(403);
        assertThat(browser.console()).isEmpty();
        browser.signIn(fleet.url, fleet.adminToken);
    }

    @Test
    @Order(10)
    void theHistoryPageDrawsTheFleetOverTimeForTheRangeAsked() {
        browser.open(url("/history?range=1h"));
        browser.await("the history's charts", 20, () -> browser.count("#history-allocation svg.chart"), n -> n == 1);
        assertThat(browser.text("#history-meta")).matches("\\d+ points, one every 10 s .*");
        assertThat(browser.attr("#range-picker button[data-range='1h']", "aria-pressed")).isEqualTo("true");
        // the job of team default ran in this hour; vision's waited and never ran
        assertThat(browser.text("#history-teams .legend")).contains("default");
        assertThat(browser.count("#history-queue svg.chart")).isEqualTo(1);
        browser.fullScreenshot("history");
        browser.one("#range-picker button[data-range='7d']").click();
        browser.await("the 7-day range", 10, () -> (String) browser.js("return location.search;"), "?range=7d"::equals);
        assertThat(browser.attr("#range-picker button[data-range='7d']", "aria-pressed")).isEqualTo("true");
        browser.await("redrawn", 10, () -> browser.text("#history-meta"), t -> t.contains("points"));
        assertThat(browser.console()).isEmpty();
    }

    @Test
    @Order(11)
    void whenTheControllerStopsAnsweringTheFiguresSayStaleAndGreyUntilItIsBack() {
        browser.open(url("/"));
        browser.await("the tiles", 15, () -> browser.count("#fleet-cards .card"), n -> n > 0);
        String busy = browser.text("#card-busy .v");
        fleet.server.crash();
        try {
            browser.await("the stale notice", 20, () -> browser.text("#problem"), t -> t.startsWith("Stale since "));
            assertThat(browser.text("#problem")).matches("Stale since \\d\\d:\\d\\d:\\d\\d: the controller did not answer .*");
            assertThat(browser.attr("#main", "class")).contains("stale");
            assertThat(browser.js("return getComputedStyle(document.querySelector('#card-busy .v')).opacity;")).isEqualTo("0.5");
            assertThat(browser.text("#card-busy .v")).as("the last figures stay, greyed").isEqualTo(busy);
            assertThat(browser.text("#live")).isEqualTo("stale");
            browser.screenshot("stale");
        } finally {
            fleet.restartController();
        }
        browser.await("fresh again", 30, () -> browser.text("#problem").isEmpty() && !browser.attr("#main", "class").contains("stale"), ok -> ok);
        browser.console(); // the failed loads while it was away are expected
    }
}
