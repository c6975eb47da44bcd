package gpufleet.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import gpufleet.protocol.IdentityView;

import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code gpufleet login}: checks a token with the controller and saves both, readable by this user
 * only, so later commands need neither {@code --server} nor {@code --token}.
 */
@Command(name = "login", description = {"Save a controller and your token for later commands (in ~/.config/gpufleet/config, mode 0600).",
        "The token comes from --token, else $GPUFLEET_TOKEN, else standard input (so it stays out of the shell history)."})
final class LoginCommand implements Callable<Integer> {
    @Option(names = "--server", paramLabel = "URL", description = "the controller (default: $GPUFLEET_SERVER, else " + Credentials.DEFAULT_SERVER + ")")
    String server;

    @Option(names = "--token", paramLabel = "TOKEN", description = "the token an admin gave you")
    String token;

    @Option(names = "--ca-cert", paramLabel = "PEM",
            description = "the CA certificate that signed an https controller's certificate (default: $GPUFLEET_CA_CERT); saved with the token")
    String caCert;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "show this help")
    boolean help;

    @Override
    public Integer call() {
        var env = System.getenv();
        String url = server != null ? server : env.getOrDefault("GPUFLEET_SERVER", Credentials.DEFAULT_SERVER);
        String t = token != null ? token : env.get("GPUFLEET_TOKEN");
        if (t == null || t.isBlank()) t = readToken();
        if (t == null || t.isBlank()) throw new IllegalArgumentException("no token: give --token, set GPUFLEET_TOKEN or type it in");
        String caFile = caCert != null ? caCert : blankToNull(env.get("GPUFLEET_CA_CERT"));
        String ca = caFile != null ? Path.of(caFile).toAbsolutePath().toString() : null;
        ControllerClient c = new ControllerClient(url, t.strip(), ca);
        IdentityView me = c.view(c.get("/whoami"), IdentityView.class);
        Path file = Credentials.configFile(env);
        Credentials.save(file, new Credentials.Saved(url, t.strip(), ca));
        String role = Jobs.text(me.role()).toLowerCase(Locale.ROOT);
        String team = me.team() != null ? " of team " + me.team() : "";
        System.out.println("logged in to " + url + " as " + Jobs.text(me.name()) + " (" + role + team + "); saved in " + file);
        return 0;
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.strip();
    }

    private static String readToken() {
        Console console = System.console();
        if (console != null) {
            char[] typed = console.readPassword("token: ");
            return typed == null ? null : new String(typed);
        }
        try {
            return new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the token from standard input: " + e.getMessage(), e);
        }
    }

    /** {@code gpufleet logout}: forgets what login saved. */
    @Command(name = "logout", description = "Forget the controller and token gpufleet login saved.")
    static final class Logout implements Callable<Integer> {
        @Option(names = {"-h", "--help"}, usageHelp = true, description = "show this help")
        boolean help;

        @Override
        public Integer call() throws IOException {
            Path file = Credentials.configFile(System.getenv());
            System.out.println(Files.deleteIfExists(file) ? "removed " + file : "not logged in (no " + file + ")");
            return 0;
        }
    }
}
