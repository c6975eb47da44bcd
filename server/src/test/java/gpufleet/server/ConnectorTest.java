package gpufleet.server;

import gpufleet.testkit.TestDatabases;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The one listening connector, plain or TLS: a deep accept queue (agents connecting during a
 * collection pause must not have their SYNs dropped and wait a second to retry) and no per-connection
 * header cache (96 KB per open long poll).
 */
class ConnectorTest {
    @TempDir
    Path dir;

    @Test
    void plainAndTlsConnectorsHaveADeepAcceptQueueAndNoHeaderCache() throws Exception {
        TestCerts certs = TestCerts.make(dir.resolve("pki"));
        for (Security security : new Security[] {Security.defaults(), Security.defaults().withTls(certs.cert(), certs.key())}) {
            Path data = dir.resolve(security.tls() ? "tls" : "plain");
            try (var db = TestDatabases.fresh(TestDatabases.Kind.SQLITE, data);
                 var server = GpufleetServer.start(db.open(), data, "127.0.0.1", 0, Duration.ofMillis(200),
                         Duration.ofSeconds(30), security)) {
                assertThat(server.connectors()).singleElement().satisfies(c -> {
                    assertThat(c.getAcceptQueueSize()).isEqualTo(GpufleetServer.ACCEPT_QUEUE);
                    assertThat(c.getLocalPort()).isEqualTo(server.port());
                    assertThat(c.getConnectionFactory(HttpConnectionFactory.class).getHttpConfiguration().getHeaderCacheSize())
                            .isZero();
                });
                HttpClient http = security.tls()
                        ? HttpClient.newBuilder().sslContext(gpufleet.protocol.Pem.trusting(certs.ca())).build()
                        : HttpClient.newHttpClient();
                var r = http.send(HttpRequest.newBuilder(URI.create((security.tls() ? "https" : "http") + "://127.0.0.1:"
                        + server.port() + "/api/v1/healthz")).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).isEqualTo(200);
            }
        }
    }
}
