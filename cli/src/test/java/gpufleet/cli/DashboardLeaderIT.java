package gpufleet.cli;

import gpufleet.cli.deploy.Launcher;
import gpufleet.testkit.TestDatabases;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The dashboard of two controllers on one PostgreSQL database, each a process started with the shipped
 * launcher, in headless Chromium: the leader's page says it leads; the standby's names the leader and says
 * that changes go there (a cancel tried on it says where to make it); after the leader is killed with
 * {@code kill -9}, the standby's open page shows it leading, without a reload.
 */
class DashboardLeaderIT {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final HttpClient HTTP = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(Duration.ofSeconds(2)).build();

    @TempDir
    Path dir;
    private TestDatabases.TestDb db;
    private final List<Process> controllers = new ArrayList<>();

    @BeforeEach
    void database() {
        db = TestDatabases.fresh(TestDatabases.Kind.POSTGRESQL, dir);
    }

    @AfterEach
    void stop() {
        for (Process p : controllers) p.destroyForcibly();
        if (db != null) db.close();
    }

    @Test
    void theDashboardShowsWhichControllerLeadsAndFollowsATakeover() throws Exception {
        Browser browser = Browser.shared();
        String ctl1 = "http://127.0.0.1:" + freePort(), ctl2 = "http://127.0.0.1:" + freePort();
        Process leader = start("ctl1", ctl1);
        awaitRole(ctl1, "leader", 120);
        start("ctl2", ctl2);
        awaitRole(ctl2, "standby", 120);
        String token = Files.readString(dir.resolve("ctl1/admin-token")).strip();
        // a host registered as an agent would (none runs: what the job does is not this test's), for a job to cancel
        String join = post(ctl1, "/api/v1/tokens", token, "{\"name\":\"agents\",\"role\":\"join\"}").get("token").stringValue();
        post(ctl1, "/api/v1/hosts/register", join, "{\"name\":\"node-1\",\"gpus\":8,\"rack\":\"r1\",\"zone\":\"z1\"}");
        long job = post(ctl1, "/api/v1/jobs", token, "{\"name\":\"waits\",\"gpus\":8,\"command\":[\"true\"]}").get("id").longValue();

        browser.signIn(ctl1, token);
        browser.await("the leader's badge", 15, () -> browser.attr("#role", "data-role"), "leader"::equals);
        assertThat(browser.text("#role")).contains("leader");
        assertThat((Boolean) browser.js("return document.getElementById('ha-note').hidden")).isTrue();
        browser.screenshot("ha-leader");

        browser.open(ctl2 + "/jobs/" + job);
        browser.await("the standby's badge", 15, () -> browser.attr("#role", "data-role"), "standby"::equals);
        assertThat(browser.text("#role")).contains("standby").contains(ctl1);
        assertThat((Boolean) browser.js("return document.getElementById('ha-note').hidden")).isFalse();
        assertThat(browser.text("#ha-note")).contains("Standby").contains("Changes").contains("go to the leader").contains(ctl1);
        assertThat(browser.attr("#ha-note a[data-leader]", "href")).isEqualTo(ctl1 + "/jobs/" + job);
        // the leader keeps the logs: said, not a failed fetch that marks the whole page stale
        browser.await("the log box", 15, () -> browser.text("#rank-log-0"), t -> t != null && t.contains("The leader keeps the logs"));
        assertThat(browser.text("#live")).isNotEqualTo("stale");
        assertThat(browser.count("main.stale")).isZero();
        // a change tried here is not lost in a cross-origin redirect: the dialog names the leader
        browser.await("the cancel button", 15, () -> browser.count("#act-cancel"), n -> n == 1);
        browser.one("#act-cancel").click();
        browser.await("the confirmation", 5, () -> browser.count("dialog#confirm[open]"), n -> n == 1);
        browser.one("#confirm-yes").click();
        browser.await("the refusal naming the leader", 10, () -> browser.text("#confirm-problem"),
                t -> t != null && t.contains("standby") && t.contains(ctl1));
        assertThat(get(ctl1, "/api/v1/jobs/" + job, token).path("state").stringValue()).isNotEqualTo("CANCELLED");
        browser.screenshot("ha-standby");
        browser.one("#confirm-no").click();
        browser.mark();

        leader.destroyForcibly(); // SIGKILL: the lease runs out, the standby takes over
        browser.await("the standby's page to show it leads", 30, () -> browser.attr("#role", "data-role"), "leader"::equals);
        assertThat(browser.marked()).as("the page was not reloaded").isTrue();
        assertThat((Boolean) browser.js("return document.getElementById('ha-note').hidden")).isTrue();
        assertThat(browser.text("#role")).doesNotContain("standby");
        browser.screenshot("ha-took-over");
        browser.close();
    }

    private Process start(String name, String url) throws IOException {
        Process p = Launcher.start(dir, Map.of(), dir.resolve(name + ".log"), "server", "--db",
                db.jdbcUrl().replaceFirst("^jdbc:", ""), "--data-dir", dir.resolve(name).toString(), "--port",
                url.substring(url.lastIndexOf(':') + 1));
        controllers.add(p);
        return p;
    }

    private void awaitRole(String url, String role, int seconds) throws Exception {
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        String last = null;
        while (System.nanoTime() < deadline) {
            try {
                HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url + "/api/v1/healthz"))
                        .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
                last = r.body();
                if (r.statusCode() == 200 && role.equals(JSON.readTree(r.body()).path("role").stringValue(""))) return;
            } catch (IOException notYet) {
                last = notYet.toString();
            }
            Thread.sleep(200);
        }
        throw new AssertionError(url + " is not " + role + " after " + seconds + " s; last: " + last + "\n"
                + Files.readString(dir.resolve("ctl" + controllers.size() + ".log")));
    }

    private static JsonNode post(String url, String path, String token, String json) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url + path))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(path + ": " + r.body()).isBetween(200, 201);
        return JSON.readTree(r.body());
    }

    private static JsonNode get(String url, String path, String token) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url + path)).header("Authorization", "Bearer " + token)
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return JSON.readTree(r.body());
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
