package gpufleet.sim.trace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Writing gpufleet's format and reading it back. */
class GpufleetFormatTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"philly/philly.csv", "philly/philly_oct2017_first2000.csv",
            "alibaba-openb/openb_pod_list_default.csv"})
    void realTracesRoundTrip(String file) {
        Trace original = TraceFormats.read(SharedTraces.DIR.resolve(file), "auto");
        Path out = dir.resolve("converted.csv");
        TraceFormats.writeGpufleet(original, out);
        Trace back = TraceFormats.read(out, "auto");

        assertThat(back.format()).isEqualTo("gpufleet");
        assertThat(withoutLines(back.jobs())).isEqualTo(withoutLines(original.jobs()));
        assertThat(back.jobs()).allSatisfy(j -> assertThat(j.sourceLine()).isEqualTo(j.id() + 2));
        assertThat(back.rows()).isEqualTo(original.jobs().size());
        assertThat(back.badRows() + back.duplicates() + back.blankLines() + back.skippedRows()).isZero();
        assertThat(back.epoch()).isEqualTo("first job");
    }

    private static List<TraceJob> withoutLines(List<TraceJob> jobs) {
        return jobs.stream().map(j -> new TraceJob(j.id(), j.name(), j.submitTime(), j.duration(), j.gpus(), j.group(), 1))
                .toList();
    }

    @Test
    void writtenFileIsPlainCsv() throws IOException {
        Path in = dir.resolve("in.csv");
        Files.writeString(in, """
                id,submit_time,duration,gpus,group,name
                0,0,0.1,1,a,x
                1,12345678.5,30,8,b,y
                2,20000000,1e-3,2,b,z
                """);
        Path out = dir.resolve("sub/out.csv");
        TraceFormats.writeGpufleet(TraceFormats.read(in, "gpufleet"), out);
        assertThat(Files.readString(out)).isEqualTo("""
                id,submit_time,duration,gpus,group,name
                0,0,0.1,1,a,x
                1,12345678.5,30,8,b,y
                2,20000000,0.001,2,b,z
                """);
    }

    /** The example in docs/trace-formats.md. */
    @Test
    void documentedExample() throws IOException {
        Path in = dir.resolve("example.csv");
        Files.writeString(in, """
                id,submit_time,duration,gpus,group,name
                0,0,3600,8,vision,resnet-sweep-17
                1,12.5,86400,64,llm,pretrain-7b
                2,12.5,600,1,,notebook-3
                """);
        Trace t = TraceFormats.read(in, "auto");
        assertThat(t.jobs()).containsExactly(
                new TraceJob(0, "resnet-sweep-17", 0, 3600, 8, "vision", 2),
                new TraceJob(1, "pretrain-7b", 12.5, 86400, 64, "llm", 3),
                new TraceJob(2, "notebook-3", 12.5, 600, 1, "default", 4));
        assertThat(t.problems()).isEmpty();
    }

    @ParameterizedTest
    @CsvSource({"0, 0", "-0.0, 0", "30, 30", "0.25, 0.25", "0.1, 0.1", "1e7, 10000000", "1.5e-5, 0.000015",
            "1234567.891, 1234567.891", "-2.5, -2.5"})
    void plainNumbers(double x, String expected) {
        assertThat(TraceFormats.plain(x)).isEqualTo(expected);
        assertThat(Double.parseDouble(expected)).isEqualTo(x == 0 ? 0.0 : x);
    }

    @Test
    void namesThatCannotBeWrittenAreRefused() throws IOException {
        Path in = dir.resolve("in.csv");
        Files.writeString(in, "id,submit_time,duration,gpus,group,name\n0,0,1,1,a,x y\n");
        Trace ok = TraceFormats.read(in, "gpufleet");
        TraceFormats.writeGpufleet(ok, dir.resolve("ok.csv"));

        Trace bad = new Trace("gpufleet", "made", "first job",
                List.of(new TraceJob(0, "a,b", 0, 1, 1, "g", 2)), 1, 0, 0, 0,
                java.util.Map.of(), java.util.Map.of(), List.of());
        assertThatThrownBy(() -> TraceFormats.writeGpufleet(bad, dir.resolve("bad.csv")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("job 0: name 'a,b' cannot be written in the gpufleet format (comma, line break or outer white space)");
    }
}
