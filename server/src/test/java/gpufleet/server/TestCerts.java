package gpufleet.server;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A certificate authority and a controller certificate it signed (for localhost and 127.0.0.1),
 * made with openssl for one test: what an operator's PKI would hand out.
 */
public record TestCerts(Path ca, Path cert, Path key, Path otherCa) {

    /** Makes them under {@code dir}; fails (never skips) when openssl is missing. */
    public static TestCerts make(Path dir) {
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve("san.ext"), "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
            openssl(dir, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
                    "-days", "2", "-subj", "/CN=gpufleet test CA");
            openssl(dir, "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "controller.key", "-out", "controller.csr",
                    "-subj", "/CN=localhost");
            openssl(dir, "x509", "-req", "-in", "controller.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                    "-out", "controller.pem", "-days", "2", "-extfile", "san.ext");
            openssl(dir, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "other.key", "-out", "other-ca.pem",
                    "-days", "2", "-subj", "/CN=someone else's CA");
            return new TestCerts(dir.resolve("ca.pem"), dir.resolve("controller.pem"), dir.resolve("controller.key"),
                    dir.resolve("other-ca.pem"));
        } catch (IOException e) {
            throw new AssertionError("cannot make test certificates with openssl (apt-get install -y openssl): " + e, e);
        }
    }

    /** Runs {@code openssl args...} in {@code dir}. */
    public static void openssl(Path dir, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("openssl"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0)
                throw new IOException(String.join(" ", cmd) + " failed: " + out);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }
}
