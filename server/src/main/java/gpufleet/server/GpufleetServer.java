package gpufleet.server;

import gpufleet.protocol.Pem;
import gpufleet.server.api.Api;
import gpufleet.server.auth.Guard;
import gpufleet.server.auth.RateLimiter;
import gpufleet.server.auth.Tokens;
import gpufleet.server.control.Controller;
import gpufleet.server.control.ControllerOptions;
import gpufleet.server.ha.HaRole;
import gpufleet.server.logs.LogStore;
import gpufleet.server.metrics.Metrics;
import gpufleet.server.store.ObservedStore;
import gpufleet.server.store.SqlStore;
import gpufleet.server.store.Store;
import gpufleet.server.view.TelemetryBook;
import gpufleet.server.view.Usage;
import gpufleet.server.web.Dashboard;
import gpufleet.server.web.EventStream;
import io.javalin.Javalin;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.ssl.SslContextFactory;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** The controller process: store, scheduling loop, HTTP API, dashboard and metrics, started and stopped together. */
public final class GpufleetServer implements AutoCloseable {
    private final Controller controller;
    private final Javalin http;
    private final EventStream events;
    private final Guard guard;
    private final Path adminTokenFile;
    private final boolean tls;
    private final DataDirLock dirLock;
    private final HaRole ha;

    private final Dashboard dashboard;
    private final Api api;

    private GpufleetServer(Controller controller, Javalin http, EventStream events, Guard guard, Path adminTokenFile,
                           boolean tls, DataDirLock dirLock, HaRole ha, Dashboard dashboard, Api api) {
        this.dashboard = dashboard;
        this.api = api;
        this.dirLock = dirLock;
        this.ha = ha;
        this.controller = controller;
        this.http = http;
        this.events = events;
        this.guard = guard;
        this.adminTokenFile = adminTokenFile;
        this.tls = tls;
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

    public static GpufleetServer start(Store store, Path dataDir, String host, int port, Duration cycle,
                                       Duration heartbeatTimeout, double gpuHourUsd) {
        return start(store, dataDir, host, port, cycle, heartbeatTimeout, gpuHourUsd, Security.defaults());
    }

    public static GpufleetServer start(Store store, Path dataDir, String host, int port, Duration cycle,
                                       Duration heartbeatTimeout, Security security) {
        return start(store, dataDir, host, port, cycle, heartbeatTimeout, Usage.DEFAULT_GPU_HOUR_USD, security);
    }

    /**
     * Serves {@code store}; job logs (and, on first start, the admin token) go under {@code dataDir},
     * which any store needs, a database server too. {@code gpuHourUsd} prices the GPU-hours the
     * dashboard and metrics show.
     *
     * @throws IllegalArgumentException if authentication is off on an address other than loopback, or a
     *                                  TLS file cannot be used
     */
    public static GpufleetServer start(Store store, Path dataDir, String host, int port, Duration cycle,
                                       Duration heartbeatTimeout, double gpuHourUsd, Security security) {
        return start(store, dataDir, host, port, cycle, ControllerOptions.DEFAULTS.withHeartbeatTimeout(heartbeatTimeout),
                gpuHourUsd, security);
    }

    /**
     * As above, with every option of the controller's behaviour: liveness, restart backoff, checkpoint
     * root, scheduling policy.
     */
    public static GpufleetServer start(Store store, Path dataDir, String host, int port, Duration cycle,
                                       ControllerOptions options, double gpuHourUsd, Security security) {
        return start(store, dataDir, host, port, cycle, options, gpuHourUsd, security, null);
    }

    /**
     * As above, as one of several controllers on one PostgreSQL database when {@code ha} is not null: it
     * schedules only while it leads, and sends changes to the leader while it does not.
     */
    public static GpufleetServer start(Store store, Path dataDir, String host, int port, Duration cycle,
                                       ControllerOptions options, double gpuHourUsd, Security security, HaRole ha) {
        if (!security.auth() && !isLoopback(host))
            throw new IllegalArgumentException("authentication can be turned off only on a loopback address, not " + host);
        DataDirLock dirLock = DataDirLock.acquire(dataDir, host + ":" + port);
        Clock clock = Clock.systemUTC();
        Metrics metrics = new Metrics(gpuHourUsd);
        EventStream events = new EventStream();
        Controller c;
        try {
            c = new Controller(ObservedStore.wrap(store, ObservedStore.Listener.all(metrics, events)),
                    clock, options);
        } catch (RuntimeException e) {
            dirLock.close();
            throw e;
        }
        c.onCycle(metrics::cycleTook);
        if (ha != null) ha.begin(c);
        TelemetryBook telemetry = new TelemetryBook();
        Dashboard dashboard = new Dashboard(c, events, gpuHourUsd, telemetry);
        Javalin http;
        Guard guard;
        Path adminFile;
        Api api;
        try {
            Tokens tokens = security.auth() ? new Tokens(store, clock) : null;
            if (ha != null) ha.tokens(tokens);
            // a standby writes nothing: the leader made the first admin token
            adminFile = tokens == null || (ha != null && !ha.scheduling()) ? null : tokens.bootstrapAdmin(dataDir).orElse(null);
            RateLimiter limiter = security.ratePerSecond() > 0
                    ? new RateLimiter(security.ratePerSecond(), security.rateBurst(), System::nanoTime) : RateLimiter.OFF;
            guard = new Guard(tokens, limiter, store, clock);
            api = new Api(c, new LogStore(dataDir), guard, telemetry);
            if (ha != null) api.reportRole(ha::status);
            http = api.create(config -> {
                if (ha != null) ha.routes(config);
                dashboard.routes(config);
                metrics.routes(config, c);
                config.jetty.addConnector((server, httpConfig) -> security.tls()
                        ? httpsConnector(server, httpConfig, host, port, security.tlsCert(), security.tlsKey())
                        : plainConnector(server, httpConfig, host, port));
            });
            http.start(host, port);
            if (ha != null) ha.advertise((security.tls() ? "https" : "http") + "://" + advertisedHost(host) + ":" + http.port());
        } catch (RuntimeException e) {
            events.close();
            if (ha != null) ha.close();
            c.close();
            dirLock.close();
            throw e;
        }
        c.start(cycle);
        dashboard.startHistory();
        return new GpufleetServer(c, http, events, guard, adminFile, security.tls(), dirLock, ha, dashboard, api);
    }

    /** The host part of the address other controllers send clients to: the bound address, or this machine's name for a wildcard. */
    static String advertisedHost(String bind) {
        if (!bind.equals("0.0.0.0") && !bind.equals("::") && !bind.isEmpty()) return bind.contains(":") ? "[" + bind + "]" : bind;
        try {
            return InetAddress.getLocalHost().getCanonicalHostName();
        } catch (UnknownHostException e) {
            return "localhost";
        }
    }

    /**
     * Connections waiting to be accepted. The JDK's default (50) overflows when a fleet's agents open
     * connections during a collection pause: their SYNs are dropped and each waits a second to retry
     * (seen as 1 s heartbeats at 12,500 agents). The kernel caps it at net.core.somaxconn.
     */
    static final int ACCEPT_QUEUE = 4096;

    private static ServerConnector plainConnector(org.eclipse.jetty.server.Server server, HttpConfiguration http,
                                                  String host, int port) {
        ServerConnector c = new ServerConnector(server, new HttpConnectionFactory(http));
        c.setHost(host);
        c.setPort(port);
        c.setAcceptQueueSize(ACCEPT_QUEUE);
        return c;
    }

    private static ServerConnector httpsConnector(org.eclipse.jetty.server.Server server, HttpConfiguration plain,
                                                  String host, int port, Path cert, Path key) {
        char[] password = new char[24];
        SecureRandom r = new SecureRandom();
        for (int i = 0; i < password.length; i++) password[i] = (char) ('a' + r.nextInt(26));
        SslContextFactory.Server ssl = new SslContextFactory.Server();
        ssl.setKeyStore(Pem.keyStore(cert, key, password));
        ssl.setKeyStorePassword(new String(password));
        HttpConfiguration https = new HttpConfiguration(plain);
        SecureRequestCustomizer secure = new SecureRequestCustomizer();
        // clients reach controllers by IP address as often as by name; the certificate check is theirs
        secure.setSniHostCheck(false);
        https.addCustomizer(secure);
        ServerConnector c = new ServerConnector(server, new SslConnectionFactory(ssl, "http/1.1"),
                new HttpConnectionFactory(https));
        c.setHost(host);
        c.setPort(port);
        c.setAcceptQueueSize(ACCEPT_QUEUE);
        return c;
    }

    /** Whether {@code host} names only this machine. */
    public static boolean isLoopback(String host) {
        try {
            for (InetAddress a : InetAddress.getAllByName(host)) if (!a.isLoopbackAddress()) return false;
            return true;
        } catch (UnknownHostException e) {
            return false;
        }
    }

    public int port() { return http.port(); }

    /** The listening connectors, for tests of their settings. */
    List<ServerConnector> connectors() {
        List<ServerConnector> out = new java.util.ArrayList<>();
        for (var c : http.jettyServer().server().getConnectors()) if (c instanceof ServerConnector sc) out.add(sc);
        return out;
    }
    public Controller controller() { return controller; }

    /** This controller's part among several on one database; empty for a lone controller. */
    public Optional<HaRole> ha() { return Optional.ofNullable(ha); }

    /** The tokens, or null when authentication is off. */
    public Tokens tokens() { return guard.tokens(); }

    /** Whether it serves HTTPS. */
    public boolean tls() { return tls; }

    /** The file the first admin token was written to, when this start made one. */
    public Optional<Path> newAdminTokenFile() { return Optional.ofNullable(adminTokenFile); }

    /**
     * Stops serving and scheduling without any shutdown work on the store: the state on disk is
     * exactly what had been committed, as after a crash.
     */
    public void crash() {
        if (ha != null) ha.crash();
        api.close();
        dashboard.close();
        controller.halt();
        events.close();
        http.stop();
        dirLock.close(); // as the kernel would for a dead process
    }

    @Override
    public void close() {
        api.close();
        dashboard.close();
        controller.halt(); // first: it answers the agents' waiting polls while they can still be answered
        if (ha != null) ha.close(); // gives the lease up: a standby takes over within a second
        events.close(); // open event streams would otherwise hold the HTTP server's stop up
        http.stop();
        controller.close();
        dirLock.close();
    }
}
