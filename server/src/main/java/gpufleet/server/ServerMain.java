package gpufleet.server;

import gpufleet.server.control.Controller;
import gpufleet.server.store.DatabaseSpec;
import gpufleet.server.store.SqlStore;
import gpufleet.server.store.StoreException;
import gpufleet.server.view.Usage;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;

/**
 * {@code ServerMain [--port 8080] [--data-dir ./gpufleet-data] [--bind 127.0.0.1] [--db sqlite|postgresql://...]
 * [--heartbeat-timeout 30] [--gpu-hour-usd 4.916]}: runs the controller until killed.
 */
public final class ServerMain {
    static final String USAGE = """
            usage: gpufleet server [--port 8080] [--data-dir ./gpufleet-data] [--bind 127.0.0.1]
                                   [--db sqlite | postgresql://host:port/dbname?user=NAME&password=SECRET]
                                   [--heartbeat-timeout 30] [--gpu-hour-usd 4.916]
              --data-dir           the embedded database (sqlite) and job logs
              --db                 where state is kept: the embedded database (default) or a PostgreSQL server
              --heartbeat-timeout  seconds a host may stay silent before it is declared lost and its jobs
                                   are restarted elsewhere (default 30)
              --gpu-hour-usd       the price of a GPU-hour for the costs the dashboard shows (default 4.916,
                                   AWS's H100 capacity-block rate, as the twin's presets use)""";

    private ServerMain() {}

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /**
     * Runs the controller until the process is stopped, then returns 0; returns at once with 0 after
     * printing the usage, 2 after a bad option, 1 when the database cannot be used. An exit code
     * rather than {@code System.exit}, so that {@code gpufleet server} can delegate here.
     */
    public static int run(String... args) {
        int port = 8080;
        Path dataDir = Path.of("gpufleet-data");
        String bind = "127.0.0.1";
        String db = "sqlite";
        Duration heartbeatTimeout = Controller.DEFAULT_HEARTBEAT_TIMEOUT;
        double gpuHourUsd = Usage.DEFAULT_GPU_HOUR_USD;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("-h") || a.equals("--help")) {
                System.out.println(USAGE);
                return 0;
            }
            if (i + 1 >= args.length) return fail("option " + a + " needs a value");
            String v = args[++i];
            switch (a) {
                case "--port" -> {
                    try {
                        port = Integer.parseInt(v);
                    } catch (NumberFormatException e) {
                        port = -1;
                    }
                    if (port < 0 || port > 65535) return fail("--port must be in [0, 65535], got '" + v + "'");
                }
                case "--data-dir" -> dataDir = Path.of(v);
                case "--bind" -> bind = v;
                case "--db" -> db = v;
                case "--heartbeat-timeout" -> {
                    double sec;
                    try {
                        sec = Double.parseDouble(v);
                    } catch (NumberFormatException e) {
                        sec = -1;
                    }
                    if (!(sec >= 1 && sec <= 86_400))
                        return fail("--heartbeat-timeout must be a number of seconds in [1, 86400], got '" + v + "'");
                    heartbeatTimeout = Duration.ofMillis((long) (sec * 1000));
                }
                case "--gpu-hour-usd" -> {
                    try {
                        gpuHourUsd = Double.parseDouble(v);
                    } catch (NumberFormatException e) {
                        gpuHourUsd = -1;
                    }
                    if (!(gpuHourUsd >= 0 && gpuHourUsd <= 1000))
                        return fail("--gpu-hour-usd must be a price in [0, 1000], got '" + v + "'");
                }
                default -> {
                    return fail("unknown option " + a);
                }
            }
        }
        SqlStore store;
        try {
            store = SqlStore.open(db, dataDir);
        } catch (IllegalArgumentException e) {
            return fail(e.getMessage());
        } catch (StoreException e) {
            // a server that is down or refuses the login is the operator's to fix: the driver's message
            // says which, and a stack trace would only bury it
            System.err.println("gpufleet server: " + e.getMessage());
            return 1;
        }
        GpufleetServer s = GpufleetServer.start(store, dataDir, bind, port, Duration.ofSeconds(1), heartbeatTimeout,
                gpuHourUsd);
        CountDownLatch closed = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            s.close();
            closed.countDown();
        }, "gpufleet-shutdown"));
        System.out.println("gpufleet controller on http://" + bind + ":" + s.port() + "/api/v1, dashboard on http://"
                + bind + ":" + s.port() + "/ (data in "
                + (DatabaseSpec.isSqlite(db) ? dataDir.toAbsolutePath() : DatabaseSpec.redact(db)) + ")");
        try {
            closed.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 0;
    }

    private static int fail(String message) {
        System.err.println("gpufleet server: " + message);
        return 2;
    }
}
