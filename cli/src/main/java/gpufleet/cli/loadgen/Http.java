package gpufleet.cli.loadgen;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;

/**
 * How the simulated agents reach the controller. Two implementations: the JDK's {@link HttpClient}
 * and {@link RawHttp}, a small blocking HTTP/1.1 client on virtual threads. The JDK client costs the
 * load generator about 0.75 ms of CPU per call (selector hand-offs, timers, futures), which at
 * 12,500 agents is more than a core of a two-core machine taken from the controller being measured.
 */
interface Http extends AutoCloseable {
    /** An answer; {@code leader}: the leader a standby's redirect names (its {@code X-Gpufleet-Leader}), else null. */
    record Response(int status, byte[] body, String leader) {
        Response(int status, byte[] body) {
            this(status, body, null);
        }
    }

    /** A call on a shared connection, with {@code token} as its bearer token (none when null). */
    Response send(String method, String pathAndQuery, byte[] json, String token) throws IOException, InterruptedException;

    /** A connection for one agent's long polls (which hold it for up to {@code waitMs} at a time), sent with {@code token}. */
    Channel channel(String token);

    interface Channel extends AutoCloseable {
        Response get(String pathAndQuery) throws IOException, InterruptedException;

        @Override
        void close();
    }

    /**
     * Calls sent again on a new connection after a reused one failed before an answer (the server had
     * closed it), or -1 when the client does not say.
     */
    default int resent() {
        return -1;
    }

    @Override
    void close();

    /** A few JDK clients, calls spread over them; each keeps its own connection pool and selector thread. */
    static Http jdk(String base, int clients, ExecutorService executor) {
        List<HttpClient> http = new ArrayList<>();
        for (int i = 0; i < clients; i++)
            http.add(HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(Duration.ofSeconds(10)).executor(executor).build());
        return new Http() {
            private int next;

            private HttpClient pick() {
                synchronized (http) {
                    next = (next + 1) % http.size();
                    return http.get(next);
                }
            }

            private static Response send(HttpClient c, String base, String method, String path, byte[] json, String token)
                    throws IOException, InterruptedException {
                HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path));
                if (token != null) b.header("Authorization", "Bearer " + token);
                if (json != null) b.header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofByteArray(json));
                else b.method(method, HttpRequest.BodyPublishers.noBody());
                HttpResponse<byte[]> r = c.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
                return new Response(r.statusCode(), r.body(), r.headers().firstValue("X-Gpufleet-Leader").orElse(null));
            }

            @Override
            public Response send(String method, String path, byte[] json, String token) throws IOException, InterruptedException {
                return send(pick(), base, method, path, json, token);
            }

            @Override
            public Channel channel(String token) {
                HttpClient c = pick();
                return new Channel() {
                    @Override
                    public Response get(String path) throws IOException, InterruptedException {
                        return send(c, base, "GET", path, null, token);
                    }

                    @Override
                    public void close() {}
                };
            }

            @Override
            public void close() {
                for (HttpClient c : http) c.shutdownNow();
            }
        };
    }
}
