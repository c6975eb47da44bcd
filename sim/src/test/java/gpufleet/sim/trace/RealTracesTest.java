package gpufleet.sim.trace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The readers against the real traces in shared/traces, checked against that folder's README. */
class RealTracesTest {
    private static final DateTimeFormatter TIMESTAMP = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");

    @Test
    void philly() {
        Trace t = TraceFormats.read(SharedTraces.philly(), "philly");

        assertThat(t.format()).isEqualTo("philly");
        assertThat(t.rows()).isEqualTo(82_247);
        assertThat(t.duplicates()).isEqualTo(65);
        assertThat(t.jobs()).hasSize(82_182);
        assertThat(t.badRows()).isZero();
        assertThat(t.blankLines()).isEqualTo(1);
        assertThat(t.skipped()).isEmpty();
        assertThat(t.notes()).isEmpty(); // gpu_time = duration x num_gpus on every row
        assertThat(t.problems()).isEmpty();
        assertThat(t.epoch()).isEqualTo("2017-09-04 10:30:41");

        LocalDateTime first = LocalDateTime.parse(t.epoch(), TIMESTAMP);
        LocalDateTime last = first.plusSeconds((long) t.arrivalSpan());
        assertThat(last.toLocalDate()).isEqualTo(LocalDate.of(2017, 12, 22));
        assertThat(t.arrivalSpan() / 86_400).isCloseTo(108.9, within(0.01));

        assertThat(t.jobs().stream().mapToInt(TraceJob::gpus).min().orElseThrow()).isEqualTo(1);
        assertThat(t.jobs().stream().mapToInt(TraceJob::gpus).max().orElseThrow()).isEqualTo(128);
        assertThat(t.jobs().stream().map(TraceJob::group).distinct()).hasSize(15);
        // The README's 76,627 single-GPU jobs counts the raw rows; 62 of the 65 duplicates are 1-GPU rows.
        assertThat(t.jobs().stream().filter(j -> j.gpus() == 1).count()).isEqualTo(76_565);
    }

    @Test
    void phillyRawRowsMatchTheReadme() throws IOException {
        List<String> rows = Files.readAllLines(SharedTraces.philly()).stream().skip(1).filter(l -> !l.isBlank()).toList();
        assertThat(rows).hasSize(82_247);
        assertThat(rows.stream().filter(r -> r.split(",")[2].equals("1")).count()).isEqualTo(76_627);
        assertThat(rows.stream().distinct().count()).isEqualTo(82_182);
    }

    @Test
    void phillyJobsAreInSubmitOrderWithDenseIds() {
        Trace t = TraceFormats.read(SharedTraces.philly(), "philly");
        assertThat(t.jobs()).isSortedAccordingTo(
                Comparator.comparingDouble(TraceJob::submitTime).thenComparingInt(TraceJob::sourceLine));
        for (int i = 0; i < t.jobs().size(); i++) assertThat(t.jobs().get(i).id()).isEqualTo(i);
        assertThat(t.jobs().getFirst().submitTime()).isZero();
        // The first data row of the file: 2017-10-09 07:01:55,66.0,1,66.0,11cb48
        TraceJob line2 = t.jobs().stream().filter(j -> j.sourceLine() == 2).findFirst().orElseThrow();
        assertThat(line2.name()).isEqualTo("philly-2");
        assertThat(line2.duration()).isEqualTo(66.0);
        assertThat(line2.gpus()).isEqualTo(1);
        assertThat(line2.group()).isEqualTo("11cb48");
        assertThat(LocalDateTime.parse(t.epoch(), TIMESTAMP).plusSeconds((long) line2.submitTime()))
                .isEqualTo(LocalDateTime.of(2017, 10, 9, 7, 1, 55));
    }

    @Test
    void tiresias() {
        Trace t = TraceFormats.read(SharedTraces.tiresias(), "tiresias");

        assertThat(t.rows()).isEqualTo(2_000);
        assertThat(t.jobs()).hasSize(2_000);
        assertThat(t.badRows()).isZero();
        assertThat(t.duplicates()).isZero();
        assertThat(t.blankLines()).isZero();
        assertThat(t.problems()).isEmpty();
        assertThat(t.epoch()).isEqualTo("first job");
        assertThat(t.arrivalSpan() / 3600).isCloseTo(72.3, within(0.05));
        assertThat(t.gpuHours()).isCloseTo(32_159, within(1.0));
        assertThat(t.jobs()).extracting(TraceJob::group).containsOnly("default");
        assertThat(t.jobs().getFirst().name()).isEqualTo("0");
        assertThat(t.jobs().getLast().name()).isEqualTo("1999");
    }

    /** The README: the cut is the first 2,000 rows of philly.csv at or after 2017-10-01, by (timestamp, row). */
    @Test
    void tiresiasCutIsTakenFromThePhillyRowsDuplicatesIncluded() throws IOException {
        Trace cut = TraceFormats.read(SharedTraces.tiresias(), "tiresias");
        List<String[]> oct = Files.readAllLines(SharedTraces.philly()).stream().skip(1).filter(l -> !l.isBlank())
                .map(l -> l.split(",")).filter(r -> r[0].compareTo("2017-10-01 00:00:00") >= 0)
                .sorted(Comparator.comparing(r -> r[0])) // stable: ties stay in file order
                .limit(2_000).toList();
        LocalDateTime t0 = LocalDateTime.parse(oct.getFirst()[0], TIMESTAMP);
        for (int i = 0; i < 2_000; i++) {
            TraceJob j = cut.jobs().get(i);
            String[] r = oct.get(i);
            assertThat(j.submitTime()).isEqualTo(java.time.Duration.between(t0, LocalDateTime.parse(r[0], TIMESTAMP)).toSeconds());
            assertThat(j.duration()).isEqualTo(Double.parseDouble(r[1]));
            assertThat(j.gpus()).isEqualTo(Integer.parseInt(r[2]));
        }
        assertThat(oct.stream().map(r -> String.join(",", r)).distinct().count()).isEqualTo(1_998);
    }

    @Test
    void alibabaOpenb() {
        Trace t = TraceFormats.read(SharedTraces.alibaba(), "alibaba-openb");

        assertThat(t.rows()).isEqualTo(8_152);
        assertThat(t.skipped()).isEqualTo(Map.of("cpu-only", 1_088));
        assertThat(t.badRows()).isEqualTo(1);
        assertThat(t.problems()).containsExactly(SharedTraces.alibaba() + ":7287: run time deletion_time - creation_time"
                + " = 12774042 - 12774042 must be > 0");
        assertThat(t.jobs()).hasSize(7_063);
        assertThat(t.duplicates()).isZero();
        assertThat(t.blankLines()).isZero();
        assertThat(t.notes()).isEqualTo(Map.of("fractional-gpu", 3_077, "never-scheduled", 860));
        assertThat(t.epoch()).isEqualTo("first job");
        assertThat(t.jobs()).extracting(TraceJob::group).containsOnly("LS", "BE", "Burstable", "Guaranteed");
        assertThat(t.jobs().stream().filter(j -> j.gpus() > 1).count()).isEqualTo(75);
        assertThat(t.jobs().getFirst().name()).isEqualTo("openb-pod-0000");
    }

    @ParameterizedTest
    @CsvSource({"philly/philly.csv, philly", "philly/philly_oct2017_first2000.csv, tiresias",
            "alibaba-openb/openb_pod_list_default.csv, alibaba-openb"})
    void autoDetectsEachFormat(String file, String format) {
        Path p = SharedTraces.DIR.resolve(file);
        assertThat(TraceFormats.detect(p)).isEqualTo(format);
        assertThat(TraceFormats.read(p, "auto").format()).isEqualTo(format);
    }

    /** Every row of philly.csv becomes a job (how fast is for the benchmarks, not a test on a shared machine). */
    @Test
    void phillyReadsWhole() {
        Trace t = TraceFormats.read(SharedTraces.philly(), "philly");
        assertThat(t.jobs()).hasSize(82_182);
    }
}
