package gpufleet.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A second controller on a data directory in use refuses to start and names the first; a crash frees it. */
class DataDirLockTest {
    @TempDir
    Path dir;

    @Test
    void aSecondControllerOnTheSameDataDirectoryIsRefusedWithTheHoldersPid() {
        GpufleetServer first = GpufleetServer.start(dir, 0, Duration.ofMillis(200));
        try {
            assertThat(Files.exists(dir.resolve(DataDirLock.FILE))).isTrue();
            assertThatThrownBy(() -> GpufleetServer.start(dir, 0, Duration.ofMillis(200)))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("in use by another controller")
                    .hasMessageContaining("pid " + ProcessHandle.current().pid())
                    .hasMessageContaining("--data-dir");
            // the refused one changed nothing: the first still serves
            assertThat(first.controller().hosts()).isEmpty();
        } finally {
            first.crash();
        }
        // a crash frees the directory, as the kernel frees a dead process's locks
        GpufleetServer again = GpufleetServer.start(dir, 0, Duration.ofMillis(200));
        again.close();
        GpufleetServer third = GpufleetServer.start(dir, 0, Duration.ofMillis(200));
        third.close();
    }

    @Test
    void anotherDataDirectoryIsNoConflict(@TempDir Path other) {
        GpufleetServer a = GpufleetServer.start(dir, 0, Duration.ofMillis(200));
        try {
            GpufleetServer b = GpufleetServer.start(other, 0, Duration.ofMillis(200));
            b.close();
        } finally {
            a.close();
        }
    }
}
