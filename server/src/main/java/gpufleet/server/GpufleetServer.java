package gpufleet.server;

import gpufleet.core.sched.Policy;
import gpufleet.server.api.Api;
import gpufleet.server.control.Controller;
import gpufleet.server.logs.LogStore;
import gpufleet.server.store.SqlStore;
import gpufleet.server.store.Store;
import io.javalin.Javalin;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;

/** The controller process: store, scheduling loop and HTTP API, started and stopped together. */
public final class GpufleetServer implements AutoCloseable {
    private final Controller controller;
    private final Javalin http;

    private GpufleetServer(Controller controller, Javalin http) {
        this.controller = controller;
        this.http = http;
    }

    /** Opens the SQLite store under {@code dataDir} and serves on {@code port} (0 = any free port). */
    public static GpufleetServer start(Path dataDir, int port, Duration cycle) {
        return start(SqlStore.sqlite(dataDir), dataDir, "127.0.0.1", port, cycle);
    }

    public static GpufleetServer start(Store store, Path dataDir, String host, int port, Duration cycle) {
        return start(store, dataDir, host, port, cycle, Controller.DEFAULT_HEARTBEAT_TIMEOUT);
    }

    /** Serves {@code store}; job logs go under {@code dataDir}, which any store needs, a database server too. */
    public static GpufleetServer start(Store store, Path dataDir, String host, int port, Duration cycle,
                                       Duration heartbeatTimeout) {
        Controller c = new Controller(store, Clock.systemUTC(), Policy.GPUFLEET, heartbeatTimeout);
        Javalin http = new Api(c, new LogStore(dataDir)).create();
        try {
            http.start(host, port);
        } catch (RuntimeException e) {
            c.close();
            throw e;
        }
        c.start(cycle);
        return new GpufleetServer(c, http);
    }

    public int port() { return http.port(); }
    public Controller controller() { return controller; }

    /**
     * Stops serving and scheduling without any shutdown work on the store: the state on disk is
     * exactly what had been committed, as after a crash.
     */
    public void crash() {
        controller.halt();
        http.stop();
    }

    @Override
    public void close() {
        controller.halt();
        http.stop();
        controller.close();
    }
}
