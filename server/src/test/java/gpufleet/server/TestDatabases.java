package gpufleet.server;

import gpufleet.server.store.SqlStore;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Databases for the server tests: a fresh one per test, on SQLite or PostgreSQL, that the test can open
 * again the way a restarted controller does.
 *
 * <p>PostgreSQL is the server at {@value #URL_ENV} (a JDBC URL such as
 * {@code jdbc:postgresql://127.0.0.1:15432/postgres?user=app}) when that is set; otherwise this JVM starts a
 * private server once, from the newest {@code /usr/lib/postgresql/<version>/bin}, and stops it at exit.
 * Either way each test gets a database of its own. When there is no PostgreSQL the tests fail and say how to
 * get one: a database test that skipped itself would read as a pass.
 */
public final class TestDatabases {
    public enum Kind { SQLITE, POSTGRESQL }

    static final String URL_ENV = "GPUFLEET_TEST_PG_URL";

    // begun when the first test touches this class, usually a SQLite one: starting a private server
    // takes a second or more, which then overlaps with that test instead of adding to the run
    private static final CompletableFuture<Postgres> POSTGRES = CompletableFuture.supplyAsync(Postgres::connect);

    private TestDatabases() {}

    /** A new, empty database of {@code kind}; SQLite keeps its file under {@code dir}. */
    public static TestDb fresh(Kind kind, Path dir) {
        return switch (kind) {
            case SQLITE -> new TestDb(kind, null, "jdbc:sqlite:" + dir.resolve("gpufleet.db").toAbsolutePath(), dir, () -> {});
            case POSTGRESQL -> postgres().createDatabase(dir);
        };
    }

    private static Postgres postgres() {
        try {
            return POSTGRES.join();
        } catch (CompletionException e) {
            // a fresh error per test, so each failing test reports where it was
            throw new AssertionError(e.getCause().getMessage(), e.getCause());
        }
    }

    /** One test's database. Close it when the test ends. */
    public static final class TestDb implements AutoCloseable {
        private final Kind kind;
        private final String spec;
        private final String jdbcUrl;
        private final Path dir;
        private final Runnable drop;
        private Connection inspector;

        private TestDb(Kind kind, String spec, String jdbcUrl, Path dir, Runnable drop) {
            this.kind = kind;
            this.spec = spec;
            this.jdbcUrl = jdbcUrl;
            this.dir = dir;
            this.drop = drop;
        }

        /** A new store on this database: the first one creates the schema, later ones find the state left behind. */
        public SqlStore open() {
            return SqlStore.open(spec, dir);
        }

        /** The JDBC URL of this database (credentials included, for tests only). */
        public String jdbcUrl() {
            return jdbcUrl;
        }

        /**
         * Every row of every table, read over a connection of its own: tables by name, each with its column
         * names and its rows sorted, so two dumps are equal exactly when the stored state is.
         */
        synchronized String dumpTables() {
            try {
                if (inspector == null) inspector = DriverManager.getConnection(jdbcUrl);
                List<String> tables = new ArrayList<>();
                try (ResultSet rs = inspector.getMetaData().getTables(null, kind == Kind.POSTGRESQL ? "public" : null,
                        "%", new String[] {"TABLE"})) {
                    while (rs.next()) tables.add(rs.getString("TABLE_NAME"));
                }
                tables.sort(Comparator.naturalOrder());
                StringBuilder out = new StringBuilder();
                for (String t : tables) {
                    try (Statement s = inspector.createStatement(); ResultSet rs = s.executeQuery("SELECT * FROM " + t)) {
                        ResultSetMetaData md = rs.getMetaData();
                        List<String> columns = new ArrayList<>();
                        for (int i = 1; i <= md.getColumnCount(); i++) columns.add(md.getColumnName(i));
                        List<String> rows = new ArrayList<>();
                        while (rs.next()) {
                            List<String> row = new ArrayList<>();
                            for (int i = 1; i <= md.getColumnCount(); i++) row.add(String.valueOf(rs.getString(i)));
                            rows.add(String.join(" | ", row));
                        }
                        rows.sort(Comparator.naturalOrder());
                        out.append("== ").append(t).append(" (").append(String.join(", ", columns)).append(")\n");
                        for (String r : rows) out.append(r).append('\n');
                    }
                }
                return out.toString();
            } catch (SQLException e) {
                throw new AssertionError("cannot dump " + kind + " database: " + e.getMessage(), e);
            }
        }

        @Override
        public synchronized void close() {
            try {
                if (inspector != null) inspector.close();
            } catch (SQLException e) {
                throw new AssertionError(e);
            } finally {
                drop.run();
            }
        }
    }

    /**
     * The PostgreSQL server the tests share, and the databases made on it. Making one takes 50-300 ms, so
     * the next test's database is made while the current test runs, and a finished one is dropped in the
     * background; all of it on one thread, in order, over one admin connection.
     */
    private static final class Postgres {
        private static final Pattern JDBC_URL = Pattern.compile("(jdbc:postgresql://[^/?]+)(/[^?]*)?(\\?.*)?");
        private static final String HOW_TO_GET_ONE = "Install the server (Debian/Ubuntu: apt-get install -y postgresql) "
                + "or set " + URL_ENV + " to the JDBC URL of a running one, e.g. "
                + "jdbc:postgresql://127.0.0.1:15432/postgres?user=app (see server/README.md).";

        private final String adminUrl;
        private final Connection admin;
        private final ExecutorService adminThread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "gpufleet-test-pg-admin");
            t.setDaemon(true);
            return t;
        });
        private int created;
        private Future<String> next;

        private Postgres(String adminUrl, boolean privateServer) throws SQLException {
            this.adminUrl = adminUrl;
            this.admin = DriverManager.getConnection(adminUrl);
            // a private server goes at exit with everything in it; a shared one is left as it was found
            if (!privateServer)
                Runtime.getRuntime().addShutdownHook(new Thread(this::dropTheSpare, "gpufleet-test-pg-cleanup"));
        }

        /** The server at {@value #URL_ENV}, else a private one; fails saying how to get PostgreSQL. */
        static Postgres connect() {
            try {
                String url = System.getenv(URL_ENV);
                if (url == null || url.isBlank()) return PrivateServer.start();
                if (!JDBC_URL.matcher(url).matches())
                    throw new IllegalArgumentException(URL_ENV + " is not a jdbc:postgresql://host:port/db?user=... URL");
                try {
                    return new Postgres(url, false);
                } catch (SQLException e) {
                    throw new IllegalStateException("cannot connect to " + URL_ENV + " (" + redact(url) + "): "
                            + e.getMessage(), e);
                }
            } catch (Exception e) {
                throw new AssertionError("no PostgreSQL for the tests: " + e.getMessage() + "\n" + HOW_TO_GET_ONE, e);
            }
        }

        synchronized TestDb createDatabase(Path dir) {
            if (next == null) next = adminThread.submit(this::makeDatabase);
            String name;
            try {
                name = next.get();
            } catch (ExecutionException e) {
                next = null; // try afresh for the next test rather than repeat this failure
                throw new AssertionError(e.getCause().getMessage(), e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
            next = adminThread.submit(this::makeDatabase);
            Matcher m = JDBC_URL.matcher(adminUrl);
            if (!m.matches()) throw new IllegalStateException(adminUrl);
            String url = m.group(1) + "/" + name + (m.group(3) == null ? "" : m.group(3));
            return new TestDb(Kind.POSTGRESQL, url, url, dir, () -> adminThread.submit(() -> drop(name)));
        }

        private String makeDatabase() throws SQLException {
            // the pid keeps two test JVMs sharing one server (GPUFLEET_TEST_PG_URL) out of each other's way
            String name = "gf_test_" + ProcessHandle.current().pid() + "_" + ++created;
            // a linguistic collation, as a server initialised in en_US.UTF-8 would have: with the C collation
            // PostgreSQL would sort text exactly like SQLite and hide ORDER BY differences between the two
            try (Statement s = admin.createStatement()) {
                s.execute("CREATE DATABASE " + name + " TEMPLATE template0 ENCODING 'UTF8' LOCALE 'C' "
                        + "LOCALE_PROVIDER icu ICU_LOCALE 'en-US'");
            } catch (SQLException e) {
                throw new SQLException("cannot create test database " + name + ": " + e.getMessage(), e);
            }
            return name;
        }

        private Void drop(String name) throws SQLException {
            // FORCE: a test that crashed its controller on purpose leaves that connection open
            try (Statement s = admin.createStatement()) {
                s.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
            }
            return null;
        }

        /** At exit: lets the queued drops finish, then drops the database made for a test that never came. */
        private void dropTheSpare() {
            try {
                Future<String> spare;
                synchronized (this) {
                    spare = next;
                }
                if (spare != null) adminThread.submit(() -> drop(spare.get())).get(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                System.err.println("test PostgreSQL cleanup: " + e.getMessage());
            }
        }

        private static String redact(String url) {
            return url.replaceAll("(?i)(password=)[^&]*", "$1***");
        }
    }

    /** A PostgreSQL server of this JVM's own, in a temporary directory removed at exit. */
    private static final class PrivateServer {
        private static final Path INSTALLS = Path.of("/usr/lib/postgresql");

        static Postgres start() throws Exception {
            Path bin = newestBin();
            // PostgreSQL refuses to run as root, so as root the server runs as the postgres user, as packaged
            boolean root = "root".equals(System.getProperty("user.name"));
            Path base = Files.createTempDirectory("gpufleet-test-pg");
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                // a JVM that ends while the server is still starting must not leave it running
                try {
                    POSTGRES.get(60, TimeUnit.SECONDS);
                } catch (Exception startFailedOrHung) {
                    // stop whatever did start
                }
                stop(bin, base, root);
            }, "gpufleet-test-pg-stop"));
            if (root)
                Files.setOwner(base, base.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("postgres"));
            Path data = base.resolve("data");
            // -N: the cluster lives only as long as this JVM, so flushing it to disk buys nothing
            run(root, base, bin.resolve("initdb") + " -D " + data + " -A trust -U app -N -E UTF8 --locale=C");
            Exception last = null;
            for (int attempt = 0; attempt < 3; attempt++) {
                // another process can take the port between our probe and the server's bind: try a few
                int port = freePort();
                try {
                    // fsync off: the tests crash the controller, never this server, so its durability is not under test
                    run(root, base, bin.resolve("pg_ctl") + " -D " + data + " -l " + base.resolve("server.log") + " -w -t 30 -o '-p "
                            + port + " -k " + base + " -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off' start");
                    return new Postgres("jdbc:postgresql://127.0.0.1:" + port + "/postgres?user=app", true);
                } catch (IOException e) {
                    last = e;
                }
            }
            throw last;
        }

        private static Path newestBin() throws IOException {
            List<Path> bins = new ArrayList<>();
            if (Files.isDirectory(INSTALLS))
                try (Stream<Path> versions = Files.list(INSTALLS)) {
                    versions.map(v -> v.resolve("bin"))
                            .filter(b -> Files.isExecutable(b.resolve("initdb")) && Files.isExecutable(b.resolve("pg_ctl")))
                            .forEach(bins::add);
                }
            if (bins.isEmpty()) throw new IllegalStateException("no " + INSTALLS + "/<version>/bin/initdb found");
            bins.sort(Comparator.comparingDouble(b -> {
                try {
                    return Double.parseDouble(b.getParent().getFileName().toString());
                } catch (NumberFormatException e) {
                    return 0;
                }
            }));
            return bins.getLast();
        }

        private static int freePort() throws IOException {
            try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                return s.getLocalPort();
            }
        }

        /** Runs a shell command line, as postgres when we are root; fails with the end of its output and the server log. */
        private static void run(boolean root, Path base, String command) throws IOException, InterruptedException {
            ProcessBuilder pb = root ? new ProcessBuilder("su", "postgres", "-c", command) : new ProcessBuilder("sh", "-c", command);
            Path log = base.resolve("commands.log");
            Process p = pb.directory(base.toFile()).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
            if (p.waitFor() != 0) {
                StringBuilder msg = new StringBuilder("'" + command + "' failed (exit " + p.exitValue() + ")");
                for (Path f : List.of(log, base.resolve("server.log")))
                    if (Files.exists(f)) {
                        List<String> lines = Files.readAllLines(f);
                        msg.append("\n").append(f.getFileName()).append(":\n  ")
                                .append(String.join("\n  ", lines.subList(Math.max(0, lines.size() - 10), lines.size())));
                    }
                throw new IOException(msg.toString());
            }
        }

        private static void stop(Path bin, Path base, boolean root) {
            try {
                if (Files.exists(base.resolve("data/postmaster.pid")))
                    run(root, base, bin.resolve("pg_ctl") + " -D " + base.resolve("data") + " -m immediate stop");
            } catch (IOException | InterruptedException e) {
                System.err.println("could not stop the test PostgreSQL server in " + base + ": " + e.getMessage());
                return; // leave its files for whoever looks into it
            }
            try (Stream<Path> all = Files.walk(base)) {
                for (Path p : all.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
            } catch (IOException | UncheckedIOException e) {
                System.err.println("could not remove " + base + ": " + e.getMessage());
            }
        }
    }
}
