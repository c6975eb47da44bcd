package gpufleet.cli;

import gpufleet.testkit.TestDatabases;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * An agent running as root runs its ranks as an unprivileged user, and a job can read neither another
 * job's log nor the host's credential, nor find a token in its environment. Needs root (this machine
 * and CI run as root); elsewhere there is no user to switch to and the test does not apply.
 */
class JobIsolationTest {
    @TempDir
    Path dir;
    TestFleet fleet;

    @AfterEach
    void stop() {
        if (fleet != null) fleet.close();
    }

    @Test
    void ranksRunAsTheConfiguredUserAndCannotReadAnotherJobsLogOrTheHostsCredential() throws Exception {
        assumeTrue(gpufleet.agent.RunAs.currentUid() == 0, "needs root, to switch users");
        // the temporary directory is private to its creator; open the way down so that only the
        // agent's own modes (logs 0600, job directories 0711) stand between a job and the files
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        fleet = new TestFleet(dir, TestDatabases.Kind.SQLITE);
        Files.setPosixFilePermissions(Files.createDirectories(dir.resolve("agents")), PosixFilePermissions.fromString("rwxr-xr-x"));
        fleet.startAgent("host-a", "r1", 8, "nobody");
        fleet.awaitHosts(1);
        Path work = fleet.agentWorkDir("host-a");
        // a place anyone may write, as a shared file system is; the agent makes each job's directory as the job's user
        Path shared = Files.createDirectories(dir.resolve("shared"));
        Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwxrwxrwx"));

        long a = fleet.submit("secretive", 1, 1, 0, shared.resolve("a"), "/bin/sh", "-c", "echo the secret of A; id -u; sleep 30");
        fleet.await("A's log", 20, () -> fleet.text("/jobs/" + a + "/logs/0"), s -> s.contains("the secret of A"));
        Path logA = work.resolve("jobs/" + a + "/rank-0.log");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(logA))).isEqualTo("rw-------");
        assertThat(Files.getAttribute(logA, "unix:uid")).isEqualTo(0);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(logA.getParent()))).isEqualTo("rwx--x--x");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(work.resolve("credential")))).isEqualTo("rw-------");

        String snoop = String.join("; ", List.of(
                "echo uid=$(id -u)",
                "test -e " + logA + " && echo A-log-exists",
                "cat " + logA + " || echo cat-log-refused",
                "ls " + logA.getParent() + " || echo ls-refused",
                "cat " + work.resolve("credential") + " || echo cat-credential-refused",
                "env | grep -c GPUFLEET_JOIN_TOKEN || true",
                "echo nothing > " + logA + " || echo write-refused",
                "touch $GPUFLEET_CHECKPOINT_DIR/mine && echo checkpoint-dir-writable",
                "ls " + shared.resolve("a") + " || echo other-checkpoints-listed"));
        long b = fleet.submit("snoop", 1, 1, 0, shared.resolve("b"), "/bin/sh", "-c", snoop);
        fleet.awaitJob(b, "COMPLETED", 30);
        String out = fleet.await("B's log", 10, () -> fleet.text("/jobs/" + b + "/logs/0"), s -> s.contains("checkpoint-dir"));

        assertThat(out).contains("uid=65534").contains("A-log-exists").contains("cat-log-refused").contains("ls-refused")
                .contains("cat-credential-refused").contains("write-refused").contains("checkpoint-dir-writable")
                .contains("Permission denied")
                .doesNotContain("the secret of A").doesNotContain("gft_");
        assertThat(out.lines()).contains("0"); // no join token in the environment
        assertThat(Files.getAttribute(shared.resolve("b"), "unix:uid")).as("made as the job's user").isEqualTo(65534);
        assertThat(fleet.text("/jobs/" + a + "/logs/0")).contains("the secret of A").contains("65534")
                .doesNotContain("nothing");
    }
}
