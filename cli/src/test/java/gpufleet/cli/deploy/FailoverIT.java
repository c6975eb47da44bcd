package gpufleet.cli.deploy;

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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two controllers on one PostgreSQL database and an agent given both, each a process of its own started
 * through the shipped launcher, by the very lines of server/README.md's "Running two or three
 * controllers" (database, ports and the launcher's path filled in). The leader is killed with
 * {@code kill -9}: the standby leads within 10 s, the agent reconnects, the running job keeps its ranks,
 * a job whose ranks ended meanwhile completes once, and a new job runs. Then the new leader is paused with SIGSTOP past its lease: the restarted first
 * controller takes over, and the paused one, resumed, lands nothing and stands by.
 *
 * <p>Its database is made on the PostgreSQL server the store tests use ({@code GPUFLEET_TEST_PG_URL}, which
 * {@code ./test} sets, else a private server started from the installed binaries).
 */
class FailoverIT {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final HttpClient HTTP = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(Duration.ofSeconds(2)).build();
    private static final String SECTION = "## Running two or three controllers";

    @TempDir
    Path dir;
    private TestDatabases.TestDb db;
    private final List<Long> pids = new ArrayList<>();

    @BeforeEach
    void database() {
        db = TestDatabases.fresh(TestDatabases.Kind.POSTGRESQL, dir);
    }

    @AfterEach
    void stopAll() throws Exception {
        // the agent first, and gently: it stops its ranks before it exits (its watchdog, after a kill -9,
        // would find its list of ranks gone with this test's directory)
        if (Files.exists(dir.resolve("agent1.pid")))
            ProcessHandle.of(Long.parseLong(Files.readString(dir.resolve("agent1.pid")).strip())).ifPresent(p -> {
                p.destroy();
                try {
                    p.onExit().get(30, java.util.concurrent.TimeUnit.SECONDS);
                } catch (Exception e) {
                    p.destroyForcibly();
                }
            });
        for (long pid : pids) ProcessHandle.of(pid).ifPresent(p -> {
            signal("CONT", pid);
            p.destroyForcibly();
        });
        if (db != null) db.close();
    }

    @Test
    void theStandbyTakesOverFromAKilledLeaderAndAPausedLeaderLandsNothing() throws Exception {
        int p1 = freePort(), p2 = freePort();
        String ctl1 = "http://127.0.0.1:" + p1, ctl2 = "http://127.0.0.1:" + p2;
        List<String> lines = readmeLines();
        int kill = indexOf(lines, "kill -9");
        String dbSpec = db.jdbcUrl().replaceFirst("^jdbc:", "");
        Map<String, String> fill = new HashMap<>();
        fill.put("postgresql://db.example:5432/gpufleet?user=gpufleet&password=...", dbSpec);
        fill.put("./gpufleet", Launcher.GPUFLEET.toString());
        fill.put("8081", Integer.toString(p1));
        fill.put("8082", Integer.toString(p2));
        fill.put("/tmp/demo", dir.resolve("ckpt").toString());
        String setup = "set -e\n" + String.join("\n", lines.subList(0, kill).stream().map(l -> filled(l, fill)).toList());

        Launcher.Result r = Launcher.sh(dir, Map.of(), Duration.ofSeconds(180), setup);
        for (String pidFile : List.of("ctl1.pid", "ctl2.pid", "agent1.pid"))
            if (Files.exists(dir.resolve(pidFile))) pids.add(Long.parseLong(Files.readString(dir.resolve(pidFile)).strip()));
        assertThat(r.code()).as("the README's lines before the kill:\n%s\n%s\n%s", setup, r.both(), logs()).isZero();
        assertThat(r.out()).contains("\"role\":\"leader\"").contains("\"role\":\"standby\"")
                .contains("\"leader\":\"" + ctl1 + "\"").contains("submitted job 1");
        Map<String, String> env = Map.of("GPUFLEET_SERVER", ctl1 + "," + ctl2,
                "GPUFLEET_TOKEN", Files.readString(dir.resolve("ctl1/admin-token")).strip());
        JsonNode running = await("job 1 to run", Duration.ofSeconds(60), () -> job(env, 1),
                j -> j.path("state").stringValue("").equals("RUNNING"));
        assertThat(running.get("generation").longValue()).isEqualTo(1);
        java.util.Set<Long> ranks = await("job 1's 8 ranks to start", Duration.ofSeconds(30), () -> ranksOf(1),
                pids -> pids.size() == 8);

        // a short job whose ranks end while no controller leads: their exits reach the new leader, once
        String shortJob = submitted(gf(env, "submit", "--name", "short", "--gpus", "8", "--checkpoint-dir",
                dir.resolve("ckpt").toString(), "--", "sleep", "3"));
        await("job " + shortJob + "'s ranks to start", Duration.ofSeconds(30), () -> ranksOf(Long.parseLong(shortJob)),
                pids -> pids.size() == 8);

        // kill -9 the leader, as the README does; the standby leads within 10 s
        long killed = System.nanoTime();
        Launcher.Result k = Launcher.sh(dir, Map.of(), Duration.ofSeconds(10), filled(lines.get(kill), fill));
        assertThat(k.code()).as(k.both()).isZero();
        await("ctl2 to lead", Duration.ofSeconds(10), () -> health(ctl2), h -> "leader".equals(h.path("role").stringValue("")));
        double takeover = (System.nanoTime() - killed) / 1e9;
        System.out.printf("FailoverIT: takeover after kill -9 of the leader: %.1f s%n", takeover);

        // the README's last line, answered by ctl2: the job kept running, same generation, no restart
        Launcher.Result after = Launcher.sh(dir, env, Duration.ofSeconds(60), filled(lines.get(kill + 1), fill));
        assertThat(after.code()).as(after.both()).isZero();
        assertThat(after.out()).contains("RUNNING");
        JsonNode still = job(env, 1);
        assertThat(still.get("generation").longValue()).isEqualTo(1);
        assertThat(still.get("restarts").longValue()).isZero();
        assertThat(ranksOf(1)).as("the same rank processes, still running").isEqualTo(ranks);
        JsonNode done = await("job " + shortJob + " to complete", Duration.ofSeconds(30), () -> job(env, Long.parseLong(shortJob)),
                j -> j.path("state").stringValue("").equals("COMPLETED"));
        assertThat(done.get("restarts").longValue()).isZero();
        assertThat(done.get("events").valueStream().map(e -> e.get("kind").stringValue()).filter(kind -> kind.equals("COMPLETED")))
                .hasSize(1);
        // the agent reconnected to ctl2: its host is UP there with a fresh heartbeat, and new work runs
        await("node-1 to heartbeat to ctl2", Duration.ofSeconds(30), () -> nodes(env),
                n -> n.contains("node-1") && n.contains("UP"));
        assertThat(gf(env, "cancel", "1").code()).isZero();
        String second = submitted(gf(env, "submit", "--name", "after", "--gpus", "8", "--checkpoint-dir",
                dir.resolve("ckpt").toString(), "--", "true"));
        await("job " + second + " to complete on ctl2's orders", Duration.ofSeconds(60), () -> job(env, Long.parseLong(second)),
                j -> j.path("state").stringValue("").equals("COMPLETED"));

        // the first controller comes back as a standby
        Process again = Launcher.start(dir, Map.of(), dir.resolve("ctl1-again.log"), "server", "--db", dbSpec,
                "--data-dir", "ctl1", "--port", Integer.toString(p1));
        pids.add(again.pid());
        await("ctl1 to stand by", Duration.ofSeconds(60), () -> health(ctl1), h -> "standby".equals(h.path("role").stringValue("")));
        assertThat(health(ctl1).path("leader").stringValue("")).isEqualTo(ctl2);
        // a change sent to it first (GPUFLEET_SERVER names it first) is redirected to ctl2 and carried out there
        Launcher.Result team = gf(env, "team", "add", "ha", "--quota", "16");
        assertThat(team.code()).as(team.both()).isZero();
        assertThat(gf(Map.of("GPUFLEET_TOKEN", env.get("GPUFLEET_TOKEN")), "team", "list", "--server", ctl2).out()).contains("ha");

        // SIGSTOP the leader past its lease: ctl1 takes over and schedules
        long ctl2Pid = Long.parseLong(Files.readString(dir.resolve("ctl2.pid")).strip());
        signal("STOP", ctl2Pid);
        long stopped = System.nanoTime();
        await("ctl1 to lead while ctl2 is stopped", Duration.ofSeconds(12), () -> health(ctl1),
                h -> "leader".equals(h.path("role").stringValue("")));
        System.out.printf("FailoverIT: takeover from a SIGSTOPped leader: %.1f s%n", (System.nanoTime() - stopped) / 1e9);
        String third = submitted(gf(env, "submit", "--name", "while-paused", "--gpus", "8", "--checkpoint-dir",
                dir.resolve("ckpt").toString(), "--", "sleep", "600"));
        await("job " + third + " to run on ctl1's orders", Duration.ofSeconds(60), () -> job(env, Long.parseLong(third)),
                j -> j.path("state").stringValue("").equals("RUNNING"));

        // ctl2 resumes: whatever it tries lands nothing; a change sent to it goes to ctl1, and it stands by
        signal("CONT", ctl2Pid);
        HttpResponse<String> cancel = HTTP.send(HttpRequest.newBuilder(URI.create(ctl2 + "/api/v1/jobs/" + third + "/cancel"))
                .header("Authorization", "Bearer " + env.get("GPUFLEET_TOKEN")).header("Content-Type", "application/json")
                .timeout(Duration.ofSeconds(10)).POST(HttpRequest.BodyPublishers.ofString("{}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(cancel.statusCode()).as(cancel.body()).isIn(307, 503);
        await("ctl2 to stand by", Duration.ofSeconds(10), () -> health(ctl2),
                h -> "standby".equals(h.path("role").stringValue("")) && ctl1.equals(h.path("leader").stringValue("")));
        Thread.sleep(3000); // several of ctl2's scheduling cycles and lease rounds, had it kept leading
        JsonNode j3 = job(env, Long.parseLong(third));
        assertThat(j3.get("state").stringValue()).isEqualTo("RUNNING");
        assertThat(j3.get("generation").longValue()).isEqualTo(1);
        assertThat(health(ctl1).path("role").stringValue("")).isEqualTo("leader");
    }

    /** The processes running ranks of job {@code id} that this test's agent started (their directory is the test's). */
    private java.util.Set<Long> ranksOf(long id) {
        java.util.Set<Long> out = new java.util.TreeSet<>();
        ProcessHandle.allProcesses().forEach(p -> {
            try {
                Path proc = Path.of("/proc", Long.toString(p.pid()));
                if (!Files.readSymbolicLink(proc.resolve("cwd")).equals(dir.toRealPath())) return;
                String environ = new String(Files.readAllBytes(proc.resolve("environ")), java.nio.charset.StandardCharsets.UTF_8);
                if (java.util.Arrays.asList(environ.split("\0")).contains("GPUFLEET_JOB_ID=" + id)
                        && p.info().command().map(c -> c.endsWith("sleep")).orElse(false))
                    out.add(p.pid());
            } catch (IOException | RuntimeException goneOrNotOurs) {
                // ended meanwhile, or not readable: not one of ours
            }
        });
        return out;
    }

    /** The lines of the README's example, in order. */
    private static List<String> readmeLines() throws IOException {
        List<String> all = Files.readAllLines(Launcher.ROOT.resolve("server/README.md"));
        int at = all.indexOf(SECTION);
        assertThat(at).as("server/README.md has the section " + SECTION).isNotNegative();
        int open = at;
        while (!all.get(open).equals("```sh")) open++;
        List<String> out = new ArrayList<>();
        for (int i = open + 1; !all.get(i).startsWith("```"); i++) out.add(all.get(i));
        return out;
    }

    private static int indexOf(List<String> lines, String start) {
        for (int i = 0; i < lines.size(); i++) if (lines.get(i).startsWith(start)) return i;
        throw new AssertionError("the README's example has no line starting with " + start + ": " + lines);
    }

    private static String filled(String line, Map<String, String> fill) {
        String out = line;
        for (var e : fill.entrySet()) out = out.replace(e.getKey(), e.getValue());
        return out;
    }

    private Launcher.Result gf(Map<String, String> env, String... args) {
        return Launcher.run(dir, env, Duration.ofSeconds(60), args);
    }

    private static String submitted(Launcher.Result r) {
        assertThat(r.code()).as(r.both()).isZero();
        Matcher m = Pattern.compile("submitted job (\\d+)").matcher(r.out());
        assertThat(m.find()).as(r.out()).isTrue();
        return m.group(1);
    }

    private JsonNode job(Map<String, String> env, long id) {
        Launcher.Result r = gf(env, "job", Long.toString(id), "-o", "json");
        return r.code() == 0 ? JSON.readTree(r.out()) : JSON.createObjectNode().put("error", r.both());
    }

    private String nodes(Map<String, String> env) {
        return gf(env, "nodes").both();
    }

    private static JsonNode health(String base) {
        try {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/api/v1/healthz"))
                    .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
            return JSON.readTree(r.body());
        } catch (Exception e) {
            return JSON.createObjectNode().put("error", e.toString());
        }
    }

    private String logs() {
        StringBuilder sb = new StringBuilder();
        for (String f : List.of("ctl1.log", "ctl2.log", "agent1.log", "ctl1-again.log"))
            try {
                if (Files.exists(dir.resolve(f))) sb.append("== ").append(f).append('\n').append(Files.readString(dir.resolve(f)));
            } catch (IOException e) {
                sb.append(e);
            }
        return sb.toString();
    }

    private <T> T await(String what, Duration within, Supplier<T> probe, Predicate<T> done) throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        T last = probe.get();
        while (!done.test(last)) {
            if (System.nanoTime() > deadline)
                throw new AssertionError("waited " + within.toSeconds() + " s for " + what + "; last seen: " + last + "\n" + logs());
            Thread.sleep(200);
            last = probe.get();
        }
        return last;
    }

    private static void signal(String sig, long pid) {
        try {
            new ProcessBuilder("kill", "-" + sig, Long.toString(pid)).start().waitFor();
        } catch (IOException e) {
            throw new AssertionError(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
