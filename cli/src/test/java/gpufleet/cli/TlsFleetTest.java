package gpufleet.cli;

import gpufleet.server.TestCerts;
import gpufleet.testkit.TestDatabases;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A fleet over HTTPS with an operator's own certificate authority: the agent verifies the controller
 * with --ca-cert, joins, runs a job and ships its log; the command line does the same; a client that
 * does not know the CA is refused in one clear line.
 */
class TlsFleetTest {
    @TempDir
    Path dir;
    TestFleet fleet;

    @AfterEach
    void stop() {
        if (fleet != null) fleet.close();
    }

    @Test
    void agentsAndCommandsVerifyTheControllerWithTheOperatorsCa() throws Exception {
        TestCerts certs = TestCerts.make(dir.resolve("pki"));
        fleet = new TestFleet(dir, TestDatabases.Kind.SQLITE, certs);
        assertThat(fleet.url).startsWith("https://localhost:");
        fleet.startAgent("host-a", "r1", 8);
        fleet.awaitHosts(1);
        Path ckpt = Files.createDirectories(dir.resolve("ckpt"));
        long id = fleet.submit("hello", 2, 1, 0, ckpt, "/bin/sh", "-c", "echo hello over tls from rank $RANK");
        fleet.awaitJob(id, "COMPLETED", 30);

        CliTest.Run log = fleet.await("the log shipped", 10, () -> CliTest.run(fleet.cli("logs", Long.toString(id))),
                r -> r.out().contains("hello over tls from rank 0"));
        assertThat(log.code()).as(log.err()).isZero();
        JsonNode hosts = TestFleet.JSON.readTree(CliTest.run(fleet.cli("nodes", "-o", "json")).out());
        assertThat(hosts.get(0).get("name").stringValue()).isEqualTo("host-a");

        CliTest.Run untrusting = CliTest.run("queue", "--server", fleet.url, "--token", fleet.adminToken);
        ControllerCommandsTest.assertOneLineError(untrusting, "TLS handshake failed: the controller's certificate is not"
                + " signed by a CA this client trusts", "give it with --ca-cert");
        CliTest.Run wrongCa = CliTest.run("queue", "--server", fleet.url, "--token", fleet.adminToken,
                "--ca-cert", certs.otherCa().toString());
        ControllerCommandsTest.assertOneLineError(wrongCa, "TLS handshake failed");
    }
}
