package gpufleet.server;

import java.nio.file.Path;
import java.time.Duration;

/** {@code ServerMain [--port 8080] [--data-dir ./gpufleet-data] [--bind 127.0.0.1]}: runs the controller until killed. */
public final class ServerMain {
    private ServerMain() {}

    public static void main(String[] args) {
        int port = 8080;
        Path dataDir = Path.of("gpufleet-data");
        String bind = "127.0.0.1";
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("-h") || a.equals("--help")) {
                System.out.println("usage: gpufleet server [--port 8080] [--data-dir ./gpufleet-data] [--bind 127.0.0.1]");
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
                default -> fail("unknown option " + a);
            }
        }
        GpufleetServer s = GpufleetServer.start(gpufleet.server.store.SqlStore.sqlite(dataDir), dataDir, bind, port,
                Duration.ofSeconds(1));
        Runtime.getRuntime().addShutdownHook(new Thread(s::close, "gpufleet-shutdown"));
        System.out.println("gpufleet controller on http://" + bind + ":" + s.port() + "/api/v1 (data in "
                + dataDir.toAbsolutePath() + ")");
    }

    private static void fail(String message) {
        System.err.println("gpufleet server: " + message);
        System.exit(2);
    }
}
