package gpufleet.server;

import gpufleet.protocol.Pem;
import gpufleet.testkit.TestDatabases;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLHandshakeException;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** HTTPS with an operator's certificate: clients that trust its CA get in; nothing goes in the clear. */
class TlsTest {
    @TempDir
    Path dir;
    TestDatabases.TestDb db;
    GpufleetServer server;

    @AfterEach
    void stop() {
        try {
            if (server != null) server.close();
        } finally {
            if (db != null) db.close();
        }
    }

    private static HttpResponse<String> get(HttpClient http, String url, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10));
        if (token != null) b.header("Authorization", "Bearer " + token);
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aClientTrustingTheCaIsServedOverHttpsAndOthersAreNot() throws Exception {
        TestCerts certs = TestCerts.make(dir.resolve("pki"));
        db = TestDatabases.fresh(TestDatabases.Kind.SQLITE, dir);
        server = GpufleetServer.start(db.open(), dir, "127.0.0.1", 0, Duration.ofMillis(200), Duration.ofSeconds(30),
                Security.defaults().withTls(certs.cert(), certs.key()));
        assertThat(server.tls()).isTrue();
        String token = Client.readAdminToken(dir);
        HttpClient trusting = HttpClient.newBuilder().sslContext(Pem.trusting(certs.ca())).build();
        for (String host : new String[] {"127.0.0.1", "localhost"}) {
            var r = get(trusting, "https://" + host + ":" + server.port() + "/api/v1/whoami", token);
            assertThat(r.statusCode()).as(host).isEqualTo(200);
            assertThat(r.body()).contains("\"role\":\"ADMIN\"");
        }

        // a client that trusts only the JDK's public CAs, or another CA, refuses the controller
        for (HttpClient doubting : new HttpClient[] {HttpClient.newHttpClient(),
                HttpClient.newBuilder().sslContext(Pem.trusting(certs.otherCa())).build()})
            assertThatThrownBy(() -> get(doubting, "https://127.0.0.1:" + server.port() + "/api/v1/healthz", null))
                    .isInstanceOf(SSLHandshakeException.class);
        // plain HTTP to the TLS port gets nothing a client could mistake for an answer of the API
        try {
            var plain = get(HttpClient.newHttpClient(), "http://127.0.0.1:" + server.port() + "/api/v1/whoami", token);
            assertThat(plain.statusCode()).isEqualTo(400);
            assertThat(plain.body()).doesNotContain("ADMIN");
        } catch (IOException refused) {
            // Jetty may also just close the connection
        }
    }

    @Test
    void unusableCertificateFilesAreRefusedNamingTheFile() throws Exception {
        TestCerts certs = TestCerts.make(dir.resolve("pki"));
        db = TestDatabases.fresh(TestDatabases.Kind.SQLITE, dir);
        Path garbage = Files.writeString(dir.resolve("garbage.pem"), "not a certificate\n");
        assertThatThrownBy(() -> GpufleetServer.start(db.open(), dir, "127.0.0.1", 0, Duration.ofMillis(200),
                Duration.ofSeconds(30), Security.defaults().withTls(garbage, certs.key())))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(garbage.toString())
                .hasMessageContaining("no PEM block");
        assertThatThrownBy(() -> GpufleetServer.start(db.open(), dir, "127.0.0.1", 0, Duration.ofMillis(200),
                Duration.ofSeconds(30), Security.defaults().withTls(certs.cert(), certs.cert())))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no PRIVATE KEY");
    }

    @Test
    void keysInTheFormsOpensslWritesAreRead() throws Exception {
        Path d = Files.createDirectories(dir.resolve("keys"));
        TestCerts.openssl(d, "genrsa", "-traditional", "-out", "pkcs1.pem", "2048");
        TestCerts.openssl(d, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "ec.pem");
        TestCerts.openssl(d, "genpkey", "-algorithm", "ED25519", "-out", "ed.pem");
        TestCerts.openssl(d, "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "sec1.pem");
        assertThat(Files.readString(d.resolve("pkcs1.pem"))).contains("BEGIN RSA PRIVATE KEY");
        assertThat(Pem.privateKey(d.resolve("pkcs1.pem")).getAlgorithm()).isEqualTo("RSA");
        assertThat(Pem.privateKey(d.resolve("ec.pem")).getAlgorithm()).isEqualTo("EC");
        assertThat(Pem.privateKey(d.resolve("ed.pem")).getAlgorithm()).isIn("EdDSA", "Ed25519");
        assertThatThrownBy(() -> Pem.privateKey(d.resolve("sec1.pem"))).hasMessageContaining("openssl pkcs8 -topk8");
    }
}
