package gpufleet.cli;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ServerSocket;

/**
 * A request the contract refuses is refused by the command line itself, before anything is sent, in
 * one line that says what the controller would have said: the field and why, never a stack trace.
 * The controller here is a port nobody listens on, so a request that was sent would fail differently.
 */
class RequestValidationTest {
    String nowhere;

    @BeforeEach
    void freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            nowhere = "http://127.0.0.1:" + s.getLocalPort();
        }
    }

    @Test
    void aBadJobIsRefusedNamingTheFieldWithoutContactingTheController() {
        ControllerCommandsTest.assertOneLineError(CliTest.run("submit", "--server", nowhere, "--name", "x", "--gpus", "0", "--", "x"),
                "gpufleet: 'gpus' must be in [1, 10000000], got 0 (field gpus)");
        ControllerCommandsTest.assertOneLineError(CliTest.run("submit", "--server", nowhere, "--name", "x", "--gpus", "8", "--tp", "3",
                "--", "x"), "gpufleet: tp (3) must divide gpus (8) (field tp)");
        ControllerCommandsTest.assertOneLineError(CliTest.run("submit", "--server", nowhere, "--name", "x", "--gpus", "8",
                "--max-restarts", "-1", "--", "x"), "'maxRestarts' must be in [0, 1000], got -1 (field maxRestarts)");
    }

    @Test
    void badTokenTeamAndDrainRequestsAreRefusedTheSameWay() {
        ControllerCommandsTest.assertOneLineError(CliTest.run("token", "create", "--server", nowhere, "--name", "x", "--role", "agent"),
                "'role' must be admin, member, viewer or join, got 'agent' (field role)");
        ControllerCommandsTest.assertOneLineError(CliTest.run("token", "create", "--server", nowhere, "--name", "x", "--role", "viewer",
                "--team", "vision"), "only a member token has a team (field team)");
        ControllerCommandsTest.assertOneLineError(CliTest.run("team", "add", "--server", nowhere, "vision", "--quota", "-4"),
                "'quotaGpus' must be >= 0, got -4 (field quotaGpus)");
        ControllerCommandsTest.assertOneLineError(CliTest.run("drain", "--server", nowhere, "node-a", "--reason", " "),
                "'reason' must not be blank (field reason)");
    }

    @Test
    void aValidRequestIsSentAndFailsOnlyForWantOfAController() {
        ControllerCommandsTest.assertOneLineError(CliTest.run("submit", "--server", nowhere, "--name", "x", "--gpus", "8", "--", "x"),
                "gpufleet: cannot reach the controller at " + nowhere);
    }
}
