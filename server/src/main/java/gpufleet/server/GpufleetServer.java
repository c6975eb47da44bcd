package gpufleet.server;

import gpufleet.core.sched.Policy;
import gpufleet.protocol.Pem;
import gpufleet.server.api.Api;
import gpufleet.server.auth.Guard;
import gpufleet.server.auth.RateLimiter;
import gpufleet.server.auth.Tokens;
import gpufleet.server.control.Controller;
import gpufleet.server.logs.LogStore;
import gpufleet.server.store.SqlStore;
import gpufleet.server.store.Store;
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
import java.util.Optional;

/** The controller process: store, scheduling loop and HTTP API, started and stopped together. */
public final class GpufleetServer implements AutoCloseable {
    private final Controller controller;
    private final Javalin http;
    private final Guard guard;
    private final Path adminTokenFile;
    private final boolean tls;

    private GpufleetServer(Controller controller, Javalin http, Guard guard, Path adminTokenFile, boolean tls) {
        this.controller = controller;
        this.http = http;
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
        return start(store, dataDir, host, port, cycle, heartbeatTimeout, Security.defaults());
    }

    /**
     * Serves {@code store}; job logs (and, on first start, the admin token) go under {@code dataDir},
     * which any store needs, a database server too.
     *
     * @throws IllegalArgumentException if authentication is off on an address other than loopback, or a
     *                                  TLS file cannot be used
     */
    public static GpufleetServer start(Store store, Path dataDir, String host, int port, Duration cycle,
                                       Duration heartbeatTimeout, Security security) {
        if (!security.auth() && !isLoopback(host))
            throw new IllegalArgumentException("authentication can be turned off only on a loopback address, not " + host);
        Clock clock = Clock.systemUTC();
        Controller c = new Controller(store, clock, Policy.GPUFLEET, heartbeatTimeout);
        Javalin http;
        Guard guard;
        Path adminFile;
        try {
            Tokens tokens = security.auth() ? new Tokens(store, clock) : null;
            adminFile = tokens == null ? null : tokens.bootstrapAdmin(dataDir).orElse(null);
            RateLimiter limiter = security.ratePerSecond() > 0
                    ? new RateLimiter(security.ratePerSecond(), security.rateBurst(), System::nanoTime) : RateLimiter.OFF;
            guard = new Guard(tokens, limiter, store, clock);
            http = new Api(c, new LogStore(dataDir), guard).create(config -> {
                if (security.tls()) config.jetty.addConnector((server, httpConfig) ->
                        httpsConnector(server, httpConfig, host, port, security.tlsCert(), security.tlsKey()));
            });
            http.start(host, port);
        } catch (RuntimeException e) {
            c.close();
            throw e;
        }
        c.start(cycle);
        return new GpufleetServer(c, http, guard, adminFile, security.tls());
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
    public Controller controller() { return controller; }

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
        controller.halt();
        http.stop();
    }

    @Override
    public void close() {
        http.stop();
        controller.close();
    }
}
