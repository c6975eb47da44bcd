package gpufleet.sim.preset;

import gpufleet.core.job.JobSpec;
import gpufleet.core.job.Priority;
import gpufleet.core.job.Work;
import gpufleet.core.topology.GpuCatalog;
import gpufleet.sim.workload.StreamSpec;
import gpufleet.sim.workload.WorkloadSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class WorkloadFilesTest {
    static final List<String> PRESETS = WorkloadFiles.PRESETS;

    static final String GOOD = """
            name: test-work
            days: 7
            quotas: {vision: 64}
            jobs:
              - name: big
                team: llm
                gpus: 64
                tp: 8
                pp: 2
                duration: 6h
                checkpoint: {interval: 30m, write: 20s, restore: 40s}
                restartOverhead: 2m
                priority: high
                submit: 1h
            streams:
              - name: s
                load: 0.5
                teams: {vision: 1, speech: 2}
                sizes:
                  - {gpus: 8, tp: 8, weight: 1, median: 2h, sigma: 1}
            """;

    static WorkloadSpec parse(String text) {
        return WorkloadFiles.parse(text, "bad.yaml");
    }

    /** Mean GPU-hours per job of a stream: per class gpus x median x exp(sigma^2 / 2), weighted. */
    static double meanGpuHoursPerJob(StreamSpec s) {
        double w = 0, sum = 0;
        for (StreamSpec.SizeClass c : s.sizes()) {
            w += c.weight();
            sum += c.weight() * c.gpus() * c.medianHours() * Math.exp(c.sigma() * c.sigma() / 2);
        }
        return sum / w;
    }

    @ParameterizedTest
    @FieldSource("PRESETS")
    void everyPresetLoadsUnderItsOwnName(String name) {
        WorkloadSpec w = WorkloadFiles.load(name);
        assertThat(w.name()).isEqualTo(name);
        assertThat(w.description()).isNotBlank();
    }

    @ParameterizedTest
    @FieldSource("PRESETS")
    void presetTextParsesBackToTheSameWorkload(String name) {
        assertThat(WorkloadFiles.parse(WorkloadFiles.presetText(name), name + ".yaml")).isEqualTo(WorkloadFiles.load(name));
    }

    @Test
    void llama3405bIsTheJobOfThePaper() {
        WorkloadSpec w = WorkloadFiles.load("llama3-405b");
        assertThat(w.defaultDays()).isEqualTo(54);
        assertThat(w.streams()).isEmpty();
        JobSpec j = w.jobs().getFirst();
        assertThat(j.gpus()).isEqualTo(16_384);
        assertThat(j.parallelism().tp()).isEqualTo(8);
        assertThat(j.parallelism().pp()).isEqualTo(16);
        assertThat(j.parallelism().cp()).isEqualTo(1);
        assertThat(j.parallelism().dp()).isEqualTo(128);
        assertThat(j.work()).isEqualTo(new Work.Training(405e9, 15.6e12, 0.41));
        assertThat(j.checkpoint().automatic()).isTrue();
        assertThat(j.priority()).isEqualTo(Priority.HIGH);
        assertThat(j.submitTime()).isZero();
        assertThat(j.gpuType()).isEqualTo("H100-SXM");
        assertThat(j.maxRestarts()).isGreaterThanOrEqualTo(1000);
        // the file's comment: 66 days of uninterrupted training at 41% MFU
        double days = j.work().seconds(GpuCatalog.get("H100-SXM"), j.gpus()) / 86_400;
        assertThat(days).isCloseTo(66, within(0.5));
    }

    @Test
    void researchMixSpansOneToFourThousandGpusForManyTeams() {
        WorkloadSpec w = WorkloadFiles.load("research-mix");
        assertThat(w.defaultDays()).isEqualTo(30);
        assertThat(w.jobs()).isEmpty();
        StreamSpec s = w.streams().getFirst();
        assertThat(s.load()).isEqualTo(0.85);
        assertThat(s.teams()).hasSizeGreaterThanOrEqualTo(5);
        assertThat(s.sizes()).extracting(StreamSpec.SizeClass::gpus)
                .containsExactly(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096);
        assertThat(s.checkpointIntervalSec()).isZero();
    }

    /** The file says 646 GPU-hours per job, so a year of 100,000 GPUs at its load is 1.15 million jobs. */
    @Test
    void researchMixKeepsAYearOfA100kFleetUnderOneAndAHalfMillionJobs() {
        StreamSpec s = WorkloadFiles.load("research-mix").streams().getFirst();
        double mean = meanGpuHoursPerJob(s);
        assertThat(mean).isCloseTo(646, within(3.0));
        double jobsPerYear = s.load() * 100_000 * 8_760 / mean;
        assertThat(jobsPerYear).isLessThanOrEqualTo(1_500_000).isCloseTo(1.15e6, within(0.01e6));
    }

    @Test
    void researchMixSmallClassesFollowThePhillyTrace() {
        StreamSpec s = WorkloadFiles.load("research-mix").streams().getFirst();
        Map<Integer, StreamSpec.SizeClass> byGpus = new java.util.HashMap<>();
        for (var c : s.sizes()) byGpus.put(c.gpus(), c);
        double small = s.sizes().stream().filter(c -> c.gpus() <= 128).mapToDouble(StreamSpec.SizeClass::weight).sum();
        double all = s.sizes().stream().mapToDouble(StreamSpec.SizeClass::weight).sum();
        // trace shares (docs/scripts/philly_size_classes.py): 1 GPU 93.17%, 8 GPUs 2.00%
        assertThat(byGpus.get(1).weight() / small).isCloseTo(0.9317, within(0.001));
        assertThat(byGpus.get(8).weight() / small).isCloseTo(0.0200, within(0.0005));
        assertThat(small / all).isCloseTo(0.983, within(0.001));
        assertThat(byGpus.get(1).medianHours()).isEqualTo(0.311);
        assertThat(byGpus.get(2).medianHours() * 3600).isEqualTo(21);
    }

    @Test
    void defaultIsTheLlamaJobPlusTheResearchStream() {
        WorkloadSpec d = WorkloadFiles.load("default");
        assertThat(d.defaultDays()).isEqualTo(54);
        assertThat(d.jobs()).isEqualTo(WorkloadFiles.load("llama3-405b").jobs());
        assertThat(d.streams()).isEqualTo(WorkloadFiles.load("research-mix").streams());
        assertThat(d.jobs().getFirst().submitTime()).isZero();
    }

    @Test
    void presetsListsEveryPreset() {
        assertThat(WorkloadFiles.presets()).extracting(WorkloadPresetInfo::name).containsExactlyElementsOf(PRESETS);
        WorkloadPresetInfo d = WorkloadFiles.presets().getLast();
        assertThat(d.jobs()).isEqualTo(1);
        assertThat(d.streams()).isEqualTo(1);
        assertThat(d.jobGpus()).isEqualTo(16_384);
    }

    @Test
    void aSmallFileWithEveryField() {
        WorkloadSpec w = parse(GOOD);
        assertThat(w.quotas()).containsEntry("vision", 64);
        JobSpec j = w.jobs().getFirst();
        assertThat(j.parallelism().dp()).isEqualTo(4);
        assertThat(j.work()).isEqualTo(new Work.Fixed(6 * 3600));
        assertThat(j.checkpoint().intervalSec()).isEqualTo(1800);
        assertThat(j.checkpoint().writeSec()).isEqualTo(20);
        assertThat(j.restartSec()).isEqualTo(120);
        assertThat(j.submitTime()).isEqualTo(3600);
        assertThat(j.maxRestarts()).isEqualTo(WorkloadFiles.DEFAULT_MAX_RESTARTS);
        StreamSpec s = w.streams().getFirst();
        assertThat(s.teams()).containsExactly(new StreamSpec.Weighted("vision", 1), new StreamSpec.Weighted("speech", 2));
        assertThat(s.sizes().getFirst().medianHours()).isEqualTo(2);
        assertThat(s.sizes().getFirst().priority()).isEqualTo("normal");
    }

    @Test
    void optionalJobFieldsTakeTheirDocumentedDefaults() {
        WorkloadSpec w = parse("days: 1\njobs:\n  - gpus: 4\n    duration: 90\n");
        JobSpec j = w.jobs().getFirst();
        assertThat(w.name()).isEqualTo("bad");
        assertThat(j.name()).isEqualTo("job-0");
        assertThat(j.team()).isEqualTo("default");
        assertThat(j.parallelism().dp()).isEqualTo(4);
        assertThat(j.priority()).isEqualTo(Priority.NORMAL);
        assertThat(j.checkpoint().intervalSec()).isInfinite();
        assertThat(j.gpuType()).isNull();
        assertThat(j.work()).isEqualTo(new Work.Fixed(90));
    }

    @Test
    void daysMayCarryAUnitAndPriorityMayBeANumber() {
        WorkloadSpec w = parse(GOOD.replace("days: 7", "days: 2w").replace("priority: high", "priority: 7"));
        assertThat(w.defaultDays()).isEqualTo(14);
        assertThat(w.jobs().getFirst().priority()).isEqualTo(7);
    }

    @Test
    void jsonWorkloadFileLoadsFromAPath(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("w.json");
        Files.writeString(file, """
                {"days": 3, "jobs": [{"gpus": 16, "tp": 8, "model": {"params": "7B", "tokens": 2e12, "mfu": 0.4}}]}
                """);
        WorkloadSpec w = WorkloadFiles.load(file.toString());
        assertThat(w.name()).isEqualTo("w");
        assertThat(w.jobs().getFirst().work()).isEqualTo(new Work.Training(7e9, 2e12, 0.4));
    }

    // --- errors ---

    @Test
    void tpThatDoesNotDivideGpus() {
        assertThatThrownBy(() -> parse(GOOD.replace("gpus: 64", "gpus: 60")))
                .isInstanceOf(PresetFileException.class)
                .hasMessage("bad.yaml: jobs[0].gpus: gpus (60) must be a multiple of tp x pp x cp (8 x 2 x 1 = 16)");
    }

    @Test
    void dpThatContradictsTheOthers() {
        assertThatThrownBy(() -> parse(GOOD.replace("    pp: 2\n", "    pp: 2\n    dp: 8\n")))
                .hasMessage("bad.yaml: jobs[0].dp: dp is derived as gpus / (tp x pp x cp) = 4, but the file says 8");
    }

    @Test
    void unknownJobField() {
        assertThatThrownBy(() -> parse(GOOD.replace("restartOverhead:", "restartOverheads:")))
                .hasMessageStartingWith("bad.yaml: jobs[0].restartOverheads: unknown field 'restartOverheads' (did you mean 'restartOverhead'?); allowed: name, team, gpus,");
    }

    @Test
    void missingGpus() {
        assertThatThrownBy(() -> parse(GOOD.replace("    gpus: 64\n", "")))
                .hasMessage("bad.yaml: jobs[0]: missing required field 'gpus'");
        assertThatThrownBy(() -> parse(GOOD.replace("    duration: 6h\n", "")))
                .hasMessage("bad.yaml: jobs[0]: missing required field 'duration' or 'model' (how long the job trains)");
        assertThatThrownBy(() -> parse(GOOD.replace("days: 7\n", "")))
                .hasMessage("bad.yaml: missing required field 'days'");
    }

    @Test
    void durationAndModelTogether() {
        assertThatThrownBy(() -> parse(GOOD.replace("    duration: 6h\n", "    duration: 6h\n    model: {params: 1B, tokens: 1T, mfu: 0.4}\n")))
                .hasMessage("bad.yaml: jobs[0]: give either 'duration' or 'model', not both");
    }

    @Test
    void badDurationAndCountSayWhatIsAccepted() {
        assertThatThrownBy(() -> parse(GOOD.replace("duration: 6h", "duration: 6 hours")))
                .hasMessageStartingWith("bad.yaml: jobs[0].duration: unknown time unit 'hours'");
        assertThatThrownBy(() -> parse(GOOD.replace("duration: 6h", "model: {params: 405X, tokens: 1T, mfu: 0.4}")))
                .hasMessageStartingWith("bad.yaml: jobs[0].model.params: unknown suffix 'X'");
        assertThatThrownBy(() -> parse(GOOD.replace("duration: 6h", "duration: -6h")))
                .hasMessage("bad.yaml: jobs[0].duration: a duration cannot be negative, got '-6h'");
    }

    @Test
    void outOfRangeModelFigures() {
        assertThatThrownBy(() -> parse(GOOD.replace("duration: 6h", "model: {params: 405B, tokens: 15.6T, mfu: 1.4}")))
                .hasMessage("bad.yaml: jobs[0].model.mfu: must be at most 1, got 1.4");
    }

    @Test
    void unknownPriorityAndGpuType() {
        assertThatThrownBy(() -> parse(GOOD.replace("priority: high", "priority: urgent")))
                .hasMessageStartingWith("bad.yaml: jobs[0].priority: unknown priority 'urgent'");
        assertThatThrownBy(() -> parse(GOOD.replace("    submit: 1h\n", "    submit: 1h\n    gpuType: TPUv5\n")))
                .hasMessageStartingWith("bad.yaml: jobs[0].gpuType: unknown GPU type 'TPUv5'; known: H100-SXM,");
    }

    @Test
    void streamErrorsNameTheSizeClass() {
        assertThatThrownBy(() -> parse(GOOD.replace("{gpus: 8, tp: 8,", "{gpus: 12, tp: 8,")))
                .hasMessage("bad.yaml: streams[0].sizes[0].tp: tp (8) must divide gpus (12)");
        assertThatThrownBy(() -> parse(GOOD.replace("sigma: 1}", "sigma: 9}")))
                .hasMessage("bad.yaml: streams[0].sizes[0].sigma: must be at most 5, got 9");
        assertThatThrownBy(() -> parse(GOOD.replace("load: 0.5", "load: 0")))
                .hasMessage("bad.yaml: streams[0].load: must be greater than 0, got 0");
    }

    @Test
    void malformedYaml() {
        assertThatThrownBy(() -> parse("days: 1\njobs: [ {gpus: 1\n"))
                .isInstanceOf(PresetFileException.class)
                .hasMessageStartingWith("bad.yaml:2:")
                .hasMessageContaining("invalid YAML");
    }

    @Test
    void unknownPresetListsTheKnownOnes() {
        assertThatThrownBy(() -> WorkloadFiles.load("llama4"))
                .hasMessage("unknown workload preset 'llama4'; known: llama3-405b, llama3-405b-goodput, research-mix, default "
                        + "(or give a path to a .yaml, .yml or .json file)");
    }

    @Test
    void aWorkloadNeedsSomething() {
        assertThatThrownBy(() -> parse("days: 1\n")).hasMessage("bad.yaml: a workload needs at least one job or stream");
    }

    // --- checkpoints priced from the model, user failures ---

    @Test
    void aJobCheckpointPricedFromItsModel() {
        var w = parse(GOOD.replace("duration: 6h", "model: {params: 8B, tokens: 1T, mfu: 0.4}")
                .replace("checkpoint: {interval: 30m, write: 20s, restore: 40s}",
                        "checkpoint: {interval: auto, state: model, async: true, storage: {write: 100, read: 50, staging: 1}}"));
        var cp = w.jobs().getFirst().checkpoint();
        // 8e9 x 14 = 1.12e11 bytes: 1.12e11 / 64 GPUs / 1 GB/s stall, 1.12 s to persist at 100 GB/s, 2.24 s to read at 50
        assertThat(cp.automatic()).isTrue();
        assertThat(cp.writeSec()).isCloseTo(1.12e11 / 64 / 1e9, within(1e-12));
        assertThat(cp.persistSec()).isCloseTo(1.12, within(1e-12));
        assertThat(cp.restoreSec()).isCloseTo(2.24, within(1e-12));
        var sync = parse(GOOD.replace("checkpoint: {interval: 30m, write: 20s, restore: 40s}", "checkpoint: {state: 70B}"))
                .jobs().getFirst().checkpoint();
        // 9.8e11 bytes at the default 2,000 GB/s
        assertThat(sync.writeSec()).isCloseTo(0.49, within(1e-12));
        assertThat(sync.persistSec()).isZero();
        var explicit = parse(GOOD.replace("restore: 40s}", "restore: 40s, persist: 90s}")).jobs().getFirst().checkpoint();
        assertThat(explicit.writeSec()).isEqualTo(20);
        assertThat(explicit.persistSec()).isEqualTo(90);
    }

    @Test
    void checkpointPricingErrors() {
        assertThatThrownBy(() -> parse(GOOD.replace("write: 20s, restore: 40s}", "state: model}")))
                .hasMessage("bad.yaml: jobs[0].checkpoint.state: 'state: model' needs the job's 'model' (its params); this "
                        + "job gives a duration, so give the parameter count instead, e.g. state: 70B");
        assertThatThrownBy(() -> parse(GOOD.replace("restore: 40s}", "restore: 40s, state: 7B}")))
                .hasMessage("bad.yaml: jobs[0].checkpoint.write: give either 'state' (the times follow from the model and "
                        + "the storage) or 'write' in seconds, not both");
        assertThatThrownBy(() -> parse(GOOD.replace("restore: 40s}", "restore: 40s, async: true}")))
                .hasMessageStartingWith("bad.yaml: jobs[0].checkpoint.async: 'async' prices a checkpoint from its 'state'");
        assertThatThrownBy(() -> parse(GOOD.replace("write: 20s, restore: 40s}", "state: 7B, storage: {write: 0}}")))
                .hasMessage("bad.yaml: jobs[0].checkpoint.storage.write: must be greater than 0, got 0");
        assertThatThrownBy(() -> parse(GOOD.replace("write: 20s, restore: 40s}", "state: 7B, storage: {writes: 9}}")))
                .hasMessageStartingWith("bad.yaml: jobs[0].checkpoint.storage.writes: unknown field 'writes'");
        assertThatThrownBy(() -> parse(GOOD.replace("write: 20s, restore: 40s}", "state: 7B, async: maybe}")))
                .hasMessage("bad.yaml: jobs[0].checkpoint.async: expected true or false, got 'maybe'");
        assertThatThrownBy(() -> parse(GOOD.replace("sigma: 1}\n", "sigma: 1}\n    checkpoint: {state: 7B}\n")))
                .hasMessageStartingWith("bad.yaml: streams[0].checkpoint.state: a stream's checkpoints are given in seconds");
        assertThatThrownBy(() -> parse(GOOD.replace("sigma: 1}\n", "sigma: 1}\n    checkpoint: {write: 1s, persist: 9s}\n")))
                .hasMessage("bad.yaml: streams[0].checkpoint.persist: a stream's checkpoints are synchronous; 'persist' is for jobs");
    }

    @Test
    void aStreamsUserFailures() {
        var w = parse(GOOD.replace("    load: 0.5\n", "    load: 0.5\n    userFailures: 0.3\n"));
        assertThat(w.streams().getFirst().userFailureShare()).isEqualTo(0.3);
        assertThat(parse(GOOD).streams().getFirst().userFailureShare()).isZero();
        assertThatThrownBy(() -> parse(GOOD.replace("    load: 0.5\n", "    load: 0.5\n    userFailures: 1.5\n")))
                .hasMessage("bad.yaml: streams[0].userFailures: must be at most 1, got 1.5");
    }
}
