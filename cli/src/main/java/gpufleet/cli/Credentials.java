package gpufleet.cli;

import gpufleet.protocol.PrivateFiles;

import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;

/**
 * Which controller a command talks to, with which token, trusting which certificate authority.
 *
 * <ul>
 *   <li>server: {@code --server}, else {@code $GPUFLEET_SERVER}, else the one {@code gpufleet login} saved,
 *   else {@code http://localhost:8080};</li>
 *   <li>token: {@code --token}, else {@code $GPUFLEET_TOKEN}, else the one {@code gpufleet login} saved for
 *   that same server, else, for a controller on this machine, the admin token it wrote to
 *   {@code ./gpufleet-data/admin-token} on its first start (readable only by the user who started it);</li>
 *   <li>CA certificate: {@code --ca-cert}, else {@code $GPUFLEET_CA_CERT}, else the one saved at login.</li>
 * </ul>
 *
 * A saved token goes only to the server it was saved for, so a command pointed elsewhere does not
 * hand it to a stranger.
 */
record Credentials(String server, String token, String tokenSource, String caCert) {
    static final String DEFAULT_SERVER = "http://localhost:8080";
    /** Where {@code gpufleet up} and {@code gpufleet server} keep their state unless told otherwise. */
    static final Path LOCAL_ADMIN_TOKEN = Path.of("gpufleet-data", "admin-token");

    /** What {@code gpufleet login} saved. */
    record Saved(String server, String token, String caCert) {
        static final Saved NONE = new Saved(null, null, null);
    }

    static Credentials resolve(String flagServer, String flagToken, String flagCa, Map<String, String> env, Path cwd) {
        Saved saved = load(configFile(env));
        String server = first(flagServer, env.get("GPUFLEET_SERVER"), saved.server(), DEFAULT_SERVER);
        boolean savedHere = saved.server() != null && same(saved.server(), server);
        String token;
        String source;
        if (nonBlank(flagToken)) {
            token = flagToken.strip();
            source = "--token";
        } else if (nonBlank(env.get("GPUFLEET_TOKEN"))) {
            token = env.get("GPUFLEET_TOKEN").strip();
            source = "$GPUFLEET_TOKEN";
        } else if (savedHere && nonBlank(saved.token())) {
            token = saved.token();
            source = configFile(env).toString();
        } else {
            Path local = cwd.resolve(LOCAL_ADMIN_TOKEN);
            token = isLocal(server) && Files.isReadable(local) ? PrivateFiles.readLine(local) : null;
            source = token == null ? null : local.toString();
        }
        String ca = first(flagCa, env.get("GPUFLEET_CA_CERT"), savedHere ? saved.caCert() : null, null);
        return new Credentials(server, token, source, ca);
    }

    /** {@code $GPUFLEET_CONFIG}, else {@code $XDG_CONFIG_HOME/gpufleet/config}, else {@code $HOME/.config/gpufleet/config}. */
    static Path configFile(Map<String, String> env) {
        if (nonBlank(env.get("GPUFLEET_CONFIG"))) return Path.of(env.get("GPUFLEET_CONFIG"));
        String xdg = env.get("XDG_CONFIG_HOME");
        String home = nonBlank(env.get("HOME")) ? env.get("HOME") : System.getProperty("user.home");
        Path base = nonBlank(xdg) ? Path.of(xdg) : Path.of(home, ".config");
        return base.resolve("gpufleet").resolve("config");
    }

    static Saved load(Path file) {
        if (!Files.isReadable(file)) return Saved.NONE;
        Properties p = new Properties();
        try {
            p.load(new StringReader(Files.readString(file)));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
        return new Saved(blankToNull(p.getProperty("server")), blankToNull(p.getProperty("token")),
                blankToNull(p.getProperty("ca-cert")));
    }

    /** Saves what {@code gpufleet login} learnt, readable by this user only. */
    static void save(Path file, Saved s) {
        StringBuilder sb = new StringBuilder("# written by gpufleet login; holds a token: keep it private\n");
        sb.append("server=").append(s.server()).append('\n');
        sb.append("token=").append(s.token()).append('\n');
        if (s.caCert() != null) sb.append("ca-cert=").append(s.caCert().replace("\\", "\\\\")).append('\n');
        PrivateFiles.write(file, sb.toString());
    }

    /** The same controller: scheme, host and port, with or without the API prefix and trailing slashes. */
    static boolean same(String a, String b) {
        return normalize(a).equals(normalize(b));
    }

    static String normalize(String s) {
        String t = s.strip();
        while (t.endsWith("/")) t = t.substring(0, t.length() - 1);
        if (t.endsWith("/api/v1")) t = t.substring(0, t.length() - "/api/v1".length());
        return t.toLowerCase(java.util.Locale.ROOT);
    }

    /** Whether the server is on this machine, where a local admin token file would be its own. */
    static boolean isLocal(String server) {
        try {
            String host = URI.create(normalize(server)).getHost();
            if (host == null) return false;
            for (InetAddress a : InetAddress.getAllByName(host)) if (!a.isLoopbackAddress()) return false;
            return true;
        } catch (IOException | IllegalArgumentException e) {
            return false;
        }
    }

    private static String first(String... xs) {
        for (String x : xs) if (nonBlank(x)) return x.strip();
        return null;
    }

    private static boolean nonBlank(String s) {
        return s != null && !s.isBlank();
    }

    private static String blankToNull(String s) {
        return nonBlank(s) ? s.strip() : null;
    }
}
