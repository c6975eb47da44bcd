package gpufleet.sim.trace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Small hand-made files: every kind of bad row, blank lines, order, duplicates and headers. */
class TraceReadersTest {
    private static final String PHILLY = "timestamp,duration,num_gpus,gpu_time,cluster";
    private static final String TIRESIAS = "job_id,num_gpu,submit_time,iterations,model_name,duration,interval";
    private static final String OPENB = "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,"
            + "creation_time,deletion_time,scheduled_time";

    @TempDir
    Path dir;

    private Path file(String... lines) throws IOException {
        Path p = dir.resolve("trace.csv");
        Files.writeString(p, String.join("\n", lines) + "\n", StandardCharsets.UTF_8);
        return p;
    }

    /** One bad row between two good ones: it is counted, reported with its line, and the others are kept. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "2017-10-09 07:01:55,66.0,1,66.0       | expected 5 fields, found 4",
            "2017-10-09 07:01:55,66.0,1,66.0,a,b   | expected 5 fields, found 6",
            "2017-10-09 07:01:55,,1,66.0,a         | missing duration",
            ",66.0,1,66.0,a                        | missing timestamp",
            "2017-10-09 07:01:55,abc,1,66.0,a      | duration is not a number: 'abc'",
            "2017-10-09 07:01:55,NaN,1,66.0,a      | duration is not a number: 'NaN'",
            "2017-10-09 07:01:55,1e999,1,66.0,a    | duration is not a finite number: '1e999'",
            "2017-10-09 07:01:55,66.0,one,66.0,a   | num_gpus is not an integer: 'one'",
            "2017-10-09 07:01:55,66.0,1.5,99.0,a   | num_gpus is not an integer: '1.5'",
            "2017-10-09 07:01:55,66.0,1,n/a,a      | gpu_time is not a number: 'n/a'",
            "2017-10-09 07:01:55,-5,1,-5,a         | duration must be > 0, got -5",
            "2017-10-09 07:01:55,0,1,0,a           | duration must be > 0, got 0",
            "2017-10-09 07:01:55,66.0,0,0,a        | num_gpus must be >= 1, got 0",
            "2017-10-09 07:01:55,66.0,-2,0,a       | num_gpus must be >= 1, got -2",
            "2017-02-30 07:01:55,66.0,1,66.0,a     | timestamp is not a date-time 'yyyy-MM-dd HH:mm:ss': '2017-02-30 07:01:55'",
            "2017-10-09T07:01:55,66.0,1,66.0,a     | timestamp is not a date-time 'yyyy-MM-dd HH:mm:ss': '2017-10-09T07:01:55'",
            "yesterday,66.0,1,66.0,a               | timestamp is not a date-time 'yyyy-MM-dd HH:mm:ss': 'yesterday'",
            "2017-10-09 7:01:55,66.0,1,66.0,a      | timestamp is not a date-time 'yyyy-MM-dd HH:mm:ss': '2017-10-09 7:01:55'",
    })
    void phillyBadRow(String bad, String message) throws IOException {
        Path p = file(PHILLY, "2017-10-09 07:00:00,10.0,2,20.0,a", bad, "2017-10-09 07:00:30,5,1,5,b");
        Trace t = TraceFormats.read(p, "philly");

        assertThat(t.rows()).isEqualTo(3);
        assertThat(t.badRows()).isEqualTo(1);
        assertThat(t.jobs()).extracting(TraceJob::sourceLine).containsExactly(2, 4);
        assertThat(t.problems()).containsExactly(p + ":3: " + message);
        assertThat(t.duplicates()).isZero();
        assertThat(t.blankLines()).isZero();
    }

    @Test
    void blankLinesAnywhereAreCountedNotRows() throws IOException {
        Path p = file(PHILLY, "", "2017-10-09 07:00:00,10.0,2,20.0,a", "   ", "2017-10-09 07:00:30,5,1,5,b", "", "");
        Trace t = TraceFormats.read(p, "philly");

        assertThat(t.blankLines()).isEqualTo(4);
        assertThat(t.rows()).isEqualTo(2);
        assertThat(t.badRows()).isZero();
        assertThat(t.jobs()).extracting(TraceJob::sourceLine).containsExactly(3, 5);
        assertThat(t.summary()).isEqualTo("philly: 2 jobs from 2 rows (0 bad, 0 duplicates, 0 skipped, 4 blank lines)");
    }

    @Test
    void unsortedRowsAreSortedByTimeThenLineWithDenseIds() throws IOException {
        Path p = file(PHILLY,
                "2017-10-09 08:00:00,30,1,30,c",   // line 2
                "2017-10-09 07:00:00,10,2,20,a",   // line 3: the first submission
                "2017-10-09 07:30:00,20,4,80,b",   // line 4: same time as line 5
                "2017-10-09 07:30:00,25,1,25,",    // line 5: no cluster
                "2017-10-08 23:59:59,5,1,5,a");    // line 6: earlier still
        Trace t = TraceFormats.read(p, "philly");

        assertThat(t.epoch()).isEqualTo("2017-10-08 23:59:59");
        assertThat(t.jobs()).containsExactly(
                new TraceJob(0, "philly-6", 0, 5, 1, "a", 6),
                new TraceJob(1, "philly-3", 25_201, 10, 2, "a", 3),
                new TraceJob(2, "philly-4", 27_001, 20, 4, "b", 4),
                new TraceJob(3, "philly-5", 27_001, 25, 1, "default", 5),
                new TraceJob(4, "philly-2", 28_801, 30, 1, "c", 2));
    }

    @Test
    void phillyExactDuplicatesAreDroppedAndTheFirstCopyKept() throws IOException {
        Path p = file(PHILLY,
                "2017-10-09 07:00:00,10,2,20,a",   // 2
                "2017-10-09 07:00:00,10,2,20,a",   // 3: duplicate of 2
                "2017-10-09 07:00:00,10,2,20,b",   // 4: differs in the cluster: kept
                "2017-10-09 07:00:00,10,2,20,a",   // 5: duplicate of 2
                "2017-10-09 07:00:00,-1,2,20,a",   // 6: bad
                "2017-10-09 07:00:00,-1,2,20,a");  // 7: duplicate of a bad row: a duplicate, not a second bad row
        Trace t = TraceFormats.read(p, "philly");

        assertThat(t.rows()).isEqualTo(6);
        assertThat(t.duplicates()).isEqualTo(3);
        assertThat(t.badRows()).isEqualTo(1);
        assertThat(t.jobs()).extracting(TraceJob::sourceLine).containsExactly(2, 4);
        assertThat(t.problems()).containsExactly(p + ":6: duration must be > 0, got -1");
    }

    @Test
    void phillyGpuTimeMismatchIsAWarningAndTheJobIsKept() throws IOException {
        Path p = file(PHILLY,
                "2017-10-09 07:00:00,100,2,201.9,a",  // within 1%: fine
                "2017-10-09 07:00:00,100,2,250,a");   // 25% off
        Trace t = TraceFormats.read(p, "philly");

        assertThat(t.jobs()).hasSize(2);
        assertThat(t.badRows()).isZero();
        assertThat(t.notes()).isEqualTo(Map.of("gpu-time-mismatch", 1));
        assertThat(t.problems()).containsExactly(
                p + ":3: warning: gpu_time 250 is not duration x num_gpus = 200 (off by more than 1%); kept");
    }

    @Test
    void crlfLineEndsAndAByteOrderMarkAreAccepted() throws IOException {
        Path p = dir.resolve("crlf.csv");
        Files.writeString(p, "\uFEFF" + PHILLY + "\r\n2017-10-09 07:00:00,10,2,20,a\r\n2017-10-09 07:00:01,5,1,5,b\r\n");
        Trace t = TraceFormats.read(p, "auto");

        assertThat(t.format()).isEqualTo("philly");
        assertThat(t.jobs()).extracting(TraceJob::group).containsExactly("a", "b");
        assertThat(t.blankLines()).isZero();
    }

    @Test
    void onlyTheFirstTwentyProblemsAreKeptButAllAreCounted() throws IOException {
        List<String> lines = new ArrayList<>(List.of(PHILLY));
        for (int i = 0; i < 25; i++) lines.add("2017-10-09 07:00:" + (10 + i) + ",0,1,0,a");
        lines.add("2017-10-09 08:00:00,10,1,10,a");
        Trace t = TraceFormats.read(file(lines.toArray(String[]::new)), "philly");

        assertThat(t.badRows()).isEqualTo(25);
        assertThat(t.problems()).hasSize(Trace.MAX_PROBLEMS);
        assertThat(t.problems().getFirst()).endsWith(":2: duration must be > 0, got 0");
        assertThat(t.problems().getLast()).endsWith(":21: duration must be > 0, got 0");
        assertThat(t.jobs()).hasSize(1);
    }

    @Test
    void aFileOfOnlyBadRowsIsATraceWithNoJobs() throws IOException {
        Trace t = TraceFormats.read(file(PHILLY, "x,y,z,w,v"), "philly");
        assertThat(t.jobs()).isEmpty();
        assertThat(t.badRows()).isEqualTo(1);
        assertThat(t.epoch()).isEqualTo("none (no jobs)");
        assertThat(t.arrivalSpan()).isZero();
    }

    @Test
    void tiresias() throws IOException {
        Path p = file(TIRESIAS,
                "7,2,100,30,resnet50,30,70",
                "8,1,170,61,resnet50,61,0",
                "9,1,170,,,61,",                 // unused columns may be empty
                "8,4,200,5,resnet50,5,0",        // job_id 8 again
                "10,1,-1,5,resnet50,5,0",
                "11,0,300,5,resnet50,5,0",
                "12,1,300,5,resnet50,5");
        Trace t = TraceFormats.read(p, "tiresias");

        assertThat(t.epoch()).isEqualTo("first job (at 100 s in the file)");
        assertThat(t.jobs()).containsExactly(
                new TraceJob(0, "7", 0, 30, 2, "default", 2),
                new TraceJob(1, "8", 70, 61, 1, "default", 3),
                new TraceJob(2, "9", 70, 61, 1, "default", 4));
        assertThat(t.badRows()).isEqualTo(4);
        assertThat(t.problems()).containsExactly(
                p + ":5: duplicate job_id '8' (first on line 3)",
                p + ":6: submit_time must be >= 0, got -1",
                p + ":7: num_gpu must be >= 1, got 0",
                p + ":8: expected 7 fields, found 6");
    }

    @Test
    void tiresiasDoesNotDropRepeatedRowsWithDistinctIds() throws IOException {
        Trace t = TraceFormats.read(file(TIRESIAS, "0,1,0,30,resnet50,30,0", "1,1,0,30,resnet50,30,0"), "tiresias");
        assertThat(t.jobs()).hasSize(2);
        assertThat(t.duplicates()).isZero();
    }

    @Test
    void alibabaOpenb() throws IOException {
        Path p = file(OPENB,
                "pod-a,12000,16384,1,1000,,LS,Running,0,1000,10",          // 2: whole GPU, ran 990 s
                "pod-b,6000,12288,1,460,,BE,Running,50,500,100",           // 3: fractional
                "pod-c,4000,8192,0,0,,LS,Running,60,900,60",               // 4: CPU-only: skipped
                "pod-d,4000,8192,8,1000,V100,,Pending,70,170,",            // 5: never scheduled, no qos
                "pod-e,4000,8192,1,1000,,LS,Pending,80,80,",               // 6: zero run time
                "pod-f,4000,8192,1,0,,LS,Running,90,200,90",               // 7: GPU pod with no GPU share
                "pod-g,4000,8192,1,1500,,LS,Running,90,200,90",            // 8: more than one GPU's share
                "pod-a,4000,8192,1,1000,,LS,Running,95,200,95",            // 9: name again
                "pod-h,4000,8192,0,0,,LS,Running,x,y,z",                   // 10: CPU-only, not checked further
                "pod-i,4000,8192,2,1000,,LS,Running,99,100,150");          // 11: deleted before scheduled
        Trace t = TraceFormats.read(p, "alibaba-openb");

        assertThat(t.jobs()).containsExactly(
                new TraceJob(0, "pod-a", 0, 990, 1, "LS", 2),
                new TraceJob(1, "pod-b", 50, 400, 1, "BE", 3),
                new TraceJob(2, "pod-d", 70, 100, 8, "default", 5));
        assertThat(t.skipped()).isEqualTo(Map.of("cpu-only", 2));
        assertThat(t.notes()).isEqualTo(Map.of("fractional-gpu", 1, "never-scheduled", 1));
        assertThat(t.badRows()).isEqualTo(5);
        assertThat(t.rows()).isEqualTo(10);
        assertThat(t.problems()).containsExactly(
                p + ":6: run time deletion_time - creation_time = 80 - 80 must be > 0",
                p + ":7: gpu_milli must be >= 1, got 0",
                p + ":8: gpu_milli must be <= 1000, got 1500",
                p + ":9: duplicate name 'pod-a' (first on line 2)",
                p + ":11: run time deletion_time - scheduled_time = 100 - 150 must be > 0");
    }

    @Test
    void gpufleet() throws IOException {
        Path p = file("id,submit_time,duration,gpus,group",
                "3,100.5,60,8,team-a",
                "1,100,30.25,1,",
                "2,100,1,2,team-b",
                "1,200,1,1,team-b",
                "4,1.5e2,1,0,team-b",
                "x,1,1,1,team-b");
        Trace t = TraceFormats.read(p, "auto");

        assertThat(t.format()).isEqualTo("gpufleet");
        assertThat(t.epoch()).isEqualTo("first job (at 100 s in the file)");
        assertThat(t.jobs()).containsExactly(
                new TraceJob(0, "1", 0, 30.25, 1, "default", 3),
                new TraceJob(1, "2", 0, 1, 2, "team-b", 4),
                new TraceJob(2, "3", 0.5, 60, 8, "team-a", 2));
        assertThat(t.problems()).containsExactly(
                p + ":5: duplicate id '1' (first on line 3)",
                p + ":6: gpus must be >= 1, got 0",
                p + ":7: id is not an integer: 'x'");
    }

    /** Regression: bytes that are not UTF-8 failed the whole file with "Input length = 1" (found by fuzzing). */
    @Test
    void bytesThatAreNotUtf8CostOnlyAWarningOnTheirLine() throws IOException {
        Path p = dir.resolve("latin1.csv");
        byte[] head = "id,submit_time,duration,gpus,group,name\n0,0,10,1,a,caf".getBytes(StandardCharsets.UTF_8);
        byte[] tail = "\n1,5,10,2,b,ok\n".getBytes(StandardCharsets.UTF_8);
        byte[] all = new byte[head.length + 1 + tail.length];
        System.arraycopy(head, 0, all, 0, head.length);
        all[head.length] = (byte) 0xe9; // 'é' in Latin-1, not UTF-8
        System.arraycopy(tail, 0, all, head.length + 1, tail.length);
        Files.write(p, all);
        Trace t = TraceFormats.read(p, "auto");
        assertThat(t.jobs()).extracting(TraceJob::name).containsExactly("caf\uFFFD", "ok");
        assertThat(t.problems()).containsExactly(p + ":2: warning: bytes that are not UTF-8, read as U+FFFD");
    }

    @Test
    void gpufleetNamesDefaultToTheId() throws IOException {
        Path p = file("id,submit_time,duration,gpus,group,name", "0,0,10,1,a,train-llm", "1,5,10,1,a,");
        assertThat(TraceFormats.read(p, "gpufleet").jobs()).extracting(TraceJob::name).containsExactly("train-llm", "1");
    }

    @Test
    void wrongHeaderNamesTheFileWhatWasFoundAndWhatWasExpected() throws IOException {
        Path p = file(TIRESIAS, "0,1,0,30,resnet50,30,0");
        assertThatThrownBy(() -> TraceFormats.read(p, "philly"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(p + ": not a philly trace: header is '" + TIRESIAS + "', expected '" + PHILLY + "'");
    }

    @Test
    void unknownHeaderUnderAutoListsEveryFormat() throws IOException {
        Path p = file("a,b,c", "1,2,3");
        assertThatThrownBy(() -> TraceFormats.read(p, "auto"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(p + ": unknown trace format: header is 'a,b,c', expected one of: philly '" + PHILLY
                        + "'; tiresias '" + TIRESIAS + "'; alibaba-openb '" + OPENB
                        + "'; gpufleet 'id,submit_time,duration,gpus,group[,name]'");
    }

    @Test
    void emptyFile() throws IOException {
        Path p = dir.resolve("empty.csv");
        Files.writeString(p, "");
        assertThatThrownBy(() -> TraceFormats.read(p, "gpufleet"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(p + ": not a gpufleet trace: header is '' (empty file), expected 'id,submit_time,duration,gpus,group[,name]'");
        assertThatThrownBy(() -> TraceFormats.detect(p))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith(p + ": unknown trace format: header is '' (empty file), expected one of: ");
    }

    @Test
    void aHeaderAloneIsATraceWithNoRows() throws IOException {
        Trace t = TraceFormats.read(file(PHILLY), "philly");
        assertThat(t.rows()).isZero();
        assertThat(t.jobs()).isEmpty();
    }

    @Test
    void missingFileNamesThePath() {
        Path p = dir.resolve("nope.csv");
        assertThatThrownBy(() -> TraceFormats.read(p, "philly"))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("trace file not found: " + p);
        assertThatThrownBy(() -> TraceFormats.read(p, "auto"))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("trace file not found: " + p);
        assertThatThrownBy(() -> TraceFormats.read(dir, "auto"))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("not a trace file (not a regular file): " + dir);
    }

    @Test
    void registry() {
        assertThat(TraceFormats.names()).containsExactly("philly", "tiresias", "alibaba-openb", "gpufleet");
        for (String name : TraceFormats.names()) assertThat(TraceFormats.reader(name).format()).isEqualTo(name);
        assertThatThrownBy(() -> TraceFormats.reader("helios"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("unknown trace format 'helios'; known: philly, tiresias, alibaba-openb, gpufleet (or auto)");
    }
}
