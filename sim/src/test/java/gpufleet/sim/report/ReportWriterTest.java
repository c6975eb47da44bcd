package gpufleet.sim.report;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

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
                "largestJobTimeline", "rejectedJobs", "jobClasses");
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
        assertThat(tree.get("teams").size()).isZero();
        assertThat(tree.get("allocation").size()).isZero();
        assertThat(tree.at("/headline/jobsSubmitted").longValue()).isZero();
        assertThat(tree.at("/headline/availableGpuHours").doubleValue()).isZero();
        // 0/0 ratios are unknown, not zero
        assertThat(tree.at("/headline/goodput").isNull()).isTrue();
        assertThat(tree.at("/headline/largestJobEttr").isNull()).isTrue();
        assertThat(tree.at("/queueWait/count").longValue()).isZero();
        assertThat(tree.at("/queueWait/p50").isNull()).isTrue();
    }

    @Test
    void twoJobDayCarriesItsHandWorkedFigures() {
        JsonNode t = ReportWriter.mapper().readTree(ReportWriter.toJson(ReportFixtures.twoJobs()));
        JsonNode h = t.get("headline");
        assertThat(h.get("jobsSubmitted").longValue()).isEqualTo(2);
        assertThat(h.get("jobsCompleted").longValue()).isEqualTo(2);
        assertThat(h.get("availableGpuHours").doubleValue()).isEqualTo(192.0);
        assertThat(h.get("allocatedGpuHours").doubleValue()).isEqualTo(72.0);
        assertThat(h.get("productiveGpuHours").doubleValue()).isEqualTo(68.0);
        assertThat(h.get("lostGpuHours").doubleValue()).isEqualTo(4.0);
        assertThat(h.get("meanAllocation").doubleValue()).isEqualTo(0.375);
        assertThat(h.get("goodput").doubleValue()).isEqualTo(68.0 / 192);
        assertThat(h.get("costUsd").doubleValue()).isEqualTo(144.0);
        assertThat(h.get("energyMWh").doubleValue()).isEqualTo(0.0504);
        assertThat(h.get("interruptions").longValue()).isEqualTo(1);
        assertThat(t.at("/scenario/gpus").longValue()).isEqualTo(8);
        assertThat(t.at("/scenario/gpuHourUsd").doubleValue()).isEqualTo(2.0);
        assertThat(t.at("/queueWait/max").doubleValue()).isEqualTo(21_600.0);
        assertThat(t.at("/interruptionsByCause/gpu-xid-79").intValue()).isEqualTo(1);
        assertThat(t.at("/teams/0/team").stringValue()).isEqualTo("a");
        assertThat(t.at("/teams/0/gpuHours").doubleValue()).isEqualTo(48.0);
        assertThat(t.at("/teams/1/team").stringValue()).isEqualTo("b");
        assertThat(t.at("/teams/1/productiveGpuHours").doubleValue()).isEqualTo(20.0);
        assertThat(t.at("/teams/1/costUsd").doubleValue()).isEqualTo(48.0);
        assertThat(t.at("/teams/1/meanQueueWait").doubleValue()).isEqualTo(21_600.0);
        assertThat(t.at("/largeJobs/0/name").stringValue()).isEqualTo("alpha");
        assertThat(t.at("/largeJobs/0/wallTime").doubleValue()).isEqualTo(21_600.0);
    }

    /**
     * Leaves the sample where a person can open it (sim/target/report-sample/report.html), and checks
     * that what was written is the report: the JSON reads back to its figures, the HTML is its rendering.
     */
    @Test
    void writesSampleForHumans() throws IOException {
        Path out = Path.of("target", "report-sample");
        ReportWriter.write(ReportFixtures.sample(), out);
        Files.writeString(out.resolve("empty.html"), HtmlReport.render(ReportFixtures.empty()));
        JsonNode tree = ReportWriter.mapper().readTree(Files.readString(out.resolve("report.json")));
        assertThat(tree.at("/headline/jobsSubmitted").longValue()).isEqualTo(412);
        assertThat(tree.at("/headline/goodput").doubleValue()).isEqualTo(0.812);
        assertThat(tree.at("/headline/costUsd").doubleValue()).isEqualTo(3_218_225.0);
        assertThat(tree.at("/largeJobs/0/name").stringValue()).isEqualTo("pretrain-70b");
        assertThat(Files.readString(out.resolve("report.html"))).isEqualTo(HtmlReport.render(ReportFixtures.sample()))
                .contains("pretrain-70b", "81.2%", "$3.2M");
    }
}
