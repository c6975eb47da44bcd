package gpufleet.cli.deploy;

import gpufleet.cli.deploy.ReadmeCommands.Command;
import gpufleet.protocol.Pem;
import gpufleet.server.TestCerts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.DynamicTest.dynamicTest;

/**
 * The READMEs are a test: every command of every {@code ```bash} block of README.md, agent/README.md and
 * server/README.md runs, in the READMEs' order, through {@code /bin/sh -c} as a separate process, in a
 * scratch directory whose {@code ./gpufleet} is a link to the repository's launcher (and whose
 * {@code ../shared} is the repository's), as a reader pastes it. A README edit that breaks a command
 * fails the build.
 *
 * <p>How the READMEs' assumptions are met, all in the tables below:
 * <ul>
 *   <li><b>Placeholders.</b> Hosts, tokens, users, paths of the reader's machine and the like are
 *   filled in from {@link #FILL}, in order; {@code {{name}}} there is a value known only while running
 *   (the current machine's directory, a join token made on the running controller, the id a previous
 *   command printed). After filling, a command that still holds anything {@link #PLACEHOLDERS} describes
 *   fails: a new placeholder needs a row.</li>
 *   <li><b>Files the reader has.</b> {@link #FIXTURES} makes them where a command names them: a fleet and
 *   a workload file as the README says to start one ({@code gpufleet fleets show}), the model file of
 *   docs/planner.md, and a CA with a controller certificate for localhost made with openssl.</li>
 *   <li><b>Controllers and agents.</b> {@code gpufleet up}, {@code gpufleet server} and {@code gpufleet
 *   agent} run in the background. A controller counts as started when {@code GET /api/v1/healthz}
 *   answers, an agent when its host has registered (its generation in {@code /api/v1/hosts}, what
 *   {@code gpufleet nodes} lists, went up). Each controller starts on a fresh "machine" (a directory
 *   of its own, where later commands run and find its admin token, as the README says); a later
 *   controller replaces it. Commands after a {@code gpufleet server} get {@code $GPUFLEET_SERVER} (and
 *   {@code $GPUFLEET_CA_CERT}) pointing at it, as a reader working against a fleet sets them;
 *   commands after {@code gpufleet up} find it at the default address. At the end of the section
 *   (heading of level 1 or 2) they started in, each must still run, with no error in its output, and
 *   is stopped with everything it started. Agents without {@code --simulate-gpus} run on 8 GPUs of a
 *   fake NVML ({@code agent/src/test/c/fake_nvml.c}, built with gcc). {@code export} lines hold for
 *   the rest of their section.</li>
 *   <li><b>Long commands.</b> Commands in {@link #BUDGETS} (a simulated year, the benchmarks, a log
 *   followed for ever) are stopped at their budget; one still running then passes if it printed no
 *   error (it parsed its options and started). Every other command must end within two minutes.</li>
 *   <li><b>Pass.</b> Exit status 0, and no error in the output: "Unknown option", "Exception", or a
 *   line {@code gpufleet...: } in gpufleet's error format ({@link Pasted#ERROR}).</li>
 *   <li><b>Not run.</b> Only the commands in {@link #NOT_RUN}, each with its reason; {@link #BEFORE}
 *   and {@link #AFTER} are the few set-up steps a README leaves to the reader. A row of any table that
 *   no longer matches a README fails the test, so the tables do not outlive what they describe.</li>
 * </ul>
 * The commands talk to fixed ports (8080, 8443) as written; a port already taken fails the test with
 * a message rather than talking to someone else's controller. Each command's time goes to stdout;
 * {@code -Dgpufleet.readme.keep=true} keeps the scratch dir, with every command's output under
 * {@code logs/}.
 */
class ReadmeIT {
    static final List<String> READMES = List.of("README.md", "agent/README.md", "server/README.md");

    /** Commands not run, and why. */
    static final Map<String, String> NOT_RUN = Map.of(
            "./test", "runs the whole build, this test included",
            "./gpufleet server --db 'postgresql://db:5432/gpufleet?user=gf&password=...' ...",
            "needs the reader's PostgreSQL server; the store tests run on a real PostgreSQL (./test starts one)",
            "./gpufleet server --db 'postgresql://db.example:5432/gpufleet?user=gpufleet&password=...'",
            "needs the reader's PostgreSQL server; the store tests run on a real PostgreSQL (./test starts one)",
            "./mvnw -B -q test -pl cli -am -Dtest='DashboardBrowserTest,ReplayComparisonBrowserTest' -Dsurefire.failIfNoSpecifiedTests=false",
            "runs the browser tests, which ./test runs anyway",
            "cp cli/target/screenshots/dashboard-fleet.png cli/target/screenshots/replay-compare.png docs/screenshots/",
            "copies what the browser tests above made");

    /** A placeholder and what the test puts in its place. */
    record Fill(String text, String with, String why) {}

    /** Applied in this order, each to every occurrence. */
    static final List<Fill> FILL = List.of(
            new Fill("https://controller:8443", "https://localhost:8443", "the controller's host is this machine"),
            new Fill("https://ctl.example:8443", "https://localhost:8443", "the controller's host is this machine"),
            new Fill("--bind 0.0.0.0", "--bind 127.0.0.1", "the test listens on loopback only"),
            new Fill("GPUFLEET_JOIN_TOKEN=gft_...", "GPUFLEET_JOIN_TOKEN={{join}}", "a join token made on the running controller"),
            new Fill("--name sim-1 --simulate-gpus 8 ...",
                    "--name sim-1 --simulate-gpus 8 --ca-cert ca.pem --join-token {{join}} --work-dir {{machine}}/sim-1 --run-as {{user}}",
                    "'...' stands for the options of the agent line above it"),
            new Fill("--rack r12 --run-as gpujobs --work-dir /var/lib/gpufleet-agent",
                    "--rack r12 --run-as {{user}} --work-dir {{machine}}/var-lib-gpufleet-agent --name r12-host2",
                    "another host of rack 12: this machine's host name is taken by the first GPU agent"),
            new Fill("--run-as gpujobs", "--run-as {{user}}", "the jobs' user: nobody as root, else the test's own user"),
            new Fill("ssh ctl cat /var/lib/gpufleet/admin-token", "cat gpufleet-data/admin-token",
                    "the controller's machine is this one, its data dir gpufleet-data"),
            new Fill("/var/lib/gpufleet", "{{machine}}/var-lib-gpufleet", "the agent's work dir, inside the scratch dir"),
            new Fill("--checkpoint-root /mnt/shared/checkpoints", "--checkpoint-root {{machine}}/ckpt",
                    "storage every host mounts: a dir of the scratch machine that the jobs' user may write"),
            new Fill("--checkpoint-dir /ckpt/llama", "--checkpoint-dir {{machine}}/ckpt/llama",
                    "shared storage: a dir of the scratch machine that the jobs' user may write"),
            new Fill("-- python train.py --config c.yaml", "-- sleep 600",
                    "the reader's training script; a rank that runs until cancelled stands in for it"),
            new Fill("job 42", "job {{job}}", "the job the block submitted"),
            new Fill("logs 42", "logs {{job}}", "the job the block submitted"),
            new Fill("cancel 42", "cancel {{job}}", "the job the block submitted"),
            new Fill("host-17", "sim-1", "a host of the fleet the section started"),
            new Fill("token revoke k3v9q2x7ma", "token revoke {{token:alice}}", "the id `token create --name alice` printed"));

    record Placeholder(Pattern pattern, String what) {}

    /** What must not be left in a command once {@link #FILL} has run. */
    static final List<Placeholder> PLACEHOLDERS = List.of(
            new Placeholder(Pattern.compile("\\.\\.\\."), "an elision"),
            new Placeholder(Pattern.compile("\\bgft_"), "a token"),
            new Placeholder(Pattern.compile("[a-z]+://(?!localhost[:/]|127\\.0\\.0\\.1[:/])[^\\s/'\"]+"), "another machine's address"),
            new Placeholder(Pattern.compile("\\bssh\\b"), "another machine"),
            new Placeholder(Pattern.compile("0\\.0\\.0\\.0"), "every interface (the test stays on loopback)"),
            new Placeholder(Pattern.compile("\\[-"), "optional-part notation"),
            new Placeholder(Pattern.compile("<[A-Za-z][\\w-]*>"), "an angle-bracket placeholder"),
            new Placeholder(Pattern.compile("(?<![\\w.}-])/(?:var|ckpt|etc|srv|mnt|data|home|opt)/"), "a path on the reader's machine"),
            new Placeholder(Pattern.compile("\\bhost-\\d+"), "a host name"),
            new Placeholder(Pattern.compile("\\bgpujobs\\b"), "the reader's job user"),
            new Placeholder(Pattern.compile("\\btrain\\.py\\b"), "the reader's training script"));

    /** Files a README assumes the reader has, made where a command names them; how. */
    static final Map<String, String> FIXTURES = Map.of(
            "my-cluster.yaml", "./gpufleet fleets show h100-24k-roce > my-cluster.yaml (the README's way to start one)",
            "my-jobs.yaml", "./gpufleet workloads show default > my-jobs.yaml",
            "my-model.yaml", "the model file of docs/planner.md",
            "ca.pem", "a CA made with openssl (server TestCerts)",
            "cert.pem", "the controller's certificate for localhost and 127.0.0.1, signed by ca.pem",
            "key.pem", "its key, mode 0600");

    /** Commands (a pattern over the README's text) that may run longer than a test should: their time budget. */
    static final Map<String, Duration> BUDGETS = Map.of(
            "simulate --fleet h100-100k .*--days 365", Duration.ofSeconds(10),   // ~20 s on 2 cores
            "^\\./gpufleet bench$", Duration.ofSeconds(10),                       // three scenarios, ~1 min
            "^\\./gpufleet bench controller", Duration.ofSeconds(10),             // 2.5 min, or 30 s after joining
            "logs \\S+ --rank \\S+ --follow", Duration.ofSeconds(5));             // follows until interrupted

    static final Duration COMMAND_LIMIT = Duration.ofSeconds(120);

    /** A set-up step a README leaves to the reader, run before or after the command it names. */
    record Hook(String file, String commandStart, String why, BiConsumer<Run, String> action) {
        boolean matches(Command c) {
            return c.file().equals(file) && c.text().startsWith(commandStart);
        }
    }

    static final List<Hook> BEFORE = List.of(
            new Hook("README.md", "./gpufleet submit --name llama",
                    "the researchers' example submits to team genai, which an admin makes first (Who may do what)",
                    (run, line) -> run.shell("./gpufleet team add genai")),
            new Hook("agent/README.md", "GPUFLEET_JOIN_TOKEN=gft_... ./gpufleet agent",
                    "agents join a controller: one as README.md's 'On a real fleet' starts it",
                    (run, line) -> run.daemon("./gpufleet server --port 8443 --tls-cert cert.pem --tls-key key.pem --data-dir ./gpufleet-data",
                            "agent/README.md (the test's controller)")));

    static final List<Hook> AFTER = List.of(
            new Hook("README.md", "./gpufleet agent --server https://controller:8443 --name sim-1",
                    "the researchers' 64-GPU example needs 8 hosts of 8 GPUs: the same line runs on sim-2 to sim-7",
                    (run, line) -> run.agents(Stream.of(2, 3, 4, 5, 6, 7).map(i -> line.replace("sim-1", "sim-" + i)).toList(),
                            "README.md (sim-1's line on another host)")));

    private final Run run = new Run();

    @TestFactory
    Stream<DynamicTest> everyReadmeCommandRunsAsWritten() {
        List<Command> commands = new ArrayList<>();
        for (String f : READMES) commands.addAll(ReadmeCommands.of(Launcher.ROOT, f));
        List<DynamicTest> tests = new ArrayList<>();
        tests.add(dynamicTest("the tables name commands the READMEs still have", () -> tablesMatch(commands)));
        String section = null;
        for (Command c : commands) {
            String s = c.file() + " § " + c.section();
            if (section != null && !s.equals(section)) tests.add(endOf(section));
            section = s;
            String why = NOT_RUN.get(c.text());
            if (why != null) {
                System.out.println(c.where() + " not run: " + c.text() + " (" + why + ")");
                continue;
            }
            tests.add(dynamicTest(c.where() + " " + c.text(), () -> {
                long t0 = System.nanoTime();
                try {
                    run.command(c);
                } finally {
                    System.out.printf("%5.1f s  %s %s%n", (System.nanoTime() - t0) / 1e9, c.where(), c.text());
                }
            }));
        }
        if (section != null) tests.add(endOf(section));
        tests.add(dynamicTest("every placeholder row was used", () -> {
            List<String> unused = FILL.stream().map(Fill::text).filter(t -> !run.filled.contains(t)).toList();
            if (!unused.isEmpty()) throw new AssertionError("FILL rows no README command holds any more: " + unused);
        }));
        return tests.stream();
    }

    private DynamicTest endOf(String section) {
        return dynamicTest("end of " + section + ": its controllers and agents ran to the end and stop", () -> {
            long t0 = System.nanoTime();
            try {
                run.stopDaemons("the end of " + section);
            } finally {
                System.out.printf("%5.1f s  end of %s%n", (System.nanoTime() - t0) / 1e9, section);
            }
        });
    }

    @AfterEach
    void cleanUp() {
        run.close();
    }

    private static void tablesMatch(List<Command> commands) {
        List<String> stale = new ArrayList<>();
        for (String t : NOT_RUN.keySet())
            if (commands.stream().noneMatch(c -> c.text().equals(t))) stale.add("NOT_RUN: " + t);
        for (String b : BUDGETS.keySet())
            if (commands.stream().noneMatch(c -> Pattern.compile(b).matcher(c.text()).find())) stale.add("BUDGETS: " + b);
        for (Hook h : Stream.concat(BEFORE.stream(), AFTER.stream()).toList())
            if (commands.stream().noneMatch(h::matches)) stale.add("hook: " + h.file() + " " + h.commandStart());
        for (String f : FIXTURES.keySet())
            if (commands.stream().noneMatch(c -> c.text().contains(f))) stale.add("FIXTURES: " + f);
        if (!stale.isEmpty()) throw new AssertionError("rows that match no README command any more: " + stale);
    }

    /** The scratch machine(s) and what runs on them. */
    static final class Run implements AutoCloseable {
        private static final JsonMapper JSON = JsonMapper.builder().build();
        private static final String COMMAND_JAVA_OPTS = "-Xmx1g -XX:TieredStopAtLevel=1";
        private static final String DAEMON_JAVA_OPTS = "-Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC";
        private static final Pattern DAEMON = Pattern.compile("(?:^|\\s)(?:\\./)?gpufleet (up|server|agent)(?=\\s|$)(.*)$");
        private static final Pattern EXPORT = Pattern.compile("^export((?:\\s+\\w+=\\S*)+)$");
        private static final Pattern VALUE = Pattern.compile("\\{\\{([\\w:-]+)}}");

        /** {@code pointed}: later commands get {@code $GPUFLEET_SERVER} (all but {@code up}'s, found at the default address). */
        record Controller(String url, boolean tls, boolean pointed, Path dataDir, Path machine) {}

        record Daemon(String what, Pasted process) {}

        final Path root;
        private final Path bin;
        private final Path certs;
        private Path machine;
        private int machines;
        private int logs;
        private Controller controller;
        private String joinToken;
        private HttpClient http;
        private final List<Daemon> daemons = new ArrayList<>();
        private final Map<String, String> exported = new LinkedHashMap<>();
        private final Map<String, String> values = new HashMap<>();
        final Set<String> filled = new HashSet<>();
        private Path fakeNvml;

        Run() {
            try {
                root = Files.createTempDirectory("gpufleet-readme");
                // ranks run as another user (nobody, under a root agent), and must reach their checkpoint dirs
                Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxr-xr-x"));
                bin = Files.createDirectories(root.resolve("bin"));
                Files.createSymbolicLink(bin.resolve("gpufleet"), Launcher.GPUFLEET);
                Path shared = Launcher.ROOT.resolveSibling("shared");
                if (Files.isDirectory(shared)) Files.createSymbolicLink(root.resolve("shared"), shared);
                Files.createDirectories(root.resolve("config"));
                Files.createDirectories(root.resolve("logs"));
                certs = root.resolve("certs");
                machine = newMachine("work");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        private Path newMachine(String name) throws IOException {
            Path m = Files.createDirectories(root.resolve(name));
            Files.createSymbolicLink(m.resolve("gpufleet"), Launcher.GPUFLEET);
            // the shared storage checkpoints go to, writable by the jobs' user as it would be on a fleet
            Files.setPosixFilePermissions(Files.createDirectories(m.resolve("ckpt")), PosixFilePermissions.fromString("rwxrwxrwx"));
            return m;
        }

        void command(Command c) {
            String line = fill(c);
            for (Hook h : BEFORE) if (h.matches(c)) h.action().accept(this, line);
            Matcher d = DAEMON.matcher(line);
            // `agent --help`, `agent inject-xid` and `agent heal` end by themselves
            boolean daemon = d.find() && !d.group(2).contains("--help") && !d.group(2).matches("\\s+(?:inject-xid|heal)\\b.*");
            if (daemon) {
                line = daemon(line, c.where());
            } else {
                line = resolve(line);
                Matcher e = EXPORT.matcher(line);
                if (e.matches()) {
                    for (String kv : e.group(1).strip().split("\\s+")) exported.put(kv.substring(0, kv.indexOf('=')), kv.substring(kv.indexOf('=') + 1));
                } else {
                    fixtures(line);
                    pasted(line, c.where(), budget(c.text()));
                }
            }
            for (Hook h : AFTER) if (h.matches(c)) h.action().accept(this, line);
        }

        /** The command with {@link #FILL} applied; fails on a placeholder left over. */
        private String fill(Command c) {
            String s = c.text();
            for (Fill f : FILL) {
                if (s.contains(f.text())) {
                    filled.add(f.text());
                    s = s.replace(f.text(), f.with());
                }
            }
            for (Placeholder p : PLACEHOLDERS) {
                Matcher m = p.pattern().matcher(s);
                if (m.find())
                    throw new AssertionError(c.where() + ": `" + m.group() + "` looks like a placeholder (" + p.what()
                            + ") that ReadmeIT.FILL does not fill in; the command as filled: " + s);
            }
            return s;
        }

        private String resolve(String line) {
            Matcher m = VALUE.matcher(line);
            StringBuilder sb = new StringBuilder();
            while (m.find()) m.appendReplacement(sb, Matcher.quoteReplacement(value(m.group(1))));
            m.appendTail(sb);
            return sb.toString();
        }

        private String value(String name) {
            return switch (name) {
                case "machine" -> machine.toString();
                case "user" -> "root".equals(System.getProperty("user.name")) ? "nobody" : System.getProperty("user.name");
                case "join" -> joinToken();
                default -> {
                    String v = values.get(name);
                    if (v == null) throw new AssertionError("no command before this one printed the " + name + " the README means");
                    yield v;
                }
            };
        }

        private Duration budget(String text) {
            for (var b : BUDGETS.entrySet()) if (Pattern.compile(b.getKey()).matcher(text).find()) return b.getValue();
            return null;
        }

        private Map<String, String> env(boolean daemon) {
            Map<String, String> env = new HashMap<>(System.getenv());
            env.keySet().removeIf(k -> k.startsWith("GPUFLEET_") || k.equals("XDG_CONFIG_HOME") || k.equals("LD_LIBRARY_PATH"));
            env.put("PATH", bin + ":" + System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
            env.put("XDG_CONFIG_HOME", root.resolve("config").toString());
            env.put("GPUFLEET_JAVA_OPTS", daemon ? DAEMON_JAVA_OPTS : COMMAND_JAVA_OPTS);
            if (controller != null && controller.pointed()) {
                env.put("GPUFLEET_SERVER", controller.url());
                if (controller.tls()) env.put("GPUFLEET_CA_CERT", controller.machine().resolve("ca.pem").toString());
            }
            env.putAll(exported);
            return env;
        }

        private Path log(String where) {
            return root.resolve("logs").resolve(String.format("%03d-%s.log", ++logs, where.replaceAll("[^\\w.-]", "_")));
        }

        /** Runs a command to its end (or its budget) and checks it. */
        private Pasted pasted(String line, String where, Duration budget) {
            Pasted p = Pasted.start(line, machine, env(false), log(where));
            if (!p.waitFor(budget != null ? budget : COMMAND_LIMIT)) {
                p.stop(Duration.ofSeconds(5));
                if (budget == null)
                    throw new AssertionError(where + ": `" + line + "` did not end within " + COMMAND_LIMIT.toSeconds() + " s; it printed:\n" + p.tail());
                if (p.error() != null)
                    throw new AssertionError(where + ": `" + line + "` printed an error before its " + budget.toSeconds() + " s budget: "
                            + p.error() + "\n" + p.tail());
                return p;
            }
            int code = p.process.exitValue();
            if (code != 0) throw new AssertionError(where + ": `" + line + "` exited with " + code + "; it printed:\n" + p.tail());
            if (p.error() != null) throw new AssertionError(where + ": `" + line + "` printed an error: " + p.error() + "\n" + p.tail());
            remember(p.output());
            return p;
        }

        /** A set-up command of the test's own, in the current machine. */
        void shell(String line) {
            pasted(line, "set-up", null);
        }

        /** Ids a command printed that later commands of the README refer to. */
        private void remember(String out) {
            Matcher job = Pattern.compile("submitted job (\\d+)").matcher(out);
            while (job.find()) values.put("job", job.group(1));
            Matcher token = Pattern.compile("(?m)^token (\\S+) for (\\S+)").matcher(out);
            while (token.find()) values.put("token:" + token.group(2), token.group(1));
        }

        /** Starts a controller or an agent in the background and waits until it is ready; the line as run. */
        String daemon(String line, String where) {
            Matcher d = DAEMON.matcher(line);
            if (!d.find()) throw new IllegalArgumentException(line);
            String args = d.group(2);
            if (d.group(1).equals("agent")) {
                String resolved = resolve(line);
                agents(List.of(resolved), where);
                return resolved;
            }
            stopDaemons(where + " starting another controller");
            try {
                machine = newMachine("host-" + ++machines);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            String resolved = resolve(line);
            int port = option(args, "--port").map(Integer::parseInt).orElse(8080);
            boolean tls = args.contains("--tls-cert");
            try (Socket s = new Socket("127.0.0.1", port)) {
                throw new AssertionError(where + ": port " + port + " is already taken on this machine (another gpufleet?),"
                        + " so `" + line + "` cannot listen there");
            } catch (IOException free) {
                // nothing listens: the README's controller may
            }
            fixtures(resolved);
            Pasted p = Pasted.start(resolved, machine, env(true), log(where));
            daemons.add(new Daemon(where + " `" + resolved + "`", p));
            Controller c = new Controller((tls ? "https" : "http") + "://localhost:" + port, tls, !d.group(1).equals("up"),
                    machine.resolve(option(args, "--data-dir").orElse("gpufleet-data")), machine);
            http = tls ? HttpClient.newBuilder().sslContext(Pem.trusting(machine.resolve("ca.pem"))).build() : HttpClient.newHttpClient();
            awaitReady(p, where, "answers GET /api/v1/healthz", () -> status(c, "/api/v1/healthz") == 200);
            controller = c;
            joinToken = null;
            if (d.group(1).equals("up")) {
                String name = option(args, "--name").orElse("local");
                awaitReady(p, where, "has registered its agent " + name, () -> hostGenerations().getOrDefault(name, 0L) > 0);
            }
            return resolved;
        }

        /** Starts agents together, then waits until each one's host has (re-)registered. */
        void agents(List<String> lines, String where) {
            if (controller == null) throw new AssertionError(where + ": an agent, but no controller runs in this section");
            Map<String, Long> before = hostGenerations();
            List<Map.Entry<String, Pasted>> started = new ArrayList<>();
            for (String line : lines) {
                String name = option(line, "--name").orElseGet(Run::hostName);
                fixtures(line);
                Map<String, String> env = env(true);
                if (!line.contains("--simulate-gpus")) {
                    env.put("LD_LIBRARY_PATH", fakeNvml().toString());
                    env.put("FAKE_NVML", "gpus=8");
                }
                Pasted p = Pasted.start(line, machine, env, log(where));
                daemons.add(new Daemon(where + " `" + line + "`", p));
                started.add(Map.entry(name, p));
            }
            for (var s : started)
                awaitReady(s.getValue(), where, "has registered host " + s.getKey(),
                        () -> hostGenerations().getOrDefault(s.getKey(), 0L) > before.getOrDefault(s.getKey(), 0L));
        }

        private void awaitReady(Pasted p, String where, String what, BooleanSupplier ready) {
            long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
            while (true) {
                if (!p.process.isAlive())
                    throw new AssertionError(where + ": `" + p.line + "` exited with " + p.process.exitValue() + " before it "
                            + what + "; it printed:\n" + p.tail());
                if (p.error() != null)
                    throw new AssertionError(where + ": `" + p.line + "` printed an error: " + p.error() + "\n" + p.tail());
                if (ready.getAsBoolean()) return;
                if (System.nanoTime() > deadline)
                    throw new AssertionError(where + ": `" + p.line + "` has not " + what + " within 90 s; it printed:\n" + p.tail());
                try {
                    Thread.sleep(200);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new AssertionError("interrupted", e);
                }
            }
        }

        /** Checks that the controllers and agents of a section still run without error, then stops them. */
        void stopDaemons(String why) {
            List<String> problems = new ArrayList<>();
            for (Daemon d : daemons) {
                if (!d.process().process.isAlive())
                    problems.add(d.what() + " exited with " + d.process().process.exitValue() + " before " + why + ":\n" + d.process().tail());
                else if (d.process().error() != null)
                    problems.add(d.what() + " printed an error: " + d.process().error() + "\n" + d.process().tail());
            }
            Pasted.stop(daemons.stream().map(Daemon::process).toList(), Duration.ofSeconds(15));
            daemons.clear();
            controller = null;
            joinToken = null;
            exported.clear();
            if (!problems.isEmpty()) throw new AssertionError(String.join("\n\n", problems));
        }

        private String joinToken() {
            if (controller == null) throw new AssertionError("a join token, but no controller runs in this section");
            if (joinToken == null) {
                var r = request(controller, HttpRequest.newBuilder(URI.create(controller.url() + "/api/v1/tokens"))
                        .header("content-type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"readme agents\",\"role\":\"join\",\"ttlSeconds\":3600}")));
                if (r.statusCode() != 201) throw new AssertionError("cannot make a join token: " + r.statusCode() + " " + r.body());
                joinToken = JSON.readTree(r.body()).get("token").stringValue();
            }
            return joinToken;
        }

        private Map<String, Long> hostGenerations() {
            var r = request(controller, HttpRequest.newBuilder(URI.create(controller.url() + "/api/v1/hosts")).GET());
            if (r.statusCode() != 200) throw new AssertionError("GET /api/v1/hosts: " + r.statusCode() + " " + r.body());
            Map<String, Long> out = new HashMap<>();
            for (JsonNode h : JSON.readTree(r.body())) out.put(h.get("name").stringValue(), h.get("generation").longValue());
            return out;
        }

        private int status(Controller c, String path) {
            try {
                return http.send(HttpRequest.newBuilder(URI.create(c.url() + path)).timeout(Duration.ofSeconds(5)).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode();
            } catch (IOException e) {
                return -1;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return -1;
            }
        }

        private HttpResponse<String> request(Controller c, HttpRequest.Builder b) {
            try {
                String admin = Files.readString(c.dataDir().resolve("admin-token")).strip();
                return http.send(b.header("authorization", "Bearer " + admin).timeout(Duration.ofSeconds(10)).build(),
                        HttpResponse.BodyHandlers.ofString());
            } catch (IOException e) {
                throw new UncheckedIOException("the controller at " + c.url() + " does not answer: " + e.getMessage(), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted", e);
            }
        }

        /** Makes the files of {@link #FIXTURES} that {@code line} names and the current machine lacks. */
        private void fixtures(String line) {
            for (String f : FIXTURES.keySet()) {
                if (!Pattern.compile("(?<![\\w./-])" + Pattern.quote(f) + "(?![\\w.-])").matcher(line).find()) continue;
                if (Files.exists(machine.resolve(f))) continue;
                try {
                    switch (f) {
                        case "my-cluster.yaml" -> shell("./gpufleet fleets show h100-24k-roce > my-cluster.yaml");
                        case "my-jobs.yaml" -> shell("./gpufleet workloads show default > my-jobs.yaml");
                        case "my-model.yaml" -> Files.writeString(machine.resolve(f), plannerModelFile());
                        case "ca.pem", "cert.pem", "key.pem" -> {
                            if (!Files.isRegularFile(certs.resolve("ca.pem"))) TestCerts.make(certs);
                            Files.copy(certs.resolve("ca.pem"), machine.resolve("ca.pem"), StandardCopyOption.REPLACE_EXISTING);
                            Files.copy(certs.resolve("controller.pem"), machine.resolve("cert.pem"), StandardCopyOption.REPLACE_EXISTING);
                            Files.copy(certs.resolve("controller.key"), machine.resolve("key.pem"), StandardCopyOption.REPLACE_EXISTING);
                            Files.setPosixFilePermissions(machine.resolve("key.pem"), PosixFilePermissions.fromString("rw-------"));
                        }
                        default -> throw new AssertionError("FIXTURES lists " + f + " but nothing makes it");
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        }

        /** The model file docs/planner.md shows, which a reader would copy. */
        private static String plannerModelFile() throws IOException {
            String doc = Files.readString(Launcher.ROOT.resolve("docs/planner.md"));
            Matcher m = Pattern.compile("(?s)```yaml\n(.*?)```").matcher(doc);
            if (!m.find()) throw new AssertionError("docs/planner.md shows no model file (```yaml block)");
            return m.group(1);
        }

        /** A fake libnvidia-ml.so.1 for agents on "GPU hosts", built once. */
        private Path fakeNvml() {
            if (fakeNvml != null) return fakeNvml;
            try {
                Path dir = Files.createDirectories(root.resolve("fake-nvml"));
                Process gcc = new ProcessBuilder("gcc", "-shared", "-fPIC", "-pthread", "-o", dir.resolve("libnvidia-ml.so.1").toString(),
                        Launcher.ROOT.resolve("agent/src/test/c/fake_nvml.c").toString()).redirectErrorStream(true).start();
                String out = new String(gcc.getInputStream().readAllBytes());
                if (gcc.waitFor() != 0) throw new AssertionError("gcc cannot build the fake NVML:\n" + out);
                return fakeNvml = dir;
            } catch (IOException e) {
                throw new AssertionError("the GPU agents of the READMEs run on a fake NVML built with gcc: " + e.getMessage(), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted", e);
            }
        }

        private static Optional<String> option(String args, String name) {
            Matcher m = Pattern.compile("(?:^|\\s)" + Pattern.quote(name) + "[ =](\\S+)").matcher(args);
            return m.find() ? Optional.of(m.group(1)) : Optional.empty();
        }

        private static String hostName() {
            try {
                return InetAddress.getLocalHost().getHostName();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public void close() {
            Pasted.stop(daemons.stream().map(Daemon::process).toList(), Duration.ofSeconds(15));
            daemons.clear();
            if (Boolean.getBoolean("gpufleet.readme.keep")) {
                System.out.println("ReadmeIT's scratch dir, kept (-Dgpufleet.readme.keep): " + root);
                return;
            }
            try {
                Files.walkFileTree(root, new SimpleFileVisitor<>() {
                    @Override
                    public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                        Files.delete(file);
                        return FileVisitResult.CONTINUE;
                    }

                    @Override
                    public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                        Files.delete(dir);
                        return FileVisitResult.CONTINUE;
                    }
                });
            } catch (IOException e) {
                System.err.println("could not remove " + root + ": " + e.getMessage());
            }
        }
    }
}
