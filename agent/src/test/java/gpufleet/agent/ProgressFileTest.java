package gpufleet.agent;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class ProgressFileTest {
    private final List<String> warnings = new ArrayList<>();

    private static void append(Path f, String text, long epochSecond) throws Exception {
        Files.writeString(f, text, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        Files.setLastModifiedTime(f, FileTime.from(Instant.ofEpochSecond(epochSecond)));
    }

    @Test
    void completeCheckpointLinesCountAtTheTimeTheyWereRead(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("rank-0.1.progress");
        ProgressFile p = new ProgressFile(f, warnings::add);
        assertThat(p.poll()).as("no file yet").isNull();
        Files.createFile(f);
        assertThat(p.poll()).as("empty").isNull();

        append(f, "checkpoint 5\n", 1_000);
        assertThat(p.poll()).isEqualTo(1_000.0);
        assertThat(p.step()).isEqualTo(5);
        assertThat(p.offset()).isEqualTo("checkpoint 5\n".length());

        // a line still being written waits for its newline, whatever the file's time says
        append(f, "checkpoint 1", 2_000);
        assertThat(p.poll()).isEqualTo(1_000.0);
        assertThat(p.step()).isEqualTo(5);
        assertThat(p.offset()).as("the partial line is read again later").isEqualTo("checkpoint 5\n".length());
        append(f, "0\n", 3_000);
        assertThat(p.poll()).isEqualTo(3_000.0);
        assertThat(p.step()).isEqualTo(10);

        // lines read once are not read again: with nothing new, a later time changes nothing
        Files.setLastModifiedTime(f, FileTime.from(Instant.ofEpochSecond(4_000)));
        assertThat(p.poll()).isEqualTo(3_000.0);
        assertThat(p.offset()).isEqualTo(Files.size(f));

        // other lines are for later signals; several checkpoints in one read: the newest counts
        append(f, "loss 0.25\nstep 17\ncheckpoint 15\n  checkpoint   20  \r\n", 5_000);
        assertThat(p.poll()).isEqualTo(5_000.0);
        assertThat(p.step()).isEqualTo(20);
        assertThat(warnings).isEmpty();
    }

    @Test
    void everyCompleteLineIsProgressAtTheTimeItWasRead(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("rank-0.1.progress");
        ProgressFile p = new ProgressFile(f, warnings::add);
        Files.createFile(f);
        p.poll();
        assertThat(p.progress()).as("nothing written: never progress, so never hung").isNull();

        append(f, "step 1\nstep 2\n", 1_000);
        assertThat(p.poll()).as("progress is no checkpoint").isNull();
        assertThat(p.progress()).isEqualTo(1_000.0);

        append(f, "step 3", 2_000); // not complete yet
        p.poll();
        assertThat(p.progress()).isEqualTo(1_000.0);
        append(f, "\n", 3_000);
        p.poll();
        assertThat(p.progress()).isEqualTo(3_000.0);

        // nothing new: a later file time is no progress
        Files.setLastModifiedTime(f, FileTime.from(Instant.ofEpochSecond(4_000)));
        p.poll();
        assertThat(p.progress()).isEqualTo(3_000.0);

        // a checkpoint, and even a malformed one, shows the job alive too
        append(f, "checkpoint 7\n", 5_000);
        assertThat(p.poll()).isEqualTo(5_000.0);
        assertThat(p.progress()).isEqualTo(5_000.0);
        append(f, "checkpoint soon\n", 6_000);
        assertThat(p.poll()).isEqualTo(5_000.0);
        assertThat(p.progress()).isEqualTo(6_000.0);
        assertThat(warnings).hasSize(1);
    }

    @Test
    void malformedCheckpointLinesAreIgnoredAndReportedOnce(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("rank-3.2.progress");
        ProgressFile p = new ProgressFile(f, warnings::add);
        append(f, "checkpoint\ncheckpoint -1\ncheckpoint five\ncheckpoint 7 x\ncheckpoint 7 8 9\ncheckpoint 7 -2\n"
                + "checkpoint 7 90000\ncheckpoint 99999999999999999999\n", 1_000);
        assertThat(p.poll()).isNull();
        assertThat(p.step()).isNull();
        assertThat(warnings).hasSize(1);
        assertThat(warnings.getFirst()).contains(f.toString()).contains("'checkpoint' is not 'checkpoint STEP'");

        append(f, "checkpoint 3\ncheckpoint 4.5\n" + "x".repeat(3 * ProgressFile.MAX_LINE) + "\ncheckpoint 6\n", 2_000);
        assertThat(p.poll()).isEqualTo(2_000.0);
        assertThat(p.step()).as("an over-long line is skipped, not taken for two").isEqualTo(6);
        assertThat(warnings).as("reported once per file").hasSize(1);
        assertThat(p.offset()).isEqualTo(Files.size(f));
    }

    @Test
    void aCheckpointLineMaySayHowLongItStalledTraining(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("rank-0.1.progress");
        ProgressFile p = new ProgressFile(f, warnings::add);
        append(f, "checkpoint 5\n", 1_000);
        assertThat(p.poll()).isEqualTo(1_000.0);
        assertThat(p.cost()).as("none said").isNull();
        append(f, "checkpoint 10 3.25\n", 2_000);
        assertThat(p.poll()).isEqualTo(2_000.0);
        assertThat(p.step()).isEqualTo(10);
        assertThat(p.cost()).isEqualTo(3.25);
        // a later line without one keeps the last cost said
        append(f, "checkpoint 15\ncheckpoint 20 41\ncheckpoint 25\n", 3_000);
        assertThat(p.poll()).isEqualTo(3_000.0);
        assertThat(p.step()).isEqualTo(25);
        assertThat(p.cost()).isEqualTo(41.0);
        assertThat(warnings).isEmpty();
    }

    @Test
    void anOverLongLineIsDroppedUpToItsNewlineAcrossReads(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("rank-0.1.progress");
        ProgressFile p = new ProgressFile(f, warnings::add);
        append(f, "checkpoint 1" + "0".repeat(ProgressFile.MAX_LINE), 1_000);
        assertThat(p.poll()).isNull();
        append(f, "0\ncheckpoint 2\n", 2_000);
        assertThat(p.poll()).isEqualTo(2_000.0);
        assertThat(p.step()).isEqualTo(2);
        assertThat(warnings).singleElement().asString().contains("longer than " + ProgressFile.MAX_LINE);
    }

    @Test
    void aTruncatedFileIsReadFromItsStart(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("rank-0.1.progress");
        ProgressFile p = new ProgressFile(f, warnings::add);
        append(f, "checkpoint 100\ncheckpoint 200\n", 1_000);
        assertThat(p.poll()).isEqualTo(1_000.0);
        Files.writeString(f, "checkpoint 7\n");
        Files.setLastModifiedTime(f, FileTime.from(Instant.ofEpochSecond(2_000)));
        assertThat(p.poll()).isEqualTo(2_000.0);
        assertThat(p.step()).isEqualTo(7);
    }

    @Test
    void aLargeFileIsReadInChunksWithoutLosingALine(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("rank-0.1.progress");
        ProgressFile p = new ProgressFile(f, warnings::add);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 20_000; i++) sb.append("step ").append(i).append('\n'); // lines cross every chunk boundary
        sb.append("checkpoint 12345\n");
        append(f, sb.toString(), 1_000);
        assertThat(p.poll()).isEqualTo(1_000.0);
        assertThat(p.step()).isEqualTo(12345);
        assertThat(p.offset()).isEqualTo(Files.size(f));
        assertThat(warnings).isEmpty();
    }
}
