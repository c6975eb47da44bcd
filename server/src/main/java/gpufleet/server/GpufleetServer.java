package gpufleet.server;

import gpufleet.core.sched.Policy;
import gpufleet.server.api.Api;
import gpufleet.server.control.Controller;
import gpufleet.server.logs.LogStore;
import gpufleet.server.metrics.Metrics;
import gpufleet.server.store.ObservedStore;
import gpufleet.server.store.SqlStore;
import gpufleet.server.store.Store;
import gpufleet.server.view.Usage;
import gpufleet.server.web.Dashboard;
import gpufleet.server.web.EventStream;
import io.javalin.Javalin;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;

/** The controller process: store, scheduling loop, HTTP API, dashboard and metrics, started and stopped together. */
public final class GpufleetServer implements AutoCloseable {
    private final Controller controller;
    private final Javalin http;
    private final EventStream events;

    private GpufleetServer(Controller controller, Javalin http, EventStream events) {
        this.controller = controller;
        this.http = http;
        this.events = events;
    }

    /** Opens the SQLite store under {@code dataDir} and serves on {@code port} (0 = any free port). */
    public static GpufleetServer start(Path dataDir, int port, Duration cycle) {
        return start(SqlStore.sqlite(dataDir), dataDir, "127.0.0.1", port, cycle);
    }

    public static GpufleetServer start(Store store, Path dataDir, String host, int port, Duration cycle) {
        return start(store, dataDir, host, port, cycle, Controller.DEFAULT_HEARTBEAT_TIMEOUT);
    }

    public static GpufleetServer start(Store store, Path dataDir, String host, int port, Duration cycle,
                                       Duration heartbeatTimeout) {
        return start(store, dataDir, host, port, cycle, heartbeatTimeout, Usage.DEFAULT_GPU_HOUR_USD);
    }

    /**
     * Serves {@code store}; job logs go under {@code dataDir}, which any store needs, a database server too.
     * {@code gpuHourUsd} prices the GPU-hours the dashboard and metrics show.
     */
    public static GpufleetServer start(Store store, Path dataDir, String host, int port, Duration cycle,
                                       Duration heartbeatTimeout, double gpuHourUsd) {
        Metrics metrics = new Metrics(gpuHourUsd);
        EventStream events = new EventStream();
        Controller c = new Controller(ObservedStore.wrap(store, ObservedStore.Listener.all(metrics, events)),
                Clock.systemUTC(), Policy.GPUFLEET, heartbeatTimeout);
        c.onCycle(metrics::cycleTook);
        Dashboard dashboard = new Dashboard(c, events, gpuHourUsd);
        Javalin http = new Api(c, new LogStore(dataDir)).create(config -> {
            dashboard.routes(config);
            metrics.routes(config, c);
        });
        try {
            http.start(host, port);
        } catch (RuntimeException e) {
            events.close();
            c.close();
            throw e;
        }
        c.start(cycle);
        return new GpufleetServer(c, http, events);
    }

    public int port() { return http.port(); }
    public Controller controller() { return controller; }

    /**
     * Stops serving and scheduling without any shutdown work on the store: the state on disk is
     * exactly what had been committed, as after a crash.
     */
    public void crash() {
        controller.halt();
        events.close();
        http.stop();
    }

    @Override
    public void close() {
        controller.halt(); // first: it answers the agents' waiting polls while they can still be answered
        events.close(); // open event streams would otherwise hold the HTTP server's stop up
        http.stop();
        controller.close();
    }
}
