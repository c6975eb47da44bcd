package gpufleet.cli.deploy;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Through the shipped launcher, against a running {@code gpufleet up}: a request the contract refuses
 * is one line naming the field, whether the command line refuses it before sending (a value no
 * controller takes) or the controller does (a team it does not know), and exits 2; nothing is submitted.
 */
class RequestRefusalIT {
    @TempDir
    static Path dir;
    static LocalFleet fleet;

    @BeforeAll
    static void up() throws Exception {
        fleet = LocalFleet.up(dir);
    }

    @AfterAll
    static void down() throws Exception {
        if (fleet != null) fleet.close();
    }

    private static void oneLine(Launcher.Result r, String expected) {
        assertThat(r.code()).as(r.both()).isEqualTo(2);
        assertThat(r.out()).isEmpty();
        assertThat(r.err().strip()).isEqualTo(expected);
    }

    @Test
    void aRefusedRequestIsOneLineNamingTheFieldAndNothingIsSubmitted() {
        oneLine(fleet.gf("submit", "--name", "x", "--gpus", "0", "--", "true"),
                "gpufleet: 'gpus' must be in [1, 10000000], got 0 (field gpus)");
        oneLine(fleet.gf("submit", "--name", "x", "--gpus", "8", "--tp", "3", "--", "true"),
                "gpufleet: tp (3) must divide gpus (8) (field tp)");
        oneLine(fleet.gf("submit", "--name", "x", "--gpus", "8", "--team", "nope", "--", "true"),
                "gpufleet: unknown team 'nope' (field team)");
        oneLine(fleet.gf("token", "create", "--name", "x", "--role", "member"),
                "gpufleet: 'team' is required (field team)");
        assertThat(fleet.json("queue", "--all", "-o", "json").isEmpty()).as("nothing was submitted").isTrue();
    }
}
