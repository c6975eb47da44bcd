package gpufleet.sim.report;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

class ReportWriterTest {

    @TempDir
    Path tmp;

    @Test
    void writesBothFilesIntoANewDirectory() throws IOException {
        Path out = tmp.resolve("a/b/run");
        ReportWriter.write(ReportFixtures.sample(), out);
        assertThat(out.resolve("report.json")).isRegularFile();
        assertThat(out.resolve("report.html")).isRegularFile();
    }

    @Test
    void sameReportGivesByteIdenticalJson() throws IOException {
        ReportWriter.write(ReportFixtures.sample(), tmp.resolve("one"));
        ReportWriter.write(ReportFixtures.sample(), tmp.resolve("two"));
        byte[] one = Files.readAllBytes(tmp.resolve("one/report.json"));
        byte[] two = Files.readAllBytes(tmp.resolve("two/report.json"));
        assertThat(one).isEqualTo(two);
        String text = Files.readString(tmp.resolve("one/report.json"));
        assertThat(text).doesNotContain("\r").endsWith("}\n").startsWith("{\n  \"scenario\": {");
    }

    @Test
    void topLevelFieldsHaveStableNamesInRecordOrder() {
        JsonNode tree = ReportWriter.mapper().readTree(ReportWriter.toJson(ReportFixtures.sample()));
        assertThat(tree.propertyNames()).containsExactly("scenario", "headline", "allocation",
                "interruptionsByCause", "queueWait", "completionTime", "queueWaitHistogram", "teams", "largeJobs",
                "largestJobTimeline", "rejectedJobs");
        assertThat(tree.get("headline").propertyNames()).startsWith("jobsSubmitted", "jobsCompleted")
                .endsWith("hardwareFailures", "largestJobEttr");
        assertThat(tree.get("scenario").get("fleet").asString()).isEqualTo("h100-2k");
    }

    @Test
    void mapEntriesAreSortedByKey() {
        JsonNode tree = ReportWriter.mapper().readTree(ReportWriter.toJson(ReportFixtures.sample()));
        List<String> causes = new ArrayList<>(tree.get("interruptionsByCause").propertyNames());
        assertThat(causes).isSorted().hasSize(6);
        List<String> jobCauses = new ArrayList<>(tree.get("largeJobs").get(0).get("interruptionsByCause").propertyNames());
        assertThat(jobCauses).containsExactly("gpu-xid-79", "nccl-timeout", "nvlink-error");
    }

    @Test
    void finiteReportReadsBackEqual() {
        SimReport sample = ReportFixtures.sample();
        SimReport finite = new SimReport(sample.scenario(), sample.headline(), sample.allocation(),
                sample.interruptionsByCause(), sample.queueWait(), sample.completionTime(),
                sample.queueWaitHistogram(), sample.teams(), sample.largeJobs().subList(1, 4),
                sample.largestJobTimeline(), sample.rejectedJobs());
        SimReport back = ReportWriter.mapper().readValue(ReportWriter.toJson(finite), SimReport.class);
        assertThat(back).isEqualTo(finite);
    }

    @Test
    void nanAndInfinityBecomeNull() {
        SimReport s = ReportFixtures.sample();
        SimReport odd = new SimReport(s.scenario(), ReportFixtures.empty().headline(), s.allocation(),
                s.interruptionsByCause(),
                new SimReport.Distribution(3, Double.POSITIVE_INFINITY, 1, 2, 3, Double.NEGATIVE_INFINITY),
                s.completionTime(),
                new SimReport.Histogram(List.of(0.0, 60.0, Double.POSITIVE_INFINITY), List.of(1L, 2L, 0L)),
                s.teams(), s.largeJobs(), s.largestJobTimeline(), s.rejectedJobs());
        String json = ReportWriter.toJson(odd);
        assertThat(json).doesNotContain("NaN").doesNotContain("Infinity");
        JsonNode tree = ReportWriter.mapper().readTree(json);
        assertThat(tree.at("/headline/goodput").isNull()).isTrue();
        assertThat(tree.at("/headline/largestJobEttr").isNull()).isTrue();
        assertThat(tree.at("/queueWait/mean").isNull()).isTrue();
        assertThat(tree.at("/queueWait/max").isNull()).isTrue();
        assertThat(tree.at("/queueWait/p50").asDouble()).isEqualTo(1.0);
        assertThat(tree.at("/queueWaitHistogram/edgesSec/2").isNull()).isTrue();
        assertThat(tree.at("/largeJobs/0/endTime").isNull()).isTrue();
    }

    @Test
    void emptyReportWrites() throws IOException {
        ReportWriter.write(ReportFixtures.empty(), tmp);
        JsonNode tree = ReportWriter.mapper().readTree(Files.readString(tmp.resolve("report.json")));
        assertThat(tree.get("largeJobs").isArray()).isTrue();
        assertThat(tree.get("largeJobs").size()).isZero();
        assertThat(tree.get("interruptionsByCause").size()).isZero();
        assertThat(Map.of()).isEmpty();
    }

    /** Leaves the sample where a person can open it: sim/target/report-sample/report.html. */
    @Test
    void writesSampleForHumans() throws IOException {
        Path out = Path.of("target", "report-sample");
        ReportWriter.write(ReportFixtures.sample(), out);
        Files.writeString(out.resolve("empty.html"), HtmlReport.render(ReportFixtures.empty()));
        assertThat(out.resolve("report.html")).isNotEmptyFile();
    }
}
