package gpufleet.cli.deploy;

import gpufleet.cli.deploy.HistoryChecker.FinalJob;
import gpufleet.cli.deploy.HistoryChecker.Op;
import gpufleet.cli.deploy.HistoryChecker.Outcome;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fault injection in the style of Jepsen: three controllers on one real PostgreSQL server and eight
 * agents with simulated GPUs, every one a process started through the shipped launcher; clients that
 * submit and cancel all along and write down every call and its answer; and a nemesis that, at moments
 * drawn from a seed, kills the leader with {@code kill -9} (and starts it again), pauses it with SIGSTOP
 * and resumes it, restarts PostgreSQL ({@code pg_ctl -m fast stop}, then start) and kills and restarts
 * agents. Then the faults stop, every job is given time to end, and {@link HistoryChecker} reads it all.
 *
 * <p>Every rank runs {@link #RANK_SCRIPT}, which appends its start, a beat every second and its stop,
 * with its host, GPUs, job and generation, to its host's {@code ranks.log}: whether a GPU was ever held by
 * two runs is judged from those records, not from what the controllers say.
 *
 * <p>{@code -Dgpufleet.faults=N} (default 20) sets the number of faults, {@code -Dgpufleet.seed=S} the seed
 * (default: drawn, and printed). The run's files stay in {@code target/fault-injection/}.
 */
class FaultInjectionIT {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final int CONTROLLERS = 3, AGENTS = 8, GPUS_PER_AGENT = 4, CLIENTS = 3;
    private static final Path PG_BIN = Path.of("/usr/lib/postgresql/15/bin");

    /** A rank: records its start, a beat a second, and its stop (on SIGTERM or at its end) in its host's file. */
    static final String RANK_SCRIPT = """
            #!/bin/bash
            # rank.sh SECONDS: runs that long; the agent's cwd is its host's directory
            host=$(basename "$PWD")
            log="$PWD/ranks.log"
            me="$host $CUDA_VISIBLE_DEVICES $GPUFLEET_JOB_ID $GPUFLEET_GENERATION $RANK $$"
            say() { echo "$1 $me $EPOCHREALTIME" >> "$log"; }
            trap 'say stop; exit 0' TERM INT
            say start
            end=$((SECONDS + $1))
            while [ "$SECONDS" -lt "$end" ]; do sleep 1 & wait $!; say beat; done
            say stop
            """;

    private Path dir;
    private Path pgBase;
    private int pgPort;
    private final Map<String, Process> controllers = new LinkedHashMap<>();
    private final Map<String, Integer> ports = new LinkedHashMap<>();
    private final Map<String, Process> agents = new LinkedHashMap<>();
    private final List<String> faults = Collections.synchronizedList(new ArrayList<>());
    private final List<Double> takeovers = Collections.synchronizedList(new ArrayList<>());
    private final HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(Duration.ofSeconds(1)).build();
    private String dbSpec, token, joinToken;
    /** Why the last read of a controller failed, for the message of a test that could not read the end state. */
    private volatile String lastProblem = "";

    @AfterEach
    void stopAll() {
        for (Process p : agents.values()) stop(p);
        for (Process p : controllers.values()) {
            signal("CONT", p.pid());
            p.destroyForcibly();
        }
        if (pgBase != null) {
            pg("-m immediate stop");
            try {
                deleteTree(pgBase);
            } catch (IOException e) {
                System.err.println("could not remove " + pgBase + ": " + e.getMessage());
            }
        }
    }

    @Test
    void underFaultsNothingAcknowledgedIsLostAndNoGpuIsHeldTwice() throws Exception {
        int faultCount = Integer.getInteger("gpufleet.faults", 20);
        long seed = Long.getLong("gpufleet.seed", new Random().nextLong());
        System.out.printf("FaultInjectionIT: %d faults, seed %d%n", faultCount, seed);
        dir = Launcher.ROOT.resolve("cli/target/fault-injection");
        deleteTree(dir);
        Files.createDirectories(dir);
        Path script = dir.resolve("rank.sh");
        Files.writeString(script, RANK_SCRIPT);
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));

        startPostgres();
        for (int i = 1; i <= CONTROLLERS; i++) ports.put("ctl" + i, freePort());
        startController("ctl1");
        await("ctl1 to lead", Duration.ofSeconds(90), () -> "leader".equals(health("ctl1").path("role").stringValue("")));
        token = Files.readString(dir.resolve("ctl1/admin-token")).strip();
        for (int i = 2; i <= CONTROLLERS; i++) startController("ctl" + i);
        Launcher.Result join = Launcher.run(dir, Map.of("GPUFLEET_SERVER", servers(), "GPUFLEET_TOKEN", token),
                Duration.ofSeconds(60), "token", "create", "--name", "racks", "--role", "join");
        assertThat(join.code()).as(join.both()).isZero();
        joinToken = join.out().lines().filter(l -> l.startsWith("gft_")).findFirst().orElseThrow();
        for (int i = 1; i <= AGENTS; i++) startAgent("host" + i);
        await("the agents to join", Duration.ofSeconds(120), () -> upHosts() == AGENTS);
        // one leads and the others stand by (on a loaded machine the first may have lost its lease meanwhile)
        await("one controller to lead and the others to stand by", Duration.ofSeconds(60), () -> {
            int leaders = 0, standbys = 0;
            for (String c : controllers.keySet())
                switch (health(c).path("role").stringValue("")) {
                    case "leader" -> leaders++;
                    case "standby" -> standbys++;
                    default -> { }
                }
            return leaders == 1 && standbys == CONTROLLERS - 1;
        });

        // clients, each on a thread, until the nemesis is done
        List<Op> history = Collections.synchronizedList(new ArrayList<>());
        AtomicBoolean running = new AtomicBoolean(true);
        List<Thread> clients = new ArrayList<>();
        for (int c = 0; c < CLIENTS; c++) {
            int id = c;
            clients.add(Thread.ofPlatform().name("client-" + c).start(() -> client(id, new Random(seed + id), running, history)));
        }
        long began = System.nanoTime();
        nemesis(new Random(seed), faultCount);
        running.set(false);
        for (Thread t : clients) t.join();
        double faultSeconds = (System.nanoTime() - began) / 1e9;

        // healed: every process up; every job must now end by itself
        supervise();
        await("a leader after the faults", Duration.ofSeconds(60), () -> leader() != null);
        AtomicInteger live = new AtomicInteger(-1);
        // the list alone while waiting, once a second: the controller limits each token to 100 calls a second
        boolean drained = awaitQuietly(Duration.ofSeconds(150), () -> {
            String l = leader();
            JsonNode list = l == null ? null : get(l, "/api/v1/jobs");
            if (list == null || !list.isArray()) return false;
            int n = 0;
            for (JsonNode j : list) if (!List.of("COMPLETED", "FAILED", "CANCELLED").contains(j.path("state").stringValue(""))) n++;
            live.set(n);
            if (n == 0) return true;
            try {
                Thread.sleep(800);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return false;
        });
        List<FinalJob> jobs = finalJobs();
        assertThat(jobs).as("the jobs, read from the leader at the end (last problem: %s)", lastProblem).isNotNull();
        List<String> rankLines = new ArrayList<>();
        for (int i = 1; i <= AGENTS; i++) {
            Path f = dir.resolve("host" + i + "/ranks.log");
            if (!Files.exists(f)) continue;
            String text = Files.readString(f);
            rankLines.addAll(text.substring(0, text.lastIndexOf('\n') + 1).lines().toList());
        }
        writeHistory(history);
        HistoryChecker.Result r = HistoryChecker.check(history, jobs, rankLines);
        List<Double> sorted = new ArrayList<>(takeovers);
        Collections.sort(sorted);
        String printout = String.format("""
                fault injection, seed %d: %d faults in %.0f s (%s)
                failovers: %d, takeover after kill -9 / SIGSTOP of the leader: %s; processes found exited and restarted: %d
                jobs at the end: %d (%s)
                %s""", seed, faults.size(), faultSeconds, tally(), sorted.size(), stats(sorted), restarts.get(), jobs.size(),
                drained ? "all ended" : live.get() + " not ended within 150 s", HistoryChecker.describe(r));
        System.out.println(printout);
        Files.writeString(dir.resolve("report.txt"), printout + "\n");
        assertThat(faults).hasSize(faultCount);
        assertThat(r.acknowledged()).as("acknowledged submissions").isPositive();
        assertThat(r.rankRuns()).as("runs recorded by the ranks").isPositive();
        assertThat(r.anomalies()).as(printout).isEmpty();
    }

    // ---- the nemesis

    private void nemesis(Random rnd, int count) throws Exception {
        for (int n = 0; n < count; n++) {
            Thread.sleep(1000 + rnd.nextInt(3000));
            supervise();
            switch (rnd.nextInt(4)) {
                case 0 -> killLeader(rnd);
                case 1 -> pauseLeader(rnd);
                case 2 -> restartDatabase(rnd);
                default -> killAgent(rnd);
            }
        }
    }

    private void killLeader(Random rnd) throws Exception {
        String l = awaitLeader();
        Process p = controllers.get(l);
        long t0 = System.nanoTime();
        signal("KILL", p.pid());
        p.waitFor();
        fault("kill -9 " + l);
        awaitTakeover(l, t0, Duration.ofSeconds(30));
        Thread.sleep(rnd.nextInt(3000));
        startController(l);
    }

    private void pauseLeader(Random rnd) throws Exception {
        String l = awaitLeader();
        long pid = controllers.get(l).pid();
        long t0 = System.nanoTime();
        signal("STOP", pid);
        fault("SIGSTOP " + l);
        // sometimes shorter than the lease, sometimes well past it
        long pause = 2000 + rnd.nextInt(9000);
        long until = t0 + pause * 1_000_000;
        String other = null;
        while (System.nanoTime() < until && other == null) {
            other = otherLeader(l);
            if (other != null) takeovers.add((System.nanoTime() - t0) / 1e9);
            else Thread.sleep(100);
        }
        Thread.sleep(Math.max(0, (until - System.nanoTime()) / 1_000_000));
        signal("CONT", pid);
    }

    private void restartDatabase(Random rnd) throws Exception {
        pg("-m fast stop");
        fault("restart PostgreSQL");
        Thread.sleep(1000 + rnd.nextInt(5000));
        pg("start -w -t 60 -l " + pgBase.resolve("server.log") + " -o '-p " + pgPort + " -k " + pgBase
                + " -c listen_addresses=127.0.0.1'");
    }

    private void killAgent(Random rnd) throws Exception {
        String host = "host" + (1 + rnd.nextInt(AGENTS));
        Process p = agents.get(host);
        signal("KILL", p.pid());
        p.waitFor();
        fault("kill -9 agent " + host);
        Thread.sleep(500 + rnd.nextInt(3000));
        startAgent(host);
    }

    /**
     * Starts again, as a service manager would, a controller or agent that exited by itself (a controller
     * started while the database is down waits for it, so none is expected to).
     */
    private void supervise() throws IOException {
        for (var c : List.copyOf(controllers.entrySet()))
            if (!c.getValue().isAlive()) {
                System.out.printf("FaultInjectionIT: %s had exited (%d); starting it again%n", c.getKey(), c.getValue().exitValue());
                restarts.incrementAndGet();
                startController(c.getKey());
            }
        for (var a : List.copyOf(agents.entrySet()))
            if (!a.getValue().isAlive()) {
                System.out.printf("FaultInjectionIT: agent %s had exited (%d); starting it again%n", a.getKey(), a.getValue().exitValue());
                restarts.incrementAndGet();
                startAgent(a.getKey());
            }
    }

    private final AtomicInteger restarts = new AtomicInteger();

    private void fault(String what) {
        faults.add(what);
        System.out.printf("FaultInjectionIT: fault %d: %s%n", faults.size(), what);
    }

    private void awaitTakeover(String from, long t0, Duration within) throws InterruptedException {
        long deadline = t0 + within.toNanos();
        while (System.nanoTime() < deadline) {
            if (otherLeader(from) != null) {
                takeovers.add((System.nanoTime() - t0) / 1e9);
                return;
            }
            Thread.sleep(100);
        }
        System.out.println("FaultInjectionIT: no controller took over from " + from + " within " + within.toSeconds() + " s");
    }

    private String otherLeader(String not) {
        for (String c : controllers.keySet())
            if (!c.equals(not) && "leader".equals(health(c).path("role").stringValue(""))) return c;
        return null;
    }

    private String leader() {
        return otherLeader(null);
    }

    private String awaitLeader() throws InterruptedException {
        String[] l = new String[1];
        await("a leader", Duration.ofSeconds(60), () -> (l[0] = leader()) != null);
        return l[0];
    }

    private String tally() {
        Map<String, Integer> t = new LinkedHashMap<>();
        for (String f : faults) t.merge(f.replaceAll(" (ctl|host)\\d+$", ""), 1, Integer::sum);
        return t.toString().replaceAll("[{}]", "");
    }

    private static String stats(List<Double> sorted) {
        if (sorted.isEmpty()) return "none";
        return String.format("p50 %.1f s, p99 %.1f s, max %.1f s", sorted.get((sorted.size() - 1) / 2),
                sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(sorted.size() * 0.99) - 1)), sorted.getLast());
    }

    // ---- clients

    /** Submits and cancels until told to stop, recording each call. */
    private void client(int id, Random rnd, AtomicBoolean running, List<Op> history) {
        List<Long> mine = new ArrayList<>();
        int n = 0;
        while (running.get()) {
            try {
                Thread.sleep(300 + rnd.nextInt(1200));
            } catch (InterruptedException e) {
                return;
            }
            if (mine.isEmpty() || rnd.nextInt(3) > 0) {
                String name = "c" + id + "-" + ++n;
                int gpus = List.of(1, 2, 4, 8).get(rnd.nextInt(4));
                String body = JSON.writeValueAsString(Map.of("name", name, "gpus", gpus, "maxRestarts", 50,
                        "command", List.of(dir.resolve("rank.sh").toString(), Integer.toString(2 + rnd.nextInt(12)))));
                double t0 = now();
                Call c = call("/api/v1/jobs", body);
                long job = c.outcome == Outcome.ok ? JSON.readTree(c.body).get("id").longValue() : 0;
                if (job > 0) mine.add(job);
                history.add(new Op("c" + id, "submit", name, job, t0, now(), c.outcome, c.detail()));
            } else {
                long job = mine.remove(rnd.nextInt(mine.size()));
                double t0 = now();
                Call c = call("/api/v1/jobs/" + job + "/cancel", "{}");
                history.add(new Op("c" + id, "cancel", null, job, t0, now(), c.outcome, c.detail()));
            }
        }
    }

    private record Call(Outcome outcome, int status, String body) {
        String detail() {
            return status + " " + (body.length() > 200 ? body.substring(0, 200) : body);
        }
    }

    /**
     * POSTs to the controllers as the command line does: to the one that answered last, following a
     * standby's redirect, and to the next only when no connection was made (so nothing is sent twice).
     */
    private final AtomicInteger preferred = new AtomicInteger();

    private Call call(String path, String body) {
        List<String> names = new ArrayList<>(controllers.keySet());
        String base = null;
        for (int hop = 0, tried = 0; hop < 4 && tried < names.size(); ) {
            if (base == null) base = url(names.get((preferred.get() + tried) % names.size()));
            HttpRequest req = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(6))
                    .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build();
            try {
                HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 307) {
                    String leader = r.headers().firstValue("X-Gpufleet-Leader").orElse(null);
                    if (leader == null) return new Call(Outcome.fail, 307, r.body());
                    base = leader;
                    hop++;
                    continue;
                }
                for (int i = 0; i < names.size(); i++) if (url(names.get(i)).equals(base)) preferred.set(i);
                return new Call(r.statusCode() / 100 == 2 ? Outcome.ok : Outcome.fail, r.statusCode(), r.body());
            } catch (ConnectException | HttpConnectTimeoutException never) {
                base = null;
                tried++;
            } catch (IOException e) {
                // the request may have gone out: its fate is unknown
                return new Call(Outcome.info, 0, e.toString());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return new Call(Outcome.info, 0, e.toString());
            }
        }
        return new Call(Outcome.fail, 0, "no controller could be reached");
    }

    private static double now() {
        return System.currentTimeMillis() / 1000.0;
    }

    private void writeHistory(List<Op> history) throws IOException {
        List<String> lines = new ArrayList<>();
        synchronized (history) {
            for (Op op : history) lines.add(JSON.writeValueAsString(op));
        }
        Files.write(dir.resolve("history.jsonl"), lines);
        Files.write(dir.resolve("faults.txt"), faults);
    }

    /** Every job, with its events, from the leader; null when no leader answers. */
    private List<FinalJob> finalJobs() {
        String l = leader();
        if (l == null) {
            lastProblem = "no controller leads";
            return null;
        }
        JsonNode list = get(l, "/api/v1/jobs");
        if (list == null || !list.isArray()) return null;
        List<FinalJob> out = new ArrayList<>();
        for (JsonNode j : list) {
            JsonNode full = get(l, "/api/v1/jobs/" + j.get("id").longValue());
            try {
                Thread.sleep(20); // under the controller's limit of 100 calls a second a token
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return null;
            }
            if (full == null || !full.has("events")) return null;
            List<String> events = new ArrayList<>();
            for (JsonNode e : full.get("events")) events.add(e.get("kind").stringValue());
            out.add(new FinalJob(full.get("id").longValue(), full.get("name").stringValue(), full.get("state").stringValue(), events));
        }
        return out;
    }

    private int upHosts() {
        String l = leader();
        JsonNode hosts = l == null ? null : get(l, "/api/v1/hosts");
        if (hosts == null || !hosts.isArray()) return 0;
        int up = 0;
        for (JsonNode h : hosts) if ("UP".equals(h.path("status").stringValue(""))) up++;
        return up;
    }

    // ---- processes

    private void startPostgres() throws Exception {
        pgBase = Files.createTempDirectory("gpufleet-faults-pg");
        Files.setOwner(pgBase, pgBase.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("postgres"));
        pgPort = freePort();
        asPostgres(PG_BIN.resolve("initdb") + " -D " + pgBase.resolve("data") + " -A trust -U app -E UTF8 --locale=C");
        pg("start -w -t 60 -l " + pgBase.resolve("server.log") + " -o '-p " + pgPort + " -k " + pgBase
                + " -c listen_addresses=127.0.0.1'");
        dbSpec = "postgresql://127.0.0.1:" + pgPort + "/postgres?user=app";
    }

    private void pg(String args) {
        asPostgres(PG_BIN.resolve("pg_ctl") + " -D " + pgBase.resolve("data") + " " + args);
    }

    private void asPostgres(String command) {
        boolean root = "root".equals(System.getProperty("user.name"));
        List<String> cmd = root ? List.of("su", "postgres", "-c", command) : List.of("sh", "-c", command);
        Launcher.Result r = Launcher.exec(pgBase, Map.of(), Duration.ofSeconds(90), cmd);
        assertThat(r.code()).as(command + ":\n" + r.both()).isZero();
    }

    private void startController(String name) throws IOException {
        controllers.put(name, Launcher.start(dir, Map.of(), dir.resolve(name + ".log"), "server", "--db", dbSpec,
                "--data-dir", name, "--port", Integer.toString(ports.get(name))));
    }

    private void startAgent(String host) throws IOException {
        Path home = dir.resolve(host);
        Files.createDirectories(home);
        agents.put(host, Launcher.start(home, Map.of("GPUFLEET_JOIN_TOKEN", joinToken), home.resolve("agent.log"),
                "agent", "--server", servers(), "--name", host, "--simulate-gpus", Integer.toString(GPUS_PER_AGENT),
                "--work-dir", "work", "--run-as", "root", "--heartbeat", "1", "--kill-grace", "2"));
    }

    private String servers() {
        return String.join(",", controllers.keySet().stream().map(this::url).toList());
    }

    private String url(String controller) {
        return "http://127.0.0.1:" + ports.get(controller);
    }

    private JsonNode health(String controller) {
        JsonNode h = get(controller, "/api/v1/healthz");
        return h == null ? JSON.createObjectNode() : h;
    }

    private JsonNode get(String controller, String path) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url(controller) + path))
                    .header("Authorization", "Bearer " + (token == null ? "" : token))
                    .timeout(Duration.ofSeconds(3)).build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() == 200) return JSON.readTree(r.body());
            lastProblem = controller + " " + path + ": " + r.statusCode() + " " + r.body();
        } catch (Exception e) {
            lastProblem = controller + " " + path + ": " + e;
        }
        return null;
    }

    private static void stop(Process p) {
        p.destroy();
        try {
            if (!p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) p.destroyForcibly();
        } catch (InterruptedException e) {
            p.destroyForcibly();
        }
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

    private void await(String what, Duration within, BooleanSupplier done) throws InterruptedException {
        if (!awaitQuietly(within, done))
            throw new AssertionError("waited " + within.toSeconds() + " s for " + what + "; see the logs in " + dir);
    }

    private static boolean awaitQuietly(Duration within, BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) return false;
            Thread.sleep(200);
        }
        return true;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (Stream<Path> all = Files.walk(p)) {
            for (Path q : all.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(q);
        }
    }
}
