package gpufleet.sim.preset;

import gpufleet.core.failure.FailureCause;
import gpufleet.core.failure.FailureModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class FailureFilesTest {
    static final List<String> PRESETS = FailureFiles.PRESETS;

    static final String GOOD = """
            name: test-failures
            description: two causes
            exposure: {days: 10, gpus: 800, hosts: 100}
            causes:
              - name: gpu
                scope: gpu
                count: 40
                repair: 72h
                gpuTypes: {A100-SXM-80GB: 0.5}
                source: a paper
              - name: host
                scope: host
                rate: 0.002
                repair: 1d
              - name: maintenance
                scope: host
                count: 5
                repair: 2h
                planned: true
            lemons: {share: 0.02, factor: 10, source: a guess}
            jobStart: {perHost: 0.001, within: 10m}
            """;

    static FailureModel parse(String text) {
        return FailureFiles.parse(text, "bad.yaml");
    }

    static double unplannedPer1000NodeDays(FailureModel m) {
        return FailurePresetInfo.of("x", m).per1000NodeDays();
    }

    @ParameterizedTest
    @FieldSource("PRESETS")
    void everyPresetLoadsAndItsTextParsesBack(String name) {
        FailureModel m = FailureFiles.load(name);
        assertThat(m.causes()).isNotEmpty();
        assertThat(m.causes()).allSatisfy(c -> assertThat(c.source()).isNotBlank());
        assertThat(FailureFiles.parse(FailureFiles.presetText(name), name + ".yaml")).isEqualTo(m);
    }

    @Test
    void llama3IsExactlyTheModelTheTwinAlwaysUsed() {
        FailureModel file = FailureFiles.load("llama3");
        FailureModel code = FailureModel.LLAMA3;
        assertThat(file.name()).isEqualTo(code.name());
        assertThat(file.uniform()).isTrue();
        assertThat(file.causes()).hasSameSizeAs(code.causes());
        for (int i = 0; i < code.causes().size(); i++) {
            FailureCause a = file.causes().get(i), b = code.causes().get(i);
            assertThat(a.name()).isEqualTo(b.name());
            assertThat(a.scope()).isEqualTo(b.scope());
            // bit for bit, so that the default scenario's results stay as they were
            assertThat(Double.doubleToLongBits(a.ratePerDay())).as(a.name()).isEqualTo(Double.doubleToLongBits(b.ratePerDay()));
            assertThat(a.repairHours()).isEqualTo(b.repairHours());
            assertThat(a.planned()).isEqualTo(b.planned());
            assertThat(a.source()).isEqualTo(b.source());
        }
    }

    @Test
    void llama3ReproducesTheInterruptionCountsOfTable5() {
        // 466 interruptions in 54 days on 16,384 GPUs and 2,048 hosts, 419 of them unexpected
        FailureModel m = FailureFiles.load("llama3");
        assertThat(m.jobRatePerDay(16_384, 2_048) * 54).isCloseTo(466, within(1e-9));
        assertThat(86_400 / m.jobMtbfSeconds(16_384, 2_048) * 54).isCloseTo(419, within(1e-9));
    }

    @Test
    void rscPresetsCarryTheMeasuredRatesPer1000NodeDays() {
        // Kokolis et al. (arXiv:2410.21680): r_f = 6.50 (RSC-1) and 2.34 (RSC-2) per 1,000 node-days
        assertThat(unplannedPer1000NodeDays(FailureFiles.load("rsc-1"))).isCloseTo(6.50, within(1e-9));
        assertThat(unplannedPer1000NodeDays(FailureFiles.load("rsc-2"))).isCloseTo(2.34, within(1e-9));
    }

    @Test
    void rsc1GivesThePapersProjectedJobMtbf() {
        // the paper projects 1.8 h at 16,384 GPUs and 0.23 h at 131,072 GPUs from RSC-1's rate
        FailureModel m = FailureFiles.load("rsc-1");
        assertThat(m.jobMtbfSeconds(16_384, 2_048) / 3600).isCloseTo(1.8, within(0.01));
        assertThat(m.jobMtbfSeconds(131_072, 16_384) / 3600).isCloseTo(0.23, within(0.01));
    }

    @Test
    void rscLemonsAreTheMeasuredShareAndCarryTheLargeJobFailuresTheyRemoved() {
        var h = FailureFiles.load("rsc-1").heterogeneity();
        assertThat(h.lemonShare()).isEqualTo(0.012);
        // lemon detection took large-job failures from 14% to 4%: lemons carried 1 - 4/14 of them
        double[] f = h.hostFactors();
        double lemonsPart = h.lemonShare() * f[0];
        assertThat(lemonsPart).isCloseTo(1 - 4.0 / 14, within(0.002));
        // and the fleet average stays the measured rate
        assertThat(h.lemonShare() * f[0] + (1 - h.lemonShare()) * f[1]).isCloseTo(1, within(1e-12));
    }

    @Test
    void rscMemoryFailuresAreMoreFrequentOnH100() {
        FailureModel m = FailureFiles.load("rsc-1");
        FailureCause mem = m.causes().stream().filter(c -> c.name().equals("gpu-memory")).findFirst().orElseThrow();
        assertThat(mem.ratePerDay("H100-SXM")).isCloseTo(3.2 * mem.ratePerDay(), within(1e-15));
        assertThat(mem.ratePerDay("A100-SXM-80GB")).isEqualTo(mem.ratePerDay());
        assertThat(m.uniform()).isFalse();
    }

    @Test
    void aFileWithEveryField() {
        FailureModel m = parse(GOOD);
        assertThat(m.name()).isEqualTo("test-failures");
        assertThat(m.causes().get(0).ratePerDay()).isCloseTo(40 / 8000.0, within(1e-15));
        assertThat(m.causes().get(0).factor("A100-SXM-80GB")).isEqualTo(0.5);
        assertThat(m.causes().get(0).factor("H100-SXM")).isEqualTo(1);
        assertThat(m.causes().get(1).ratePerDay()).isEqualTo(0.002);
        assertThat(m.causes().get(1).repairHours()).isEqualTo(24);
        assertThat(m.causes().get(2).ratePerDay()).isCloseTo(5 / 1000.0, within(1e-15));
        assertThat(m.causes().get(2).planned()).isTrue();
        assertThat(m.heterogeneity().lemonShare()).isEqualTo(0.02);
        assertThat(m.heterogeneity().startFailurePerHost()).isEqualTo(0.001);
        assertThat(m.heterogeneity().startWindowSec()).isEqualTo(600);
        // 100 hosts: 1 - 0.999^100
        assertThat(m.heterogeneity().startFailure(100)).isCloseTo(0.0952, within(1e-4));
    }

    @Test
    void sharesDivideATotal() {
        FailureModel m = parse("""
                total: {perHostDay: 0.008, gpusPerHost: 8}
                causes:
                  - {name: link, scope: host, share: 0.5, repair: 4h}
                  - {name: gpu, scope: gpu, share: 0.5, repair: 3d}
                """);
        assertThat(m.name()).isEqualTo("bad");
        assertThat(m.causes().get(0).ratePerDay()).isCloseTo(0.004, within(1e-15));
        assertThat(m.causes().get(1).ratePerDay()).isCloseTo(0.0005, within(1e-15));
        assertThat(unplannedPer1000NodeDays(m)).isCloseTo(8, within(1e-9));
    }

    @Test
    void jsonFileLoadsFromAPath(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("mine.json");
        Files.writeString(f, """
                {"causes": [{"name": "gpu", "scope": "gpu", "rate": 0.0001, "repair": "3d"}]}
                """);
        FailureModel m = FailureFiles.load(f.toString());
        assertThat(m.name()).isEqualTo("mine");
        assertThat(m.causes().getFirst().repairHours()).isEqualTo(72);
    }

    @Test
    void presetsListsEveryPreset() {
        assertThat(FailureFiles.presets()).extracting(FailurePresetInfo::name).containsExactlyElementsOf(PRESETS);
    }

    // --- errors: each names the file and the field ---

    @Test
    void unknownField() {
        assertThatThrownBy(() -> parse(GOOD.replace("repair: 72h", "repiar: 72h")))
                .isInstanceOf(PresetFileException.class)
                .hasMessageStartingWith("bad.yaml: causes[0].repiar: unknown field 'repiar' (did you mean 'repair'?); allowed: name, scope,");
        assertThatThrownBy(() -> parse(GOOD.replace("lemons: {share", "lemons: {shares")))
                .hasMessageStartingWith("bad.yaml: lemons.shares: unknown field 'shares' (did you mean 'share'?)");
        assertThatThrownBy(() -> parse(GOOD.replace("causes:", "cause:")))
                .hasMessageStartingWith("bad.yaml: cause: unknown field 'cause' (did you mean 'causes'?)");
    }

    @Test
    void aCauseNeedsExactlyOneRate() {
        assertThatThrownBy(() -> parse(GOOD.replace("    rate: 0.002\n", "")))
                .hasMessage("bad.yaml: causes[1]: missing the cause's rate: give one of 'rate' (per host-day), 'count' "
                        + "(events over the file's exposure) or 'share' (of total.perHostDay)");
        assertThatThrownBy(() -> parse(GOOD.replace("    rate: 0.002\n", "    rate: 0.002\n    count: 3\n")))
                .hasMessage("bad.yaml: causes[1]: give only one of 'rate', 'count' and 'share'");
    }

    @Test
    void countsNeedAnExposureAndSharesATotal() {
        assertThatThrownBy(() -> parse(GOOD.replace("exposure: {days: 10, gpus: 800, hosts: 100}\n", "")))
                .hasMessage("bad.yaml: causes[0].count: a count needs 'exposure' at the top of the file (days and gpus it "
                        + "was counted over)");
        assertThatThrownBy(() -> parse(GOOD.replace("exposure: {days: 10, gpus: 800, hosts: 100}", "exposure: {days: 10, gpus: 800}")))
                .hasMessage("bad.yaml: exposure: missing required field 'hosts'");
        assertThatThrownBy(() -> parse(GOOD.replace("rate: 0.002", "share: 1")))
                .hasMessage("bad.yaml: causes[1].share: a share needs 'total' at the top of the file (perHostDay, and "
                        + "gpusPerHost for gpu- and job-scope causes)");
    }

    @Test
    void sharesMustAddUpToOne() {
        assertThatThrownBy(() -> parse("""
                total: {perHostDay: 0.008}
                causes:
                  - {name: a, scope: host, share: 0.5, repair: 4h}
                  - {name: b, scope: host, share: 0.4, repair: 4h}
                """))
                .hasMessage("bad.yaml: causes[1].share: the causes' shares of total.perHostDay add up to 0.9000; they must add up to 1");
    }

    @Test
    void badValuesSayWhatIsAccepted() {
        assertThatThrownBy(() -> parse(GOOD.replace("scope: gpu", "scope: rack")))
                .hasMessage("bad.yaml: causes[0].scope: unknown scope 'rack'; use gpu (one GPU fails), host (the whole host "
                        + "goes down) or job (the job fails, the hardware stays healthy)");
        assertThatThrownBy(() -> parse(GOOD.replace("rate: 0.002", "rate: 2")))
                .hasMessage("bad.yaml: causes[1].rate: must be at most 1, got 2");
        assertThatThrownBy(() -> parse(GOOD.replace("count: 40", "count: 40000")))
                .hasMessage("bad.yaml: causes[0]: the rate comes to 5 per GPU-day; it must be at most 1");
        assertThatThrownBy(() -> parse(GOOD.replace("repair: 72h", "repair: 72 hours")))
                .hasMessageStartingWith("bad.yaml: causes[0].repair: unknown time unit 'hours'");
        assertThatThrownBy(() -> parse(GOOD.replace("planned: true", "planned: sometimes")))
                .hasMessage("bad.yaml: causes[2].planned: expected true or false, got 'sometimes'");
        assertThatThrownBy(() -> parse(GOOD.replace("{A100-SXM-80GB: 0.5}", "{TPUv5: 0.5}")))
                .hasMessageStartingWith("bad.yaml: causes[0].gpuTypes.TPUv5: unknown GPU type 'TPUv5'; known: H100-SXM,");
        assertThatThrownBy(() -> parse(GOOD.replace("{A100-SXM-80GB: 0.5}", "{A100-SXM-80GB: -1}")))
                .hasMessage("bad.yaml: causes[0].gpuTypes.A100-SXM-80GB: must be at least 0, got -1");
    }

    @Test
    void repairTimesBelongToHardware() {
        assertThatThrownBy(() -> parse(GOOD.replace("    repair: 1d\n", "")))
                .hasMessage("bad.yaml: causes[1]: missing required field 'repair' (how long the failed host is out, e.g. 72h)");
        assertThatThrownBy(() -> parse(GOOD.replace("scope: host\n    rate: 0.002", "scope: job\n    rate: 0.002")))
                .hasMessage("bad.yaml: causes[1].repair: a job-scope cause breaks no hardware, so it has no repair time");
    }

    @Test
    void duplicateCauseNames() {
        assertThatThrownBy(() -> parse(GOOD.replace("name: maintenance", "name: gpu")))
                .hasMessage("bad.yaml: causes[2].name: cause name 'gpu' is already used by causes[0]");
    }

    @Test
    void heterogeneityRanges() {
        assertThatThrownBy(() -> parse(GOOD.replace("share: 0.02", "share: 0.7")))
                .hasMessage("bad.yaml: lemons.share: must be at most 0.5, got 0.7");
        assertThatThrownBy(() -> parse(GOOD.replace("factor: 10", "factor: 0.5")))
                .hasMessage("bad.yaml: lemons.factor: must be at least 1, got 0.5");
        assertThatThrownBy(() -> parse(GOOD.replace("lemons: {share: 0.02, factor: 10, source: a guess}", "lemons: {share: 0.02}")))
                .hasMessage("bad.yaml: lemons: missing required field 'factor'");
        assertThatThrownBy(() -> parse(GOOD.replace("within: 10m", "within: 0")))
                .hasMessage("bad.yaml: jobStart.within: must be greater than 0, got 0");
    }

    @Test
    void malformedYamlAndEmptyFile() {
        assertThatThrownBy(() -> parse("causes: [ {name: a\n"))
                .isInstanceOf(PresetFileException.class)
                .hasMessageStartingWith("bad.yaml:1:")
                .hasMessageContaining("invalid YAML");
        assertThatThrownBy(() -> parse("")).hasMessage("bad.yaml: the file is empty");
        assertThatThrownBy(() -> parse("name: x\n")).hasMessage("bad.yaml: missing required field 'causes'");
    }

    @Test
    void unknownPresetAndMissingFile() {
        assertThatThrownBy(() -> FailureFiles.load("rsc-3"))
                .hasMessage("unknown failure model preset 'rsc-3'; known: llama3, rsc-1, rsc-2 (or give a path to a .yaml, "
                        + ".yml or .json file)");
        assertThatThrownBy(() -> FailureFiles.load("/nonexistent/f.yaml")).hasMessage("/nonexistent/f.yaml: no such file");
    }
}
