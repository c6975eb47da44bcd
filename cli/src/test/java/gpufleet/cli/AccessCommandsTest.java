package gpufleet.cli;

import gpufleet.server.GpufleetServer;
import gpufleet.server.auth.Tokens;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The access commands as an admin and the people they give tokens to use them: teams, tokens, login,
 * the audit log, and what a member may and may not do, through the real command line against a real
 * controller with authentication on.
 */
class AccessCommandsTest {
    @TempDir
    Path dir;
    GpufleetServer server;
    String url;
    String admin;

    @BeforeEach
    void start() throws IOException {
        server = GpufleetServer.start(dir.resolve("data"), 0, Duration.ofMillis(100));
        url = "http://127.0.0.1:" + server.port();
        admin = Files.readString(dir.resolve("data").resolve(Tokens.ADMIN_TOKEN_FILE)).strip();
        String join = server.tokens().create("test", gpufleet.server.auth.Role.JOIN, null, null, null, "test").token();
        // a host to run on: registered as its agent would
        var r = java.net.http.HttpClient.newHttpClient();
        try {
            var resp = r.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(url + "/api/v1/hosts/register"))
                    .header("Authorization", "Bearer " + join)
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"name\":\"node-a\",\"gpus\":8}")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(resp.statusCode()).as(resp.body()).isEqualTo(200);
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    @AfterEach
    void stop() {
        server.close();
    }

    /** {@code gpufleet ARGS... --server URL --token TOKEN [-- COMMAND]}, in this JVM. */
    private CliTest.Run as(String token, String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        int end = all.indexOf("--");
        all.addAll(end < 0 ? all.size() : end, List.of("--server", url, "--token", token));
        return CliTest.run(all.toArray(String[]::new));
    }

    private static String ok(CliTest.Run r) {
        assertThat(r.code()).as(r.err()).isZero();
        return r.out();
    }

    /** The token a {@code token create} printed: the line after the first. */
    private static String tokenIn(String out) {
        return out.lines().filter(l -> l.startsWith("gft_")).findFirst().orElseThrow(() -> new AssertionError(out));
    }

    @Test
    void anAdminAddsATeamGivesAPersonATokenAndSeesWhatTheyDid() {
        assertThat(ok(as(admin, "team", "add", "vision", "--quota", "16"))).isEqualTo("team vision: quota 16 GPUs\n");
        assertThat(ok(as(admin, "team", "list"))).contains("vision").contains("16").contains("default").contains("unlimited");
        String made = ok(as(admin, "token", "create", "--name", "alice", "--role", "member", "--team", "vision",
                "--expires", "30d"));
        assertThat(made).startsWith("token ").contains("for alice (member of team vision), expires ")
                .contains("It is shown only now");
        String alice = tokenIn(made);
        String bob = tokenIn(ok(as(admin, "token", "create", "--name", "bob", "--role", "member", "--team", "default")));
        String vic = tokenIn(ok(as(admin, "token", "create", "--name", "vic", "--role", "viewer")));

        String listing = ok(as(admin, "token", "list"));
        assertThat(listing).contains("alice").contains("member").contains("vision").contains("host:node-a")
                .doesNotContain(alice.substring(15)).doesNotContain(bob.substring(15));

        // a member's jobs are its team's; another team's are out of reach
        String mine = ok(as(alice, "submit", "--name", "mine", "--gpus", "4", "--", "true")).strip().replace("submitted job ", "");
        String theirs = ok(as(bob, "submit", "--name", "theirs", "--gpus", "4", "--", "true")).strip().replace("submitted job ", "");
        JsonNode job = TestFleet.JSON.readTree(ok(as(admin, "job", mine, "-o", "json")));
        assertThat(job.get("team").stringValue()).isEqualTo("vision");
        ControllerCommandsTest.assertOneLineError(as(alice, "submit", "--name", "x", "--gpus", "1", "--team", "default", "--", "true"),
                "forbidden: a member of team vision cannot submit jobs for team default");
        ControllerCommandsTest.assertOneLineError(as(alice, "cancel", theirs), "forbidden: a member of team vision cannot cancel job "
                + theirs + " of team default");
        ControllerCommandsTest.assertOneLineError(as(alice, "logs", theirs), "cannot read the logs of job " + theirs);
        ControllerCommandsTest.assertOneLineError(as(alice, "drain", "node-a"), "forbidden: a member token may not POST");
        ControllerCommandsTest.assertOneLineError(as(alice, "token", "list"), "forbidden");
        assertThat(ok(as(alice, "queue"))).contains("mine").contains("theirs");
        assertThat(ok(as(alice, "cancel", mine))).isEqualTo("cancelled job " + mine + "\n");

        // a viewer sees and changes nothing
        assertThat(ok(as(vic, "nodes"))).contains("node-a");
        ControllerCommandsTest.assertOneLineError(as(vic, "submit", "--name", "x", "--gpus", "1", "--", "true"), "forbidden");
        ControllerCommandsTest.assertOneLineError(as(vic, "logs", theirs), "forbidden");

        // revoked: refused, and told what to do
        String id = alice.substring(4, 14);
        assertThat(ok(as(admin, "token", "revoke", id))).isEqualTo("revoked token " + id + " (alice)\n");
        ControllerCommandsTest.assertOneLineError(as(alice, "queue"), "not authenticated: token " + id + " has been revoked",
                "the token sent is not accepted");

        String audit = ok(as(admin, "audit"));
        assertThat(audit.lines().findFirst().orElseThrow()).matches("TIME\\s+ACTOR\\s+ROLE\\s+FROM\\s+ACTION\\s+TARGET\\s+STATUS");
        assertThat(audit).contains("POST /api/v1/teams/vision".replace("POST", "PUT")).contains("team vision quota 16 GPUs")
                .contains("POST /api/v1/jobs/" + theirs + "/cancel").contains("403")
                .contains("POST /api/v1/tokens/" + id + "/revoke");
        String alicesOwn = ok(as(admin, "audit", "--actor", "alice"));
        assertThat(alicesOwn.lines().skip(1)).allMatch(l -> l.contains(" alice ")).hasSizeGreaterThanOrEqualTo(5);
        assertThat(TestFleet.JSON.readTree(ok(as(admin, "audit", "--since", "1h", "--limit", "2", "-o", "json")))).hasSize(2);
        assertThat(audit + alicesOwn).doesNotContain(alice.substring(15)).doesNotContain(bob.substring(15));
    }

    @Test
    void aJoinTokenExpiresInADayUnlessToldOtherwiseAndBadDurationsAreRefused() {
        JsonNode j = TestFleet.JSON.readTree(ok(as(admin, "token", "create", "--name", "rack-12", "--role", "join", "-o", "json")));
        assertThat(j.get("expiresAt").doubleValue() - j.get("createdAt").doubleValue()).isEqualTo(86_400.0);
        JsonNode forever = TestFleet.JSON.readTree(ok(as(admin, "token", "create", "--name", "ci", "--role", "viewer", "-o", "json")));
        assertThat(forever.get("expiresAt").isNull()).isTrue();
        ControllerCommandsTest.assertOneLineError(as(admin, "token", "create", "--name", "x", "--role", "viewer", "--expires", "soon"),
                "--expires must be like 90m, 12h, 30d, 2w or never");
        ControllerCommandsTest.assertOneLineError(as(admin, "token", "create", "--name", "x", "--role", "member"),
                "'team' is required (field team)");
    }

    // ---- as a separate process, with an environment of its own ------------------------------------

    private CliTest.Run process(Map<String, String> env, String stdin, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1", "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                Main.class.getName()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("GPUFLEET_") || k.equals("XDG_CONFIG_HOME"));
        pb.environment().put("HOME", dir.resolve("home").toString());
        pb.environment().putAll(env);
        Process p = pb.start();
        if (stdin != null) p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new CliTest.Run(p.exitValue(), out, err);
    }

    @Test
    void loginSavesTheServerAndTokenPrivatelyAndLaterCommandsUseThem() throws Exception {
        String vic = tokenIn(ok(as(admin, "token", "create", "--name", "vic", "--role", "viewer")));
        CliTest.Run none = process(Map.of(), null, "queue", "--server", url);
        assertThat(none.code()).isEqualTo(2);
        assertThat(none.err()).contains("not authenticated").contains("no token was sent: give --token, set GPUFLEET_TOKEN or run gpufleet login");

        // the token from standard input, so it never shows in the shell history or the process list
        CliTest.Run login = process(Map.of(), vic + "\n", "login", "--server", url);
        Path config = dir.resolve("home/.config/gpufleet/config");
        assertThat(login.out()).as(login.err()).isEqualTo("logged in to " + url + " as vic (viewer); saved in " + config + "\n");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(config))).isEqualTo("rw-------");
        assertThat(Files.readString(config)).contains("server=" + url).contains("token=" + vic);

        CliTest.Run queue = process(Map.of(), null, "nodes");
        assertThat(queue.code()).as(queue.err()).isZero();
        assertThat(queue.out()).contains("node-a");
        // $GPUFLEET_TOKEN wins over the saved one
        CliTest.Run env = process(Map.of("GPUFLEET_TOKEN", "gft_0000000000_" + "a".repeat(43)), null, "nodes");
        assertThat(env.err()).contains("unknown token");

        CliTest.Run bad = process(Map.of(), "gft_0000000000_" + "a".repeat(43) + "\n", "login", "--server", url);
        assertThat(bad.code()).isEqualTo(2);
        assertThat(Files.readString(config)).as("a refused login keeps the saved one").contains("token=" + vic);

        assertThat(process(Map.of(), null, "logout").out()).isEqualTo("removed " + config + "\n");
        assertThat(config).doesNotExist();
    }

    @Test
    void loginTakesAListOfControllersAndLaterCommandsTryThemInTurn() throws Exception {
        String vic = tokenIn(ok(as(admin, "token", "create", "--name", "vic", "--role", "viewer")));
        String nowhere;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            nowhere = "http://127.0.0.1:" + s.getLocalPort();
        }
        String list = nowhere + "," + url;
        CliTest.Run login = process(Map.of(), vic + "\n", "login", "--server", list);
        assertThat(login.code()).as(login.err()).isZero();
        assertThat(login.out()).startsWith("logged in to " + list + " as vic (viewer)");
        CliTest.Run nodes = process(Map.of(), null, "nodes");
        assertThat(nodes.code()).as(nodes.err()).isZero();
        assertThat(nodes.out()).contains("node-a");
    }

    @Test
    void onTheControllersOwnMachineTheCommandsFindItsAdminTokenInTheDataDirectory() throws Exception {
        // gpufleet-data/admin-token below the working directory, as `gpufleet up` leaves it
        Files.createDirectories(dir.resolve("gpufleet-data"));
        Files.copy(dir.resolve("data").resolve(Tokens.ADMIN_TOKEN_FILE), dir.resolve("gpufleet-data/admin-token"));
        CliTest.Run r = process(Map.of("GPUFLEET_SERVER", url), null, "team", "add", "found-it");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).isEqualTo("team found-it: quota unlimited\n");
    }

    @Test
    void aTokenGoesOnlyWhereItBelongs() throws Exception {
        Path config = dir.resolve("cfg");
        Credentials.save(config, new Credentials.Saved("https://prod.example:8443", "gft_saved", null));
        Path cwd = Files.createDirectories(dir.resolve("cwd"));
        Files.createDirectories(cwd.resolve("gpufleet-data"));
        Files.writeString(cwd.resolve("gpufleet-data/admin-token"), "gft_local\n");
        Map<String, String> env = new HashMap<>(Map.of("GPUFLEET_CONFIG", config.toString()));

        Credentials saved = Credentials.resolve(null, null, null, env, cwd);
        assertThat(saved.server()).isEqualTo("https://prod.example:8443");
        assertThat(saved.token()).isEqualTo("gft_saved");
        assertThat(Credentials.resolve("https://prod.example:8443/api/v1/", null, null, env, cwd).token()).isEqualTo("gft_saved");
        // pointed at another controller, the saved token stays home; a local one gets the local admin token
        assertThat(Credentials.resolve("https://other.example", null, null, env, cwd).token()).isNull();
        assertThat(Credentials.resolve("http://127.0.0.1:9", null, null, env, cwd).token()).isEqualTo("gft_local");
        assertThat(Credentials.resolve("http://localhost:9", null, null, env, cwd).tokenSource())
                .isEqualTo(cwd.resolve("gpufleet-data/admin-token").toString());
        env.put("GPUFLEET_TOKEN", "gft_env");
        assertThat(Credentials.resolve(null, null, null, env, cwd).token()).isEqualTo("gft_env");
        assertThat(Credentials.resolve(null, "gft_flag", null, env, cwd).token()).isEqualTo("gft_flag");
    }
}
