package gpufleet.cli;

import gpufleet.server.GpufleetServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/** The controller commands against a real controller in this JVM, as a user runs them. */
class ControllerCommandsTest {
    static final JsonMapper JSON = JsonMapper.builder().build();

    @TempDir
    Path dir;
    GpufleetServer server;
    String url;
    final HttpClient http = HttpClient.newHttpClient();

    String adminToken;
    String joinToken;
    /** Host name → the credential its registration returned: what that host's agent would present. */
    final Map<String, String> credentials = new HashMap<>();

    @BeforeEach
    void start() throws Exception {
        server = GpufleetServer.start(dir, 0, Duration.ofMillis(200));
        url = "http://127.0.0.1:" + server.port();
        adminToken = java.nio.file.Files.readString(dir.resolve("admin-token")).strip();
        joinToken = api("POST", "/tokens", "{\"name\":\"agents\",\"role\":\"join\"}").get("token").stringValue();
        for (String host : List.of("node-a", "node-b")) {
            JsonNode h = api("POST", "/hosts/register", "{\"name\":\"" + host + "\",\"gpus\":8,\"rack\":\"r1\",\"zone\":\"z1\"}");
            credentials.put(host, h.get("credential").stringValue());
        }
    }

    @AfterEach
    void stop() {
        server.close();
    }

    /** Runs {@code gpufleet COMMAND --server URL --token ADMIN ARGS...}. */
    CliTest.Run cli(String command, String... args) {
        List<String> all = new ArrayList<>(List.of(command, "--server", url, "--token", adminToken));
        all.addAll(Arrays.asList(args));
        return CliTest.run(all.toArray(String[]::new));
    }

    /** The token a well-behaved caller presents: the join token to register, a host's credential to ship its logs. */
    String tokenFor(String method, String path) {
        if (path.equals("/hosts/register")) return joinToken;
        if (method.equals("POST") && path.matches("/jobs/\\d+/logs/.*")) {
            JsonNode job = api("GET", path.substring(0, path.indexOf("/logs/")), "");
            return credentials.get(job.get("placement").get(0).get("host").stringValue());
        }
        return adminToken;
    }

    HttpResponse<byte[]> send(String method, String path, byte[] body) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create(url + "/api/v1" + path))
                    .header("Authorization", "Bearer " + tokenFor(method, path))
                    .method(method, HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    JsonNode api(String method, String path, String body) {
        var r = send(method, path, body.getBytes(StandardCharsets.UTF_8));
        assertThat(r.statusCode()).as("%s %s: %s", method, path, new String(r.body(), StandardCharsets.UTF_8))
                .isBetween(200, 299);
        return JSON.readTree(r.body());
    }

    JsonNode awaitState(long id, String state) {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (true) {
            JsonNode j = api("GET", "/jobs/" + id, "");
            if (j.get("state").stringValue().equals(state)) return j;
            if (System.nanoTime() > deadline) throw new AssertionError("job " + id + " is " + j.get("state") + ", not " + state);
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
    }

    long submit(String name, int gpus, String... more) {
        List<String> args = new ArrayList<>(List.of("--name", name, "--gpus", Integer.toString(gpus)));
        args.addAll(Arrays.asList(more));
        if (!args.contains("--")) args.addAll(List.of("--", "python", "train.py"));
        var r = cli("submit", args.toArray(String[]::new));
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).matches("submitted job \\d+\\R");
        return Long.parseLong(r.out().strip().substring("submitted job ".length()));
    }

    /** The table's rows as cells, header first. */
    static List<String[]> rows(String table) {
        List<String[]> out = new ArrayList<>();
        for (String line : table.split("\\R")) if (!line.isBlank()) out.add(line.strip().split("\\s{2,}"));
        return out;
    }

    static String[] row(String table, String first) {
        return rows(table).stream().filter(r -> r[0].equals(first)).findFirst()
                .orElseThrow(() -> new AssertionError("no row " + first + " in\n" + table));
    }

    static void assertOneLineError(CliTest.Run r, String... parts) {
        assertThat(r.code()).as(r.out()).isEqualTo(2);
        assertThat(r.err()).startsWith("gpufleet: ").doesNotContain("\tat ").doesNotContain("Exception");
        assertThat(r.err().strip().lines().count()).as(r.err()).isEqualTo(1);
        for (String p : parts) assertThat(r.err()).contains(p);
    }

    @Test
    void submitSendsEveryOptionAndQueueShowsTheJobRunningOnItsGpus() {
        long id = submit("llama", 12, "--tp", "4", "--pp", "3", "--priority", "high", "--max-restarts", "5",
                "--checkpoint-dir", "/ckpt/llama", "--", "python", "train.py", "--lr", "3e-4");
        JsonNode stored = awaitState(id, "RUNNING");
        assertThat(stored.get("command").valueStream().map(JsonNode::stringValue))
                .containsExactly("python", "train.py", "--lr", "3e-4");
        assertThat(stored.get("tp").intValue()).isEqualTo(4);
        assertThat(stored.get("pp").intValue()).isEqualTo(3);
        assertThat(stored.get("cp").intValue()).isEqualTo(1);
        assertThat(stored.get("priority").intValue()).isEqualTo(2);
        assertThat(stored.get("maxRestarts").intValue()).isEqualTo(5);
        assertThat(stored.get("checkpointDir").stringValue()).isEqualTo("/ckpt/llama");
        assertThat(stored.get("team").stringValue()).isEqualTo("default");

        var q = cli("queue");
        assertThat(q.code()).as(q.err()).isZero();
        assertThat(rows(q.out()).getFirst()).containsExactly("ID", "NAME", "TEAM", "STATE", "GPUS", "TIME", "START",
                "REASON");
        String[] r = row(q.out(), Long.toString(id));
        assertThat(r).hasSize(8);
        assertThat(r[1]).isEqualTo("llama");
        assertThat(r[2]).isEqualTo("default");
        assertThat(r[3]).isEqualTo("RUNNING");
        assertThat(r[4]).isEqualTo("12");
        assertThat(r[5]).matches("\\d+:\\d\\d");

        var json = cli("queue", "-o", "json");
        assertThat(json.code()).as(json.err()).isZero();
        JsonNode jobs = JSON.readTree(json.out());
        assertThat(jobs.isArray()).isTrue();
        assertThat(jobs.size()).isEqualTo(1);
        assertThat(jobs.get(0).get("state").stringValue()).isEqualTo("RUNNING");
        assertThat(jobs.get(0).get("placement").isEmpty()).isFalse();

        var submitJson = cli("submit", "-o", "json", "--name", "second", "--gpus", "1", "--", "sleep", "1");
        assertThat(JSON.readTree(submitJson.out()).get("name").stringValue()).isEqualTo("second");
    }

    @Test
    void queueHidesEndedJobsUnlessAskedAndFiltersByTeamAndState() {
        long a = submit("a", 8);
        long b = submit("b", 8);
        awaitState(b, "RUNNING");
        var c = cli("cancel", Long.toString(a));
        assertThat(c.code()).as(c.err()).isZero();
        assertThat(c.out().strip()).isEqualTo("cancelled job " + a);
        assertThat(api("GET", "/jobs/" + a, "").get("state").stringValue()).isEqualTo("CANCELLED");

        var live = cli("queue").out();
        assertThat(rows(live)).hasSize(2);
        row(live, Long.toString(b));
        var all = cli("queue", "--all").out();
        assertThat(row(all, Long.toString(a))[3]).isEqualTo("CANCELLED");
        assertThat(rows(all)).hasSize(3);
        var cancelled = cli("queue", "--state", "CANCELLED").out();
        assertThat(rows(cancelled)).hasSize(2);
        assertThat(rows(cancelled).get(1)[0]).isEqualTo(Long.toString(a));
        assertThat(rows(cli("queue", "--team", "vision").out())).as("only the header").hasSize(1);

        var again = cli("cancel", Long.toString(a));
        assertOneLineError(again, "job " + a + " is already CANCELLED (field id)");
        assertOneLineError(cli("queue", "--state", "SLEEPING"), "unknown state 'SLEEPING' (field state)");
    }

    @Test
    void aWaitingJobShowsWhyAndHowLongItHasWaited() throws Exception {
        long big = submit("big", 16, "--tp", "8");
        awaitState(big, "RUNNING");
        long waiting = submit("waiting", 8, "--tp", "8");
        server.controller().cycle();
        String[] r = row(cli("queue").out(), Long.toString(waiting));
        assertThat(r[3]).isEqualTo("PENDING");
        assertThat(r[6]).as("the running job has no time limit").isEqualTo("unknown");
        assertThat(r[7]).startsWith("waiting for free GPUs").contains("needs 8 GPUs in groups of 8 on one host, 0 free")
                .endsWith("no estimate: 1 job runs without a time limit");
    }

    @Test
    void aWaitingJobBehindATimeLimitShowsWhenItShouldStart() {
        long big = submit("big", 16, "--tp", "8", "--time-limit", "2h");
        double end = awaitState(big, "RUNNING").get("estimatedEnd").doubleValue();
        long waiting = submit("waiting", 8, "--tp", "8", "--time-limit", "30m");
        server.controller().cycle();
        String[] r = row(cli("queue").out(), Long.toString(waiting));
        assertThat(Fmt.time(end)).as("START is the running job's end, with its date when not today's").endsWith(r[6]);
        assertThat(r[6]).matches("(\\d{4}-\\d\\d-\\d\\d )?\\d\\d:\\d\\d:\\d\\d");
        assertThat(r[7]).contains("needs 8 GPUs");

        JsonNode jobs = JSON.readTree(cli("queue", "-o", "json").out());
        JsonNode w = null;
        for (JsonNode j : jobs) if (j.get("id").longValue() == waiting) w = j;
        assertThat(w).isNotNull();
        assertThat(w.get("expectedStart").doubleValue()).isEqualTo(end);
        assertThat(w.get("startOutcome").stringValue()).isEqualTo("STARTS");
        assertThat(w.get("waitReason").stringValue()).isEqualTo(r[7]);
    }

    @Test
    void nodesCountTheGpusThatRunningJobsHold() {
        long id = submit("j", 12, "--tp", "4");
        JsonNode job = awaitState(id, "RUNNING");
        Map<String, Integer> held = new HashMap<>();
        for (JsonNode p : job.get("placement")) held.merge(p.get("host").stringValue(), p.get("gpus").size(), Integer::sum);

        var n = cli("nodes");
        assertThat(n.code()).as(n.err()).isZero();
        assertThat(rows(n.out()).getFirst()).containsExactly("HOST", "RACK", "ZONE", "STATE", "GPUS", "FREE", "USED",
                "UNHEALTHY", "LAST-HEARTBEAT", "REASON");
        int used = 0;
        for (String host : List.of("node-a", "node-b")) {
            String[] r = row(n.out(), host);
            assertThat(r[1]).isEqualTo("r1");
            assertThat(r[2]).isEqualTo("z1");
            assertThat(r[3]).isEqualTo("UP");
            assertThat(r[4]).isEqualTo("8");
            assertThat(r[6]).isEqualTo(Integer.toString(held.getOrDefault(host, 0)));
            assertThat(r[5]).isEqualTo(Integer.toString(8 - held.getOrDefault(host, 0)));
            assertThat(r[7]).isEqualTo("0");
            assertThat(r[8]).matches("\\d+:\\d\\d ago");
            used += Integer.parseInt(r[6]);
        }
        assertThat(used).isEqualTo(12);

        JsonNode hosts = JSON.readTree(cli("nodes", "-o", "json").out());
        assertThat(hosts.findValuesAsString("name")).containsExactly("node-a", "node-b");
    }

    @Test
    void jobShowsItsFieldsPlacementAndEventsAndListsInterruptionsUnderRestarts() {
        long low = submit("low", 16, "--tp", "8", "--priority", "low", "--", "torchrun", "train.py", "--name", "a b");
        JsonNode j = awaitState(low, "RUNNING");
        var d = cli("job", Long.toString(low));
        assertThat(d.code()).as(d.err()).isZero();
        assertThat(d.out()).contains("job          " + low + "  low\n")
                .contains("state        RUNNING\n")
                .contains("gpus         16  (tp 8, pp 1, cp 1)\n")
                .contains("priority     low\n")
                .contains("command      torchrun train.py --name 'a b'\n")
                .contains("ettr         100.0%\n")
                .contains("lost time    0:00\n")
                .contains("restarts: 0 of at most 3\n");
        for (JsonNode p : j.get("placement"))
            assertThat(d.out()).contains("  " + p.get("host").stringValue() + "  GPUs 0-7\n");
        assertThat(d.out().substring(d.out().indexOf("events:"))).contains("SUBMITTED").contains("STARTED");

        // a high-priority job takes the GPUs: the low one is preempted, which its restarts list
        long high = submit("high", 8, "--tp", "8", "--priority", "high");
        awaitState(high, "RUNNING");
        String after = cli("job", Long.toString(low)).out();
        String restarts = after.substring(after.indexOf("restarts:"), after.indexOf("events:"));
        assertThat(restarts).contains("PREEMPTED").contains("for job " + high).doesNotContain("SUBMITTED");

        JsonNode json = JSON.readTree(cli("job", Long.toString(low), "-o", "json").out());
        assertThat(json.get("events").findValuesAsString("kind")).contains("SUBMITTED", "STARTED", "PREEMPTED");
        assertOneLineError(cli("job", "999"), "no job 999 (field id)");
    }

    @Test
    void drainAndResumeChangeTheHostAndAnUnknownHostIsAnError() {
        var d = cli("drain", "node-a", "--reason", "XID 79 on GPU 3");
        assertThat(d.code()).as(d.err()).isZero();
        assertThat(d.out().strip()).isEqualTo("draining host node-a: XID 79 on GPU 3");
        assertThat(row(cli("nodes").out(), "node-a")[3]).isEqualTo("DRAINING");
        long id = submit("j", 16, "--tp", "8");
        server.controller().cycle();
        assertThat(api("GET", "/jobs/" + id, "").get("state").stringValue()).as("a drained host takes no work")
                .isEqualTo("PENDING");

        var r = cli("resume", "node-a");
        assertThat(r.out().strip()).isEqualTo("resumed host node-a (UP)");
        awaitState(id, "RUNNING");
        assertThat(JSON.readTree(cli("drain", "node-b", "-o", "json").out()).get("status").stringValue())
                .isEqualTo("DRAINING");
        assertOneLineError(cli("drain", "nope"), "no host nope (field name)");
        assertOneLineError(cli("resume", "a/../b"), "(field name)");
    }

    @Test
    void aSubmitTheControllerRefusesPrintsItsMessageAndExits2() {
        assertOneLineError(cli("submit", "--name", "x", "--gpus", "16", "--tp", "16", "--", "x"),
                "gpufleet: tensor-parallel group of 16 GPUs is larger than the largest host (8 GPUs) (field tp)");
        assertOneLineError(cli("submit", "--name", "x", "--gpus", "8", "--team", "nope", "--", "x"),
                "gpufleet: unknown team 'nope' (field team)");
        assertOneLineError(cli("submit", "--name", "x", "--gpus", "8", "--priority", "urgent", "--", "x"),
                "unknown priority 'urgent'");
        var noCommand = cli("submit", "--name", "x", "--gpus", "8");
        assertThat(noCommand.code()).isEqualTo(2);
        assertThat(noCommand.err()).contains("COMMAND").doesNotContain("\tat ");
        assertThat(api("GET", "/jobs", "").isEmpty()).as("nothing was submitted").isTrue();
    }

    @Test
    void anUnreachableControllerIsOneClearLine() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        String nowhere = "http://127.0.0.1:" + port;
        assertOneLineError(CliTest.run("queue", "--server", nowhere),
                "gpufleet: cannot reach the controller at " + nowhere + ": connection refused");
        assertOneLineError(CliTest.run("nodes", "--server", "ftp://example.org"), "--server must be an http");
    }

    @Test
    void aListOfControllersIsTriedInTurnAndNoneReachableIsOneLine() throws Exception {
        String nowhere, elsewhere;
        try (ServerSocket a = new ServerSocket(0); ServerSocket b = new ServerSocket(0)) {
            nowhere = "http://127.0.0.1:" + a.getLocalPort();
            elsewhere = "http://127.0.0.1:" + b.getLocalPort();
        }
        // the first cannot be reached: the next one answers, a read and a change alike
        var r = CliTest.run("nodes", "--server", nowhere + "," + url, "--token", adminToken);
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("node-a");
        var sub = CliTest.run("submit", "--server", nowhere + ", " + url + "/", "--token", adminToken, "--name", "x",
                "--gpus", "1", "--", "true");
        assertThat(sub.code()).as(sub.err()).isZero();
        assertOneLineError(CliTest.run("queue", "--server", nowhere + "," + elsewhere, "--token", adminToken),
                "gpufleet: cannot reach any of the controllers: " + nowhere + ": connection refused; " + elsewhere
                        + ": connection refused");
        assertOneLineError(CliTest.run("nodes", "--server", url + ",ftp://example.org"), "--server must be an http");
    }

    @Test
    void theServerUrlComesFromTheFlagThenTheEnvironmentThenTheDefault() {
        Map<String, String> noConfig = Map.of("GPUFLEET_CONFIG", dir.resolve("no-config").toString());
        Map<String, String> env = new HashMap<>(noConfig);
        env.put("GPUFLEET_SERVER", "http://b:2");
        assertThat(Credentials.resolve("http://a:1", null, null, env, dir).server()).isEqualTo("http://a:1");
        assertThat(Credentials.resolve(null, null, null, env, dir).server()).isEqualTo("http://b:2");
        assertThat(Credentials.resolve(null, null, null, noConfig, dir).server()).isEqualTo("http://localhost:8080");
        // the API prefix may be given or not
        var r = CliTest.run("nodes", "--server", url + "/api/v1/", "--token", adminToken);
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("node-a");
    }

    @Test
    void logsPrintWhatWasPostedAndFollowStopsWhenTheJobIsCancelled() throws Exception {
        long id = submit("j", 2);
        long gen = awaitState(id, "RUNNING").get("generation").longValue();
        byte[] first = "step 1 loss 2.31\n".getBytes(StandardCharsets.UTF_8);
        byte[] second = "step 2 loss 2.17\n".getBytes(StandardCharsets.UTF_8);
        String append = "/jobs/" + id + "/logs/1?generation=" + gen;
        assertThat(send("POST", append, first).statusCode()).isEqualTo(200);

        var once = cli("logs", Long.toString(id), "--rank", "1");
        assertThat(once.code()).as(once.err()).isZero();
        assertThat(once.out()).isEqualTo("step 1 loss 2.31\n");
        var empty = cli("logs", Long.toString(id));
        assertThat(empty.code()).as(empty.err()).isZero();
        assertThat(empty.out()).isEmpty();
        assertOneLineError(cli("logs", Long.toString(id), "--rank", "2"), "(field rank)");

        AtomicReference<CliTest.Run> followed = new AtomicReference<>();
        var printed = new java.io.ByteArrayOutputStream();
        Thread t = new Thread(() -> followed.set(CliTest.run(printed, "logs", "--server", url, "--token", adminToken,
                Long.toString(id), "--rank", "1", "--follow")));
        t.start();
        awaitPrinted(printed, "step 1 loss 2.31\n");
        // appended only once the follower has printed what was there: it must pick this up by polling
        assertThat(send("POST", append, second).statusCode()).isEqualTo(200);
        awaitPrinted(printed, "step 1 loss 2.31\nstep 2 loss 2.17\n");
        assertThat(t.isAlive()).as("--follow keeps going while the job runs").isTrue();
        api("POST", "/jobs/" + id + "/cancel", "");
        t.join(10_000);
        assertThat(t.isAlive()).as("--follow ends once the job has ended").isFalse();
        assertThat(followed.get().code()).as(followed.get().err()).isZero();
        assertThat(followed.get().out()).isEqualTo("step 1 loss 2.31\nstep 2 loss 2.17\n");
    }

    @Test
    void serverPassesItsArgumentsToTheControllerUnparsed() {
        var help = CliTest.run("server", "--help");
        assertThat(help.code()).isZero();
        assertThat(help.out()).contains("usage: gpufleet server").contains("--data-dir");
        var bad = CliTest.run("server", "--bogus", "1");
        assertThat(bad.code()).isEqualTo(2);
        assertThat(bad.err()).contains("unknown option --bogus");
    }

    @Test
    void submitSendsItsTimeLimitInSecondsAndJobShowsIt() {
        long id = submit("timed", 8, "--time-limit", "1:30:00");
        JsonNode stored = awaitState(id, "RUNNING");
        assertThat(stored.get("timeLimitSeconds").longValue()).isEqualTo(5_400);
        var shown = cli("job", Long.toString(id));
        assertThat(shown.code()).as(shown.err()).isZero();
        assertThat(shown.out()).containsPattern("(?m)^time limit\\s+1h30m$");
        long open = submit("open", 1);
        assertThat(api("GET", "/jobs/" + open, "").get("timeLimitSeconds").isNull()).isTrue();
        assertThat(cli("job", Long.toString(open)).out()).containsPattern("(?m)^time limit\\s+none$");

        assertOneLineError(cli("submit", "--name", "x", "--gpus", "1", "--time-limit", "soon", "--", "true"),
                "time limit 'soon' is not a duration", "HH:MM:SS");
        assertOneLineError(cli("submit", "--name", "x", "--gpus", "1", "-t", "400d", "--", "true"), "over the longest");
    }

    @Test
    void anUnknownPolicyIsRefusedAtStartListingTheKnownOnes() {
        var server = CliTest.run("server", "--policy", "nope", "--data-dir", dir.resolve("other").toString());
        assertThat(server.code()).as(server.out()).isEqualTo(2);
        assertThat(server.err().strip().lines().count()).as(server.err()).isEqualTo(1);
        assertThat(server.err()).startsWith("gpufleet server: unknown policy 'nope'; known: ");
        for (var p : gpufleet.core.sched.PolicyRegistry.all()) assertThat(server.err()).contains(p.name());
        assertThat(CliTest.run("server", "--help").out()).contains("--policy");

        assertOneLineError(CliTest.run("up", "--policy", "nope", "--data-dir", dir.resolve("up").toString()),
                "unknown policy 'nope'; known: gpufleet, fifo");
    }

    @Test
    void durationsAndGpuListsAreFormattedLikeSlurm() {
        Map<Double, String> cases = Map.of(0.0, "0:00", 65.4, "1:05", 754.0, "12:34", 3723.0, "1:02:03",
                93_784.0, "1-02:03:04", -5.0, "0:00");
        cases.forEach((s, want) -> assertThat(Fmt.elapsed(s)).as("%s s", s).isEqualTo(want));
        assertThat(Fmt.ranges(List.of(0, 1, 2, 3, 6, 8, 9))).isEqualTo("0-3,6,8-9");
        assertThat(Fmt.ranges(List.of(5))).isEqualTo("5");
    }

    /** Waits, 10 s at most, until {@code out} holds exactly {@code expected}. */
    private static void awaitPrinted(java.io.ByteArrayOutputStream out, String expected) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!out.toString(java.nio.charset.StandardCharsets.UTF_8).equals(expected)) {
            assertThat(System.nanoTime()).as("printed so far: %s", out).isLessThan(deadline);
            Thread.sleep(20); // poll interval
        }
    }
}
