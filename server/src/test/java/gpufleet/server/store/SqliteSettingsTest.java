package gpufleet.server.store;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The embedded database's connection runs with the settings its durability and integrity rest on:
 * WAL journal, synchronous=FULL (a commit that returned survives a kill), foreign keys enforced, and a
 * busy timeout. They are given to the driver for every connection the pool opens.
 */
class SqliteSettingsTest {
    @Test
    void everyConnectionHasTheDurabilitySettings(@TempDir Path dir) {
        try (SqlStore s = SqlStore.sqlite(dir)) {
            assertThat(s.pragma("journal_mode")).isEqualToIgnoringCase("wal");
            assertThat(s.pragma("synchronous")).isEqualTo("2"); // FULL
            assertThat(s.pragma("foreign_keys")).isEqualTo("1");
            assertThat(s.pragma("busy_timeout")).isEqualTo("5000");
        }
    }
}
