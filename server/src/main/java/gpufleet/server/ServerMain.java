package gpufleet.server;

import gpufleet.server.store.DatabaseSpec;
import gpufleet.server.store.SqlStore;
import gpufleet.server.store.StoreException;

import java.nio.file.Path;
import java.time.Duration;

/**
 * {@code ServerMain [--port 8080] [--data-dir ./gpufleet-data] [--bind 127.0.0.1] [--db sqlite|postgresql://...]}:
 * runs the controller until killed.
 */
public final class ServerMain {
    private ServerMain() {}

    public static void main(String[] args) {
        int port = 8080;
        Path dataDir = Path.of("gpufleet-data");
        String bind = "127.0.0.1";
        String db = "sqlite";
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("-h") || a.equals("--help")) {
                System.out.println("usage: gpufleet server [--port 8080] [--data-dir ./gpufleet-data] [--bind 127.0.0.1]\n"
                        + "                      [--db sqlite | postgresql://host:port/dbname?user=NAME&password=SECRET]");
                return;
            }
            if (i + 1 >= args.length) fail("option " + a + " needs a value");
            String v = args[++i];
            switch (a) {
                case "--port" -> {
                    try {
                        port = Integer.parseInt(v);
                    } catch (NumberFormatException e) {
                        port = -1;
                    }
                    if (port < 0 || port > 65535) fail("--port must be in [0, 65535], got '" + v + "'");
                }
                case "--data-dir" -> dataDir = Path.of(v);
                case "--bind" -> bind = v;
                case "--db" -> db = v;
                default -> fail("unknown option " + a);
            }
        }
        SqlStore store = null;
        try {
            store = SqlStore.open(db, dataDir);
        } catch (IllegalArgumentException e) {
            fail(e.getMessage());
        } catch (StoreException e) {
            // a server that is down or refuses the login is the operator's to fix: the driver's message
            // says which, and a stack trace would only bury it
            System.err.println("gpufleet server: " + e.getMessage());
            System.exit(1);
        }
        GpufleetServer s = GpufleetServer.start(store, bind, port, Duration.ofSeconds(1));
        Runtime.getRuntime().addShutdownHook(new Thread(s::close, "gpufleet-shutdown"));
        System.out.println("gpufleet controller on http://" + bind + ":" + s.port() + "/api/v1 (data in "
                + (DatabaseSpec.isSqlite(db) ? dataDir.toAbsolutePath() : DatabaseSpec.redact(db)) + ")");
    }

    private static void fail(String message) {
        System.err.println("gpufleet server: " + message);
        System.exit(2);
    }
}
