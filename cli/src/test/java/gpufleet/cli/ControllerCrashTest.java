package gpufleet.cli;

import gpufleet.agent.AgentMain;
import gpufleet.server.ServerMain;
import gpufleet.server.control.CrashPoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The controller is a real process, SIGKILLed again and again while jobs are submitted and run on real
 * agents. After every restart: each acknowledged job is there, no GPU is held twice; at the end every
 * job has run exactly once, to completion.
 */
class ControllerCrashTest {
    private static final int ROUNDS = 4;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();

    @TempDir
    Path dir;
    /** The admin token the controller wrote on its first start; every call presents it. */
    String token;

    private Process startController(int port) throws IOException {
        return startController(port, 0);
    }

    /** A controller process; {@code haltAfterStartCommit} > 0 arms its {@link CrashPoint} at that commit. */
    private Process startController(int port, int haltAfterStartCommit) throws IOException {
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
                "--enable-native-access=ALL-UNNAMED", "-D" + CrashPoint.AFTER_START_COMMIT + "=" + haltAfterStartCommit,
                "-cp", System.getProperty("java.class.path"),
                ServerMain.class.getName(), "--port", Integer.toString(port), "--data-dir", dir.resolve("data").toString());
        return new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("controller.out").toFile())).start();
    }

    private HttpResponse<String> call(HttpRequest.Builder b) throws IOException, InterruptedException {
        if (token != null) b.header("Authorization", "Bearer " + token);
        return http.send(b.timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private JsonNode get(String url) throws IOException, InterruptedException {
        HttpResponse<String> r = call(HttpRequest.newBuilder(URI.create(url)).GET());
        assertThat(r.statusCode()).as(url + ": " + r.body()).isEqualTo(200);
        return TestFleet.JSON.readTree(r.body());
    }

    private void awaitUp(String base) throws InterruptedException {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (System.nanoTime() < deadline) {
            try {
                if (call(HttpRequest.newBuilder(URI.create(base + "/api/v1/healthz")).GET()).statusCode() == 200) return;
            } catch (IOException notYet) {
                // starting
            }
            Thread.sleep(100);
        }
        throw new AssertionError("controller did not come up; see " + dir.resolve("controller.out"));
    }

    private static final int ROUNDS_AT_A_POINT = 2;
    /** The test's seed for the crash points; a failure names it, and -Dgpufleet.crash.seed=N replays it. */
    private static final long SEED = Long.getLong("gpufleet.crash.seed", 20_261_206L);

    private HttpResponse<String> submit(String base, String name, Path ck, Path script, int steps) throws IOException, InterruptedException {
        Files.createDirectories(ck);
        String body = TestFleet.JSON.createObjectNode().put("name", name).put("team", "default").put("gpus", 4)
                .put("maxRestarts", 0).put("checkpointDir", ck.toString())
                .set("command", TestFleet.JSON.valueToTree(List.of("/bin/sh", script.toString(), Integer.toString(steps), "0.1")))
                .toString();
        return call(HttpRequest.newBuilder(URI.create(base + "/api/v1/jobs"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    /** The job's state, or null when the controller does not answer (it halted). */
    private String stateOf(String base, long id) throws InterruptedException {
        try {
            HttpResponse<String> r = call(HttpRequest.newBuilder(URI.create(base + "/api/v1/jobs/" + id)).GET());
            return r.statusCode() == 200 ? TestFleet.JSON.readTree(r.body()).get("state").stringValue() : null;
        } catch (IOException down) {
            return null;
        }
    }

    /**
     * The controller halts at a point the test chooses, right after a cycle committed a job's start and
     * before any agent heard of it, round after round; the points come from {@link #SEED}. After each
     * restart the committed run must be launched, and at the end every job has completed with each
     * generation of each rank launched once at most (launch records append, with a unique nonce each).
     */
    @Test
    void aCrashBetweenCommittingAStartAndTellingTheAgentsLaunchesTheCommittedRunOnce() throws Exception {
        Random random = new Random(SEED);
        String replay = "seed " + SEED + " (-Dgpufleet.crash.seed=" + SEED + " replays it)";
        int port;
        try (var s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort();
        }
        String base = "http://127.0.0.1:" + port;
        Path script = dir.resolve("train.sh");
        try (var in = TestFleet.class.getResourceAsStream("train.sh")) {
            Files.copy(in, script);
        }
        int haltAt = 1 + random.nextInt(3);
        Process controller = startController(port, haltAt);
        awaitUp(base);
        token = Files.readString(dir.resolve("data").resolve(gpufleet.server.auth.Tokens.ADMIN_TOKEN_FILE)).strip();
        List<Process> agents = startAgents(base);
        Map<Long, Path> acknowledged = new java.util.TreeMap<>();
        List<String> crashes = new ArrayList<>();
        int n = 0;
        try {
            for (int round = 0; round < ROUNDS_AT_A_POINT; round++) {
                // one job at a time, each waited for, so that each start is a commit of its own
                int submitted = 0;
                while (controller.isAlive()) {
                    assertThat(submitted).as("round %d: the controller never reached start commit %d; %s",
                            round, haltAt, replay).isLessThanOrEqualTo(haltAt + 2);
                    n++;
                    Path ck = dir.resolve("ck").resolve("job-" + n);
                    HttpResponse<String> r;
                    try {
                        r = submit(base, "j" + n, ck, script, 8 + random.nextInt(8));
                    } catch (IOException halted) {
                        break; // not acknowledged: a restarted controller may or may not have it
                    }
                    assertThat(r.statusCode()).as("job j%d: %s; %s", n, r.body(), replay).isEqualTo(201);
                    long id = TestFleet.JSON.readTree(r.body()).get("id").longValue();
                    acknowledged.put(id, ck);
                    submitted++;
                    long deadline = System.nanoTime() + 20_000_000_000L;
                    while (controller.isAlive() && !Set.of("RUNNING", "COMPLETED").contains(String.valueOf(stateOf(base, id)))) {
                        assertThat(System.nanoTime()).as("job %d never started; %s", id, replay).isLessThan(deadline);
                        Thread.sleep(50);
                    }
                }
                assertThat(controller.waitFor(10, TimeUnit.SECONDS)).isTrue();
                assertThat(controller.exitValue()).as("round %d: halted by the crash point, not otherwise; %s\n%s",
                        round, replay, tail(dir.resolve("controller.out"))).isEqualTo(CrashPoint.EXIT_STATUS);
                var said = java.util.regex.Pattern.compile(java.util.regex.Pattern.quote(CrashPoint.MESSAGE + haltAt)
                        + ", which started jobs ([0-9,]+)").matcher(Files.readString(dir.resolve("controller.out")));
                assertThat(said.find()).as("round %d: the crash point's line; %s", round, replay).isTrue();
                List<Long> crashedIds = java.util.Arrays.stream(said.group(1).split(",")).map(Long::valueOf).toList();
                // what the agents had launched when the controller went: by name of checkpoint directory
                Map<String, Integer> launchedAtCrash = new HashMap<>();
                try (var ds = Files.list(dir.resolve("ck"))) {
                    ds.forEach(d -> launchedAtCrash.put(d.getFileName().toString(), Launches.in(d).all().size()));
                }
                crashes.add("round " + round + ": after start commit " + haltAt);
                haltAt = round < ROUNDS_AT_A_POINT - 1 ? 1 + random.nextInt(3) : 0;
                controller = startController(port, haltAt);
                awaitUp(base);
                checkInvariants(base, acknowledged.keySet());
                // the jobs whose start was the last commit: durable, so they are there and hold their GPUs
                for (long id : crashedIds) {
                    JsonNode crashed = get(base + "/api/v1/jobs/" + id);
                    assertThat(crashed.get("state").stringValue()).as("job %d after the restart; %s", id, replay)
                            .isIn("RUNNING", "COMPLETED");
                    // its submission may have been cut off before the answer; the name gives its directory
                    String ck = "job-" + crashed.get("name").stringValue().substring(1);
                    assertThat(launchedAtCrash.get(ck)).as("job %d's ranks launched before the crash: the crash "
                            + "point is before any agent hears of the start; %s", id, replay).isZero();
                    acknowledged.put(id, dir.resolve("ck").resolve(ck));
                }
            }
            // the last controller runs unarmed: everything acknowledged runs to the end
            long deadline = System.nanoTime() + 120_000_000_000L;
            while (true) {
                JsonNode jobs = get(base + "/api/v1/jobs");
                checkInvariants(base, acknowledged.keySet());
                long live = 0;
                for (JsonNode j : jobs) if (!Set.of("COMPLETED", "FAILED", "CANCELLED").contains(j.get("state").stringValue())) live++;
                if (live == 0) break;
                if (System.nanoTime() > deadline)
                    throw new AssertionError(live + " jobs still live (" + replay + "): " + jobs + "\n" + tail(dir.resolve("controller.out")));
                Thread.sleep(200);
            }
            assertThat(crashes).hasSize(ROUNDS_AT_A_POINT);
            for (var e : acknowledged.entrySet()) {
                JsonNode j = get(base + "/api/v1/jobs/" + e.getKey());
                assertThat(j.get("state").stringValue()).as("job %d: %s %s; %s", e.getKey(), j.get("reason"), j.get("events"), replay)
                        .isEqualTo("COMPLETED");
                // the committed run is the one that ran: no restart, each rank launched once
                assertThat(j.get("restarts").intValue()).as("job %d restarts; %s", e.getKey(), replay).isZero();
                Launches launches = Launches.in(e.getValue());
                assertThat(launches.perRank(0)).as("job %d launches: %s; %s", e.getKey(), launches.all(), replay)
                        .isEqualTo(Map.of(0, 1L, 1, 1L, 2, 1L, 3, 1L));
                assertThat(launches.all()).as("job %d launches; %s", e.getKey(), replay).hasSize(4)
                        .extracting(Launches.Launch::nonce).doesNotHaveDuplicates();
            }
        } finally {
            controller.destroyForcibly();
            for (Process a : agents) a.destroy();
            for (Process a : agents) if (!a.waitFor(10, TimeUnit.SECONDS)) a.destroyForcibly();
        }
    }

    /** Two agents of 8 simulated GPUs, started as production starts them, registered before this returns. */
    private List<Process> startAgents(String base) throws IOException, InterruptedException {
        HttpResponse<String> made = call(HttpRequest.newBuilder(URI.create(base + "/api/v1/tokens"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"crash test agents\",\"role\":\"join\"}")));
        assertThat(made.statusCode()).as(made.body()).isEqualTo(201);
        String join = TestFleet.JSON.readTree(made.body()).get("token").stringValue();
        List<Process> agents = new ArrayList<>();
        for (String name : List.of("host-a", "host-b")) {
            Path work = Files.createDirectories(dir.resolve(name));
            ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx96m",
                    "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), AgentMain.class.getName(),
                    "--server", base, "--name", name, "--work-dir", work.toString(), "--simulate-gpus", "8",
                    "--heartbeat", "0.5", "--kill-grace", "1", "--join-token", join,
                    "--run-as", System.getProperty("user.name"));
            agents.add(pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(work.resolve("agent.out").toFile()))
                    .start());
        }
        long hostsDeadline = System.nanoTime() + 30_000_000_000L;
        while (get(base + "/api/v1/hosts").valueStream().filter(h -> !h.get("lastHeartbeat").isNull()).count() < 2) {
            if (System.nanoTime() > hostsDeadline) throw new AssertionError("agents did not register: " + get(base + "/api/v1/hosts"));
            Thread.sleep(100);
        }
        return agents;
    }

    @Test
    void everyJobIsAccountedForAcrossRepeatedSigkills() throws Exception {
        int port;
        try (var s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort();
        }
        String base = "http://127.0.0.1:" + port;
        Path script = dir.resolve("train.sh");
        try (var in = TestFleet.class.getResourceAsStream("train.sh")) {
            Files.copy(in, script);
        }
        Process controller = startController(port);
        awaitUp(base);
        token = Files.readString(dir.resolve("data").resolve(gpufleet.server.auth.Tokens.ADMIN_TOKEN_FILE)).strip();
        HttpResponse<String> made = call(HttpRequest.newBuilder(URI.create(base + "/api/v1/tokens"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"crash test agents\",\"role\":\"join\"}")));
        assertThat(made.statusCode()).as(made.body()).isEqualTo(201);
        String join = TestFleet.JSON.readTree(made.body()).get("token").stringValue();
        // agents are started through a TestFleet-less path: same command line as production
        List<Process> agents = new ArrayList<>();
        for (String name : List.of("host-a", "host-b")) {
            Path work = Files.createDirectories(dir.resolve(name));
            ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx96m",
                    "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), AgentMain.class.getName(),
                    "--server", base, "--name", name, "--work-dir", work.toString(), "--simulate-gpus", "8",
                    "--heartbeat", "0.5", "--kill-grace", "1", "--join-token", join,
                    "--run-as", System.getProperty("user.name"));
            agents.add(pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(work.resolve("agent.out").toFile()))
                    .start());
        }
        // a job submitted before any host is registered is refused (400 unsatisfiable); after that no answer
        // but 201 is acceptable, whatever the controller has been through
        long hostsDeadline = System.nanoTime() + 30_000_000_000L;
        while (get(base + "/api/v1/hosts").valueStream().filter(h -> !h.get("lastHeartbeat").isNull()).count() < 2) {
            if (System.nanoTime() > hostsDeadline) throw new AssertionError("agents did not register: " + get(base + "/api/v1/hosts"));
            Thread.sleep(100);
        }
        Map<Long, Path> acknowledged = new ConcurrentHashMap<>();
        AtomicBoolean submitting = new AtomicBoolean(true);
        AtomicInteger seq = new AtomicInteger();
        // what goes wrong in the submitter is raised here, on the test's thread
        Queue<Throwable> submitterFailures = new ConcurrentLinkedQueue<>();
        Thread submitter = Thread.ofVirtual().start(() -> {
            while (submitting.get()) {
                int n = seq.incrementAndGet();
                Path ck = dir.resolve("ck").resolve("job-" + n);
                String body = TestFleet.JSON.createObjectNode().put("name", "j" + n).put("team", "default").put("gpus", 4)
                        .put("maxRestarts", 0).put("checkpointDir", ck.toString())
                        .set("command", TestFleet.JSON.valueToTree(List.of("/bin/sh", script.toString(), "15", "0.1")))
                        .toString();
                try {
                    Files.createDirectories(ck);
                    HttpResponse<String> r = call(HttpRequest.newBuilder(URI.create(base + "/api/v1/jobs"))
                            .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)));
                    if (r.statusCode() == 201) acknowledged.put(TestFleet.JSON.readTree(r.body()).get("id").longValue(), ck);
                    else throw new AssertionError("job j" + n + " refused: " + r.statusCode() + " " + r.body());
                } catch (IOException controllerDown) {
                    // not acknowledged: the job may or may not exist, and either is fine
                } catch (InterruptedException e) {
                    return;
                } catch (Throwable t) {
                    submitterFailures.add(t);
                    return;
                }
                try {
                    Thread.sleep(150);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        Random random = new Random(7);
        try {
            for (int round = 0; round < ROUNDS; round++) {
                Thread.sleep(1000 + random.nextInt(2000));
                controller.destroyForcibly().waitFor(); // SIGKILL
                Thread.sleep(random.nextInt(500));
                controller = startController(port);
                awaitUp(base);
                checkInvariants(base, acknowledged.keySet());
                raise(submitterFailures);
            }
            submitting.set(false);
            submitter.join();
            raise(submitterFailures);
            // every acknowledged job runs once, to the end
            long deadline = System.nanoTime() + 120_000_000_000L;
            while (true) {
                JsonNode jobs = get(base + "/api/v1/jobs");
                checkInvariants(base, acknowledged.keySet());
                long live = 0;
                for (JsonNode j : jobs) if (!Set.of("COMPLETED", "FAILED", "CANCELLED").contains(j.get("state").stringValue())) live++;
                if (live == 0) break;
                if (System.nanoTime() > deadline)
                    throw new AssertionError(live + " jobs still live: " + jobs + "\n" + tail(dir.resolve("host-a/agent.out"))
                            + "\n" + tail(dir.resolve("host-b/agent.out")) + "\n" + tail(dir.resolve("controller.out")));
                Thread.sleep(500);
            }
            assertThat(acknowledged).hasSizeGreaterThan(10);
            for (var e : acknowledged.entrySet()) {
                JsonNode j = get(base + "/api/v1/jobs/" + e.getKey());
                assertThat(j.get("state").stringValue()).as("job " + e.getKey() + ": " + j.get("reason") + " " + j.get("events")).isEqualTo("COMPLETED");
                assertThat(j.get("restarts").intValue()).isZero();
                assertThat(Files.readString(e.getValue().resolve("done"))).startsWith("restart=0 start=0");
                // one launch per rank, one run: a generation never ran twice
                Launches launches = Launches.in(e.getValue());
                assertThat(launches.perRank(0)).as("job %d launches: %s", e.getKey(), launches.all())
                        .isEqualTo(Map.of(0, 1L, 1, 1L, 2, 1L, 3, 1L));
                assertThat(launches.all()).as("job %d launches", e.getKey()).hasSize(4)
                        .extracting(Launches.Launch::nonce).doesNotHaveDuplicates();
            }
        } finally {
            submitting.set(false);
            controller.destroyForcibly();
            for (Process a : agents) a.destroy();
            for (Process a : agents) if (!a.waitFor(10, TimeUnit.SECONDS)) a.destroyForcibly();
        }
    }

    private static void raise(Queue<Throwable> failures) {
        Throwable first = failures.peek();
        if (first == null) return;
        AssertionError e = new AssertionError("the submitter failed: " + first, first);
        failures.stream().skip(1).forEach(e::addSuppressed);
        throw e;
    }

    private static String tail(Path f) {
        try {
            List<String> lines = Files.readAllLines(f);
            return f + ":\n" + String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
        } catch (IOException e) {
            return f + ": " + e;
        }
    }

    /** Every acknowledged job exists; no GPU belongs to two running jobs; running jobs hold what they asked for. */
    private void checkInvariants(String base, Set<Long> acknowledgedLive) throws IOException, InterruptedException {
        // the jobs acknowledged before the list was asked for: the submitter goes on while it is read
        Set<Long> acknowledged = Set.copyOf(acknowledgedLive);
        JsonNode jobs = get(base + "/api/v1/jobs");
        Map<Long, JsonNode> byId = new HashMap<>();
        for (JsonNode j : jobs) byId.put(j.get("id").longValue(), j);
        for (long id : acknowledged) assertThat(byId).as("acknowledged job " + id).containsKey(id);
        Map<String, Long> owner = new HashMap<>();
        for (JsonNode j : jobs) {
            if (!j.get("state").stringValue().equals("RUNNING")) {
                assertThat(j.get("placement")).as("job " + j.get("id") + " holds GPUs while " + j.get("state")).isEmpty();
                continue;
            }
            int held = 0;
            for (JsonNode p : j.get("placement"))
                for (JsonNode g : p.get("gpus")) {
                    String gpu = p.get("host").stringValue() + "/" + g.intValue();
                    Long prev = owner.put(gpu, j.get("id").longValue());
                    assertThat(prev).as("GPU " + gpu + " given to jobs " + prev + " and " + j.get("id")).isNull();
                    held++;
                }
            assertThat(held).isEqualTo(j.get("gpus").intValue());
        }
    }
}
