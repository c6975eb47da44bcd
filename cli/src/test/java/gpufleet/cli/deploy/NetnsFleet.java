package gpufleet.cli.deploy;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A fleet on a private test network, started as an operator starts one: a Linux bridge on this
 * machine, and per agent host a network namespace joined to it by a veth pair, with its own address
 * on a /24 nobody else here uses. The controller ({@code ./gpufleet server}) listens on the bridge's
 * address; each agent ({@code ip netns exec NS ./gpufleet agent ...}) runs in its namespace and joins
 * with a join token. Ranks therefore meet at real, distinct addresses.
 *
 * <p>Everything it makes is named {@code gfmh<pid>...} after the JVM that made it, and removed by
 * {@link #close()}; a run that died before that leaves names whose pid is gone, which the next run
 * removes first. Needs root and iproute2; without them it fails, saying so.
 */
final class NetnsFleet implements AutoCloseable {
    static final String PREFIX = "gfmh";
    /** Small heaps, and C1 only: six JVMs share two cores here. */
    static final String JAVA_OPTS = "-Xmx128m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC";
    static final int HEARTBEAT_TIMEOUT_S = 4;
    private static final JsonMapper JSON = JsonMapper.builder().build();

    /** One agent host: its namespace, address and directories. */
    record Host(int index, String name, String netns, String address, String rack, Path dir, Path workDir, Path log,
                long netnsInode) {
        List<String> wrapper() { return List.of("ip", "netns", "exec", netns); }
    }

    /** A rank's process, found in the process table by its environment. */
    record RankProcess(long pid, int rank, int restart, String host, String masterAddr, String masterPort) {}

    /** One line of the ranks' shared trace file: {@code kind key=value ...}. */
    record TraceLine(String kind, Map<String, String> f, String raw) {
        long t() { return Long.parseLong(f.get("t")); }
        int rank() { return Integer.parseInt(f.get("rank")); }
        int restart() { return Integer.parseInt(f.get("restart")); }
        long job() { return Long.parseLong(f.get("job")); }
        String get(String k) { return f.getOrDefault(k, ""); }
        int integer(String k) { return Integer.parseInt(f.get(k)); }
    }

    final String tag = PREFIX + ProcessHandle.current().pid();
    final String bridge = tag + "br";
    final Path base;
    final Path ctlDir, opsDir, shared, checkpointRoot, triggers, trace, program, controllerLog;
    final List<Host> hosts = new ArrayList<>();
    String subnet; // "10.213.X"
    String bridgeAddr;
    int port;
    String adminToken;
    String joinToken;
    private final Map<String, Process> agents = new HashMap<>();
    private Process controller;
    private List<String> controllerArgs;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();
    private final Thread cleanupAtExit = new Thread(this::removeEverything, "netns-fleet-cleanup");
    private boolean closed;

    private NetnsFleet(Path base) {
        this.base = base;
        ctlDir = base.resolve("controller");
        opsDir = base.resolve("operator");
        shared = base.resolve("shared");
        checkpointRoot = shared.resolve("checkpoints");
        triggers = shared.resolve("triggers");
        trace = shared.resolve("trace");
        program = base.resolve("rank.pl");
        controllerLog = base.resolve("controller.log");
    }

    /** Checks the machine, removes what a crashed run left, and builds the network for {@code count} hosts. */
    static NetnsFleet create(int count) throws IOException {
        requireRootAndTools();
        removeLeftovers();
        Path base = Files.createTempDirectory(Path.of("/tmp"), PREFIX + ProcessHandle.current().pid() + "-");
        NetnsFleet f = new NetnsFleet(base);
        Runtime.getRuntime().addShutdownHook(f.cleanupAtExit);
        try {
            f.makeDirectories();
            f.makeNetwork(count);
        } catch (IOException | RuntimeException | Error e) {
            f.close();
            throw e;
        }
        return f;
    }

    private static void requireRootAndTools() {
        String uid = "?";
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status")))
                if (line.startsWith("Uid:")) uid = line.split("\\s+")[1];
        } catch (IOException e) {
            throw new AssertionError("cannot read /proc/self/status: " + e.getMessage());
        }
        if (!uid.equals("0"))
            throw new AssertionError("MultiHostIT must run as root (uid " + uid + " now): it creates a bridge, network"
                    + " namespaces and veth pairs with ip(8). CI runs it as root; run `./mvnw verify` as root");
        for (var tool : List.of(List.of("ip", "-V", "iproute2 (apt-get install -y iproute2)"),
                List.of("perl", "-v", "perl (apt-get install -y perl-base)"),
                List.of("setpriv", "--version", "setpriv (apt-get install -y util-linux)"))) {
            try {
                Process p = new ProcessBuilder(tool.get(0), tool.get(1)).redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
                if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) throw new IOException("exit " + p.exitValue());
            } catch (IOException e) {
                throw new AssertionError("MultiHostIT needs " + tool.get(2) + ": `" + tool.get(0) + " " + tool.get(1)
                        + "` failed: " + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted");
            }
        }
    }

    // ---- the network -------------------------------------------------------------------------------

    private void makeDirectories() throws IOException {
        chmod(base, "rwxr-xr-x"); // ranks run as nobody and must reach the program and the shared directory
        Files.createDirectories(ctlDir);
        chmod(ctlDir, "rwx------");
        Files.createDirectories(opsDir);
        Files.createDirectories(shared);
        Files.createDirectories(triggers);
        Files.createDirectories(checkpointRoot);
        // the checkpoint root is shared storage every host's job user writes to, as /ckpt would be
        sh("chmod", "1777", checkpointRoot.toString());
        Files.createFile(trace);
        chmod(trace, "rw-rw-rw-");
        try (var in = NetnsFleet.class.getResourceAsStream("rank.pl")) {
            if (in == null) throw new IllegalStateException("rank.pl is missing from the test resources");
            Files.copy(in, program, StandardCopyOption.REPLACE_EXISTING);
        }
        chmod(program, "rw-r--r--");
    }

    private void makeNetwork(int count) throws IOException {
        sh("ip", "link", "add", bridge, "type", "bridge");
        subnet = freeSubnet();
        bridgeAddr = subnet + ".1";
        sh("ip", "addr", "add", bridgeAddr + "/24", "dev", bridge);
        sh("ip", "link", "set", bridge, "up");
        for (int i = 1; i <= count; i++) {
            String ns = tag + "-h" + i, outside = tag + "v" + i, inside = tag + "p" + i;
            String address = subnet + "." + (10 + i);
            sh("ip", "netns", "add", ns);
            sh("ip", "link", "add", outside, "type", "veth", "peer", "name", inside);
            sh("ip", "link", "set", inside, "netns", ns);
            sh("ip", "link", "set", outside, "master", bridge);
            sh("ip", "link", "set", outside, "up");
            sh("ip", "-n", ns, "addr", "add", address + "/24", "dev", inside);
            sh("ip", "-n", ns, "link", "set", inside, "up");
            sh("ip", "-n", ns, "link", "set", "lo", "up");
            long inode = ((Number) Files.getAttribute(Path.of("/run/netns", ns), "unix:ino")).longValue();
            Path dir = base.resolve("h" + i);
            Files.createDirectories(dir);
            hosts.add(new Host(i, "h" + i, ns, address, "r" + ((i + 1) / 2), dir, dir.resolve("work"),
                    base.resolve("agent-h" + i + ".log"), inode));
        }
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(bridgeAddr))) {
            port = s.getLocalPort();
        }
    }

    /** A 10.213.X.0/24 that no address or route on this machine touches. */
    private static String freeSubnet() {
        String used = sh("ip", "-o", "-4", "addr", "show") + sh("ip", "-4", "route", "show");
        int start = (int) (ProcessHandle.current().pid() % 250);
        for (int k = 0; k < 256; k++) {
            String s = "10.213." + ((start + k) % 256);
            if (!used.contains(s + ".")) return s;
        }
        throw new AssertionError("no free 10.213.X.0/24 on this machine:\n" + used);
    }

    /** Removes bridges, veths, namespaces, processes and directories of runs whose JVM is gone. */
    static void removeLeftovers() {
        Pattern owned = Pattern.compile("^" + PREFIX + "(\\d+)");
        for (String ns : sh("ip", "netns", "list").lines().map(l -> l.split("\\s+")[0]).toList()) {
            Matcher m = owned.matcher(ns);
            if (!m.find() || alive(Long.parseLong(m.group(1)))) continue;
            for (String pid : trySh("ip", "netns", "pids", ns).lines().toList())
                if (!pid.isBlank()) trySh("kill", "-KILL", pid.strip());
            trySh("ip", "netns", "del", ns);
        }
        for (String line : sh("ip", "-o", "link", "show").lines().toList()) {
            String[] parts = line.split(":\\s+");
            if (parts.length < 2) continue;
            String name = parts[1].split("@")[0];
            Matcher m = owned.matcher(name);
            if (m.find() && !alive(Long.parseLong(m.group(1)))) trySh("ip", "link", "del", name);
        }
        try (Stream<Path> dirs = Files.list(Path.of("/tmp"))) {
            for (Path d : dirs.toList()) {
                Matcher m = owned.matcher(d.getFileName().toString());
                if (!m.find() || alive(Long.parseLong(m.group(1))) || !Files.isDirectory(d)) continue;
                killProcessesUnder(d);
                deleteTree(d);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static boolean alive(long pid) {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    /** Kills the processes (a controller left by a crashed run) whose working directory is under {@code dir}. */
    private static void killProcessesUnder(Path dir) {
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path p : procs.toList()) {
                if (!p.getFileName().toString().matches("\\d+")) continue;
                try {
                    if (Files.readSymbolicLink(p.resolve("cwd")).startsWith(dir))
                        trySh("kill", "-KILL", p.getFileName().toString());
                } catch (IOException | SecurityException gone) {
                    // ended meanwhile, or a kernel thread
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ---- the controller and the agents --------------------------------------------------------------

    String url() { return "http://" + bridgeAddr + ":" + port; }

    /** {@code ./gpufleet server} on the bridge's address, plain HTTP there by explicit choice, auth on. */
    void startController() throws IOException {
        controllerArgs = List.of("server", "--bind", bridgeAddr, "--port", Integer.toString(port), "--allow-plaintext",
                "--data-dir", "./gpufleet-data", "--heartbeat-timeout", Integer.toString(HEARTBEAT_TIMEOUT_S),
                "--checkpoint-root", checkpointRoot.toString());
        restartController();
    }

    /** Starts the controller again with the very command it was first started with. */
    void restartController() throws IOException {
        controller = Launcher.start(ctlDir, Map.of("GPUFLEET_JAVA_OPTS", "-Xmx192m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC"),
                controllerLog, controllerArgs.toArray(String[]::new));
        awaitUntil(Duration.ofSeconds(90), "the controller to answer /api/v1/healthz at " + url(), () -> {
            if (!controller.isAlive())
                throw new AssertionError("the controller exited with " + controller.exitValue() + ":\n" + tail(controllerLog, 40));
            try {
                return get("/api/v1/healthz").statusCode() == 200;
            } catch (IOException e) {
                return false;
            }
        }, () -> tail(controllerLog, 40));
        Path tokenFile = ctlDir.resolve("gpufleet-data").resolve("admin-token");
        if (adminToken == null) adminToken = Files.readString(tokenFile).strip();
    }

    long controllerPid() { return controller.pid(); }

    void killController() {
        kill9(controller.pid(), "java");
        waitGone(controller);
    }

    /** A join token, made as the README says: {@code gpufleet token create --role join}. */
    void makeJoinToken() {
        var r = cli(Duration.ofSeconds(60), "token", "create", "--name", "netns-agents", "--role", "join");
        Matcher m = Pattern.compile("gft_\\S+").matcher(r.out());
        if (r.code() != 0 || !m.find())
            throw new AssertionError("gpufleet token create --role join failed (" + r.code() + "):\n" + r.both());
        joinToken = m.group();
    }

    void startAgent(Host h) throws IOException {
        Process p = Launcher.startUnder(h.wrapper(), h.dir(),
                Map.of("GPUFLEET_JOIN_TOKEN", joinToken, "GPUFLEET_JAVA_OPTS", JAVA_OPTS), h.log(),
                "agent", "--server", url(), "--name", h.name(), "--rack", h.rack(), "--zone", "z1",
                "--simulate-gpus", "8", "--heartbeat", "0.5", "--kill-grace", "1", "--run-as", "nobody",
                "--work-dir", h.workDir().toString());
        agents.put(h.name(), p);
    }

    /** Stops an agent as a service manager does: SIGTERM, and a wait for it to exit. */
    void stopAgent(Host h) {
        Process p = agents.get(h.name());
        String cmd = ProcessHandle.of(p.pid()).flatMap(x -> x.info().command()).orElse("");
        if (!cmd.contains("java")) throw new AssertionError("pid " + p.pid() + " is '" + cmd + "', not the agent");
        sh("kill", "-TERM", Long.toString(p.pid()));
        waitGone(p);
    }

    void killAgent(Host h) {
        Process p = agents.get(h.name());
        kill9(p.pid(), "java");
        waitGone(p);
    }

    /** Waits until every named host is UP at the controller. */
    void awaitHostsUp(List<Host> which, Duration within) {
        awaitUntil(within, "hosts " + which.stream().map(Host::name).toList() + " to be UP", () -> {
            for (Host h : which) {
                Process p = agents.get(h.name());
                if (p != null && !p.isAlive())
                    throw new AssertionError("agent " + h.name() + " exited with " + p.exitValue() + ":\n" + tail(h.log(), 30));
            }
            JsonNode hs = json("/api/v1/hosts");
            int up = 0;
            for (JsonNode x : hs)
                for (Host h : which)
                    if (h.name().equals(x.path("name").asString()) && "UP".equals(x.path("status").asString())) up++;
            return up == which.size();
        }, () -> json("/api/v1/hosts").toString());
    }

    Host host(String name) {
        return hosts.stream().filter(h -> h.name().equals(name)).findFirst().orElseThrow();
    }

    // ---- talking to the controller ------------------------------------------------------------------

    /** The environment of an operator's shell on another machine: the controller's URL and the admin token. */
    Map<String, String> operatorEnv() {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("GPUFLEET_SERVER", url());
        env.put("GPUFLEET_TOKEN", adminToken);
        env.put("GPUFLEET_CONFIG", opsDir.resolve("no-saved-login").toString());
        env.put("HOME", opsDir.toString());
        env.put("GPUFLEET_JAVA_OPTS", JAVA_OPTS);
        return env;
    }

    /** {@code ./gpufleet args...} as an operator runs it. */
    Launcher.Result cli(Duration timeout, String... args) {
        return Launcher.run(opsDir, operatorEnv(), timeout, args);
    }

    /** {@code ip netns exec NS ./gpufleet args...}: a command run on that host. */
    Launcher.Result cliOn(Host h, Duration timeout, String... args) {
        return Launcher.runUnder(h.wrapper(), h.dir(), Map.of("GPUFLEET_JAVA_OPTS", JAVA_OPTS), timeout, args);
    }

    HttpResponse<byte[]> get(String path) throws IOException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url() + path)).timeout(Duration.ofSeconds(10)).GET();
        if (adminToken != null) b.header("Authorization", "Bearer " + adminToken);
        try {
            return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    /** A GET of the API that must succeed, parsed; fails with the controller's answer otherwise. */
    JsonNode json(String path) {
        try {
            var r = get(path);
            if (r.statusCode() != 200)
                throw new AssertionError("GET " + path + " answered " + r.statusCode() + ": "
                        + new String(r.body(), StandardCharsets.UTF_8));
            return JSON.readTree(r.body());
        } catch (IOException e) {
            throw new AssertionError("GET " + path + " failed: " + e.getMessage() + "\ncontroller log:\n"
                    + tail(controllerLog, 20), e);
        }
    }

    static JsonNode parse(String text) {
        return JSON.readTree(text);
    }

    /** The controller's copy of a rank's log. */
    String rankLog(long job, int rank) {
        try {
            var r = get("/api/v1/jobs/" + job + "/logs/" + rank);
            if (r.statusCode() != 200) throw new AssertionError("log of rank " + rank + ": " + r.statusCode());
            return new String(r.body(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new AssertionError("log of rank " + rank + ": " + e.getMessage(), e);
        }
    }

    // ---- what runs where -----------------------------------------------------------------------------

    /** Every live process of {@code job}'s ranks, by its environment, with the host whose namespace holds it. */
    List<RankProcess> rankProcesses(long job) {
        List<RankProcess> out = new ArrayList<>();
        String marker = "GPUFLEET_JOB_ID=" + job;
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path p : procs.toList()) {
                String pid = p.getFileName().toString();
                if (!pid.matches("\\d+")) continue;
                try {
                    // the program itself, not the setsid or setpriv that exec it a moment before
                    String cmdline = new String(Files.readAllBytes(p.resolve("cmdline")), StandardCharsets.UTF_8);
                    if (!cmdline.contains(program.toString())) continue;
                    Map<String, String> env = new HashMap<>();
                    for (String kv : new String(Files.readAllBytes(p.resolve("environ")), StandardCharsets.UTF_8).split("\0")) {
                        int eq = kv.indexOf('=');
                        if (eq > 0) env.put(kv.substring(0, eq), kv.substring(eq + 1));
                    }
                    if (!env.containsKey("RANK") || !marker.equals("GPUFLEET_JOB_ID=" + env.get("GPUFLEET_JOB_ID"))) continue;
                    out.add(new RankProcess(Long.parseLong(pid), Integer.parseInt(env.get("RANK")),
                            Integer.parseInt(env.getOrDefault("GPUFLEET_RESTART_COUNT", "-1")), hostOf(Long.parseLong(pid)),
                            env.get("MASTER_ADDR"), env.get("MASTER_PORT")));
                } catch (IOException | NumberFormatException gone) {
                    // ended while being read
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        out.sort(Comparator.comparingInt(RankProcess::rank).thenComparingLong(RankProcess::pid));
        return out;
    }

    /** The host whose namespace a process runs in ("outside" for this machine's own). */
    String hostOf(long pid) throws IOException {
        String link = Files.readSymbolicLink(Path.of("/proc", Long.toString(pid), "ns", "net")).toString();
        for (Host h : hosts) if (link.equals("net:[" + h.netnsInode() + "]")) return h.name();
        return "outside";
    }

    List<TraceLine> trace() {
        List<TraceLine> out = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(trace)) {
                String[] parts = line.strip().split(" ");
                if (parts.length < 2) continue;
                Map<String, String> f = new LinkedHashMap<>();
                for (int i = 1; i < parts.length; i++) {
                    int eq = parts[i].indexOf('=');
                    if (eq > 0) f.put(parts[i].substring(0, eq), parts[i].substring(eq + 1));
                }
                if (f.containsKey("t")) out.add(new TraceLine(parts[0], f, line));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    void touchTrigger(int restart, int rank) throws IOException {
        Path f = triggers.resolve("fail-" + restart + "-" + rank);
        Files.writeString(f, "");
        chmod(f, "rw-r--r--");
    }

    // ---- waiting, processes, files -----------------------------------------------------------------

    static void awaitUntil(Duration within, String what, BooleanSupplier done, java.util.function.Supplier<String> evidence) {
        long deadline = System.nanoTime() + within.toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline)
                throw new AssertionError("waited " + within.toSeconds() + " s for " + what + "; " + evidence.get());
            pause(200);
        }
    }

    static void pause(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted");
        }
    }

    /** {@code kill -9 PID}, after checking that the pid is still the process meant. */
    static void kill9(long pid, String expected) {
        String cmdline = ProcessHandle.of(pid).flatMap(h -> h.info().command()).orElse("");
        if (!cmdline.contains(expected))
            throw new AssertionError("pid " + pid + " is '" + cmdline + "', not " + expected);
        sh("kill", "-9", Long.toString(pid));
    }

    private static void waitGone(Process p) {
        try {
            if (!p.waitFor(20, TimeUnit.SECONDS)) throw new AssertionError("pid " + p.pid() + " survived kill -9");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static String tail(Path file, int lines) {
        try {
            if (!Files.exists(file)) return "(no " + file + ")";
            List<String> all = Files.readAllLines(file, StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(cannot read " + file + ": " + e.getMessage() + ")";
        }
    }

    /** Runs a command, failing with what it printed when it fails; answers its output. */
    static String sh(String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile())).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("`" + String.join(" ", cmd) + "` did not finish");
            }
            if (p.exitValue() != 0)
                throw new AssertionError("`" + String.join(" ", cmd) + "` failed (" + p.exitValue() + "): " + out.strip());
            return out;
        } catch (IOException e) {
            throw new AssertionError("cannot run " + String.join(" ", cmd) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    private static String trySh(String... cmd) {
        try {
            return sh(cmd);
        } catch (AssertionError e) {
            return "";
        }
    }

    private static void chmod(Path p, String mode) throws IOException {
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(mode));
    }

    private static void deleteTree(Path dir) {
        if (!Files.exists(dir)) return;
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        } catch (IOException e) {
            System.err.println("cannot remove " + dir + ": " + e.getMessage());
        }
    }

    /** Copies the logs and the trace where a failed build can be looked at. */
    void keepLogs(Path into) {
        try {
            Files.createDirectories(into);
            try (Stream<Path> files = Files.list(base)) {
                for (Path f : files.filter(Files::isRegularFile).filter(f -> f.toString().endsWith(".log")).toList())
                    Files.copy(f, into.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
            if (Files.exists(trace)) Files.copy(trace, into.resolve("trace.txt"), StandardCopyOption.REPLACE_EXISTING);
            Path logs = ctlDir.resolve("gpufleet-data").resolve("logs");
            if (Files.isDirectory(logs))
                try (Stream<Path> all = Files.walk(logs)) {
                    for (Path f : all.filter(Files::isRegularFile).toList()) {
                        Path to = into.resolve("controller-logs").resolve(logs.relativize(f).toString());
                        Files.createDirectories(to.getParent());
                        Files.copy(f, to, StandardCopyOption.REPLACE_EXISTING);
                    }
                }
        } catch (IOException e) {
            System.err.println("cannot keep the logs in " + into + ": " + e.getMessage());
        }
    }

    @Override
    public void close() {
        removeEverything();
        try {
            Runtime.getRuntime().removeShutdownHook(cleanupAtExit);
        } catch (IllegalStateException shuttingDown) {
            // the hook is running or has run
        }
    }

    private synchronized void removeEverything() {
        if (closed) return;
        closed = true;
        for (Process p : agents.values()) p.destroyForcibly();
        if (controller != null) controller.destroyForcibly();
        // by name rather than from the host list, so that a network half built is removed too
        Pattern mine = Pattern.compile("^" + tag + "\\D");
        List<String> namespaces = trySh("ip", "netns", "list").lines().map(l -> l.split("\\s+")[0])
                .filter(n -> mine.matcher(n).find()).toList();
        for (String ns : namespaces)
            for (String pid : trySh("ip", "netns", "pids", ns).lines().toList())
                if (!pid.isBlank()) trySh("kill", "-KILL", pid.strip());
        for (String ns : namespaces) {
            // a killed process leaves the namespace once it is reaped
            for (int i = 0; i < 50 && !trySh("ip", "netns", "pids", ns).isBlank(); i++) pause(100);
            trySh("ip", "netns", "del", ns);
        }
        for (String line : trySh("ip", "-o", "link", "show").lines().toList()) {
            String[] parts = line.split(":\\s+");
            if (parts.length < 2) continue;
            String name = parts[1].split("@")[0];
            if (mine.matcher(name).find()) trySh("ip", "link", "del", name);
        }
        killProcessesUnder(base);
        deleteTree(base);
    }

    /** Whether anything this fleet made is still on the machine: links, namespaces or its directory. */
    String remains() {
        Pattern mine = Pattern.compile("^" + tag + "\\D");
        List<String> left = new ArrayList<>();
        for (String ns : trySh("ip", "netns", "list").lines().map(l -> l.split("\\s+")[0]).toList())
            if (mine.matcher(ns).find()) left.add("netns " + ns);
        for (String line : trySh("ip", "-o", "link", "show").lines().toList()) {
            String[] parts = line.split(":\\s+");
            if (parts.length >= 2 && mine.matcher(parts[1].split("@")[0]).find()) left.add("link " + parts[1]);
        }
        if (Files.exists(base)) left.add("directory " + base);
        return String.join(", ", left);
    }
}
