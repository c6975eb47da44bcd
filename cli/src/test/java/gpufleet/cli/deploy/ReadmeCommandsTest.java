package gpufleet.cli.deploy;

import gpufleet.cli.deploy.ReadmeCommands.Command;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** How ReadmeIT reads a README: what a reader would paste from its bash blocks, and nothing else. */
class ReadmeCommandsTest {
    @TempDir
    Path dir;

    @Test
    void joinsContinuedLinesDropsCommentsAndKeepsSections() throws IOException {
        Files.writeString(dir.resolve("R.md"), """
                # Title

                ```bash
                ./gpufleet simulate        # the default scenario
                # a comment line
                GPUFLEET_JOIN_TOKEN=gft_... ./gpufleet agent --server https://controller:8443 \\
                    --rack r12   # trailing
                ```

                ## Running

                ```
                sample output, not a command
                ```

                ```bash
                ./gpufleet drain h --reason "xid #79"; echo 'a # b' # c
                ```

                ```yaml
                key: value
                ```
                """);
        assertThat(ReadmeCommands.of(dir, "R.md")).containsExactly(
                new Command("R.md", 4, "Title", "./gpufleet simulate"),
                new Command("R.md", 6, "Title", "GPUFLEET_JOIN_TOKEN=gft_... ./gpufleet agent --server https://controller:8443 --rack r12"),
                new Command("R.md", 17, "Running", "./gpufleet drain h --reason \"xid #79\"; echo 'a # b'"));
    }

    @Test
    void aBlockEndingInsideACommandIsAnError() throws IOException {
        Files.writeString(dir.resolve("R.md"), "```bash\n./gpufleet up \\\n```\n");
        assertThatThrownBy(() -> ReadmeCommands.of(dir, "R.md")).hasMessageContaining("R.md:2");
    }
}
