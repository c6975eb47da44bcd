package gpufleet.server.store;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A PostgreSQL database named the way people write it ({@code postgresql://host[:port]/dbname?user=u&password=p},
 * {@code postgres://u:p@host/dbname}, or a full {@code jdbc:postgresql://} URL), turned into what JDBC takes.
 *
 * <p>The credentials are moved out of the URL into {@link #user} and {@link #password}, so the URL can
 * appear in error messages and logs without leaking the password.
 */
public record DatabaseSpec(String jdbcUrl, String user, String password) {
    static final String EXPECTED = "expected sqlite or postgresql://host[:port]/dbname?user=NAME&password=SECRET";

    private static final List<String> PREFIXES = List.of("jdbc:postgresql://", "postgresql://", "postgres://");
    private static final Pattern HOST = Pattern.compile("[A-Za-z0-9._-]+|\\[[0-9A-Fa-f:.]+\\]");
    private static final Pattern PASSWORD_PARAM = Pattern.compile("(?i)(password=)[^&]*");
    private static final Pattern USERINFO_PASSWORD = Pattern.compile("(://[^/@:]*:)[^/@]*@");

    /** True when the spec asks for the built-in SQLite file: no spec, or {@code sqlite}. */
    public static boolean isSqlite(String spec) {
        return spec == null || spec.isBlank() || spec.strip().equalsIgnoreCase("sqlite");
    }

    /** @throws IllegalArgumentException naming what is wrong with the spec */
    public static DatabaseSpec postgres(String spec) {
        String s = spec.strip();
        String rest = null;
        for (String p : PREFIXES)
            if (s.regionMatches(true, 0, p, 0, p.length())) {
                rest = s.substring(p.length());
                break;
            }
        if (rest == null) throw bad(spec, s.contains(":") ? "unsupported kind of database" : "not a database URL");

        String query = "";
        int q = rest.indexOf('?');
        if (q >= 0) {
            query = rest.substring(q + 1);
            rest = rest.substring(0, q);
        }
        int slash = rest.indexOf('/');
        String authority = slash < 0 ? rest : rest.substring(0, slash);
        String database = slash < 0 ? "" : rest.substring(slash + 1);

        String user = null;
        String password = null;
        int at = authority.lastIndexOf('@');
        if (at >= 0) {
            String info = authority.substring(0, at);
            authority = authority.substring(at + 1);
            int colon = info.indexOf(':');
            user = decode(spec, colon < 0 ? info : info.substring(0, colon));
            if (colon >= 0) password = decode(spec, info.substring(colon + 1));
        }
        if (authority.isEmpty()) throw bad(spec, "no host");
        // pgjdbc accepts a comma-separated list of hosts for failover
        for (String hostPort : authority.split(",", -1)) checkHostPort(spec, hostPort);
        if (database.isEmpty()) throw bad(spec, "no database name after the host");
        if (database.contains("/")) throw bad(spec, "the database name '" + database + "' contains '/'");

        List<String> kept = new ArrayList<>();
        if (!query.isEmpty())
            for (String param : query.split("&", -1)) {
                int eq = param.indexOf('=');
                String key = eq < 0 ? param : param.substring(0, eq);
                if (key.isEmpty()) throw bad(spec, "an empty parameter in '?" + redact(query) + "'");
                String value = eq < 0 ? "" : param.substring(eq + 1);
                switch (key) {
                    case "user" -> user = decode(spec, value);
                    case "password" -> password = decode(spec, value);
                    default -> kept.add(param);
                }
            }
        String url = "jdbc:postgresql://" + authority + "/" + database + (kept.isEmpty() ? "" : "?" + String.join("&", kept));
        return new DatabaseSpec(url, user, password);
    }

    private static void checkHostPort(String spec, String hostPort) {
        String host = hostPort;
        String port = null;
        int close = hostPort.lastIndexOf(']');
        int colon = hostPort.lastIndexOf(':');
        if (colon > close && (close >= 0 || hostPort.indexOf(':') == colon)) {
            host = hostPort.substring(0, colon);
            port = hostPort.substring(colon + 1);
        }
        if (!HOST.matcher(host).matches()) throw bad(spec, "'" + hostPort + "' is not a host name or address");
        if (port != null) {
            int p;
            try {
                p = Integer.parseInt(port);
            } catch (NumberFormatException e) {
                p = -1;
            }
            if (p < 1 || p > 65535) throw bad(spec, "the port '" + port + "' is not a number in [1, 65535]");
        }
    }

    private static String decode(String spec, String s) {
        try {
            return URLDecoder.decode(s, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw bad(spec, "a malformed %-escape in the user or password");
        }
    }

    private static IllegalArgumentException bad(String spec, String problem) {
        return new IllegalArgumentException("bad database '" + redact(spec) + "': " + problem + " (" + EXPECTED + ")");
    }

    /** The spec with any password replaced by {@code ***}, for messages. */
    public static String redact(String spec) {
        String s = PASSWORD_PARAM.matcher(spec).replaceAll("$1***");
        return USERINFO_PASSWORD.matcher(s).replaceAll("$1***@");
    }
}
