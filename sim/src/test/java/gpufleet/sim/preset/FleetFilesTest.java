package gpufleet.sim.preset;

import gpufleet.core.topology.ClusterSpec;
import gpufleet.core.topology.FleetSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class FleetFilesTest {
    static final List<String> PRESETS = FleetFiles.PRESETS;

    /** A valid two-cluster fleet; tests break one line of it. */
    static final String GOOD = """
            name: test-fleet
            description: two small clusters
            defaults:
              gpuType: H100-SXM
              gpusPerHost: 8
              hostsPerRack: 2
              racksPerZone: 4
              nicGbpsPerGpu: 400
              spineOversubscription: 2
              gpuHourUsd: 2.5
              wattsPerGpu: 1300
            clusters:
              - name: a
                datacenter: east
                hosts: 16
                spareHosts: 1
              - name: b
                hosts: 10
                hostsPerRack: 5
            """;

    static FleetSpec parse(String text) {
        return FleetFiles.parse(text, "bad.yaml");
    }

    @ParameterizedTest
    @FieldSource("PRESETS")
    void everyPresetLoadsUnderItsOwnName(String name) {
        FleetSpec f = FleetFiles.load(name);
        assertThat(f.name()).isEqualTo(name);
        assertThat(f.description()).isNotBlank();
        assertThat(f.clusters()).isNotEmpty();
    }

    @ParameterizedTest
    @FieldSource("PRESETS")
    void presetTextParsesBackToTheSameFleet(String name) {
        assertThat(FleetFiles.parse(FleetFiles.presetText(name), name + ".yaml")).isEqualTo(FleetFiles.load(name));
    }

    /** The header comment of every preset states its totals; they must be what the file computes to. */
    @ParameterizedTest
    @FieldSource("PRESETS")
    void totalsInTheHeaderCommentMatchTheFile(String name) {
        String header = FleetFiles.presetText(name).lines().takeWhile(l -> l.startsWith("#"))
                .map(l -> l.substring(1).strip()).collect(Collectors.joining(" "));
        Matcher m = Pattern.compile("Totals: (.*?H100-equivalents)").matcher(header);
        assertThat(m.find()).as("a 'Totals:' line in the header of %s", name).isTrue();
        String totals = m.group(1);
        PresetInfo info = PresetInfo.of(name, FleetFiles.load(name));
        assertThat(claimed(totals, "GPUs")).isEqualTo(info.gpus());
        assertThat(claimed(totals, "hosts")).isEqualTo(info.hosts());
        assertThat(claimed(totals, "racks")).isEqualTo(info.racks());
        assertThat(claimed(totals, "zones")).isEqualTo(info.zones());
        assertThat((double) claimed(totals, "H100-equivalents")).isCloseTo(info.h100Equivalents(), within(1.0));
        if (totals.contains("clusters")) assertThat(claimed(totals, "clusters")).isEqualTo(info.clusters());
    }

    private static long claimed(String totals, String what) {
        String singular = what.substring(0, what.length() - 1); // "1 rack", "1 zone"
        Matcher m = Pattern.compile("([0-9][0-9,]*) " + Pattern.quote(singular) + "s?\\b").matcher(totals);
        assertThat(m.find()).as("'%s' in '%s'", what, totals).isTrue();
        return Long.parseLong(m.group(1).replace(",", ""));
    }

    @Test
    void lab64IsOneRackOfEightHosts() {
        PresetInfo p = PresetInfo.of("lab-64", FleetFiles.load("lab-64"));
        assertThat(p.gpus()).isEqualTo(64);
        assertThat(p.hosts()).isEqualTo(8);
        assertThat(p.racks()).isEqualTo(1);
        assertThat(p.zones()).isEqualTo(1);
    }

    @Test
    void theTwo24kClustersAre3072HostsOf8H100AndDifferInTheSpine() {
        FleetSpec roce = FleetFiles.load("h100-24k-roce"), ib = FleetFiles.load("h100-24k-ib");
        for (FleetSpec f : List.of(roce, ib)) {
            assertThat(f.gpus()).isEqualTo(24_576);
            assertThat(f.hosts()).isEqualTo(3_072);
            ClusterSpec c = f.clusters().getFirst();
            assertThat(c.gpuType()).isEqualTo("H100-SXM");
            assertThat(c.racks()).isEqualTo(1_536);
            assertThat(c.zones()).isEqualTo(8);
            assertThat(c.nicGbpsPerGpu()).isEqualTo(400);
        }
        assertThat(roce.clusters().getFirst().spineOversubscription()).isEqualTo(7);
        assertThat(ib.clusters().getFirst().spineOversubscription()).isEqualTo(1);
    }

    @Test
    void h100100kHasMoreThan100kGpusIn64GpuRacks() {
        FleetSpec f = FleetFiles.load("h100-100k");
        assertThat(f.gpus()).isGreaterThan(100_000);
        assertThat(f.clusters()).hasSize(1);
        assertThat(f.clusters().getFirst().hostsPerRack() * f.clusters().getFirst().gpusPerHost()).isEqualTo(64);
    }

    @Test
    void fleet350kIsAbout350kH100InSeveralDatacenters() {
        FleetSpec f = FleetFiles.load("fleet-350k");
        assertThat(f.clusters()).allSatisfy(c -> assertThat(c.gpuType()).isEqualTo("H100-SXM"));
        assertThat((double) f.gpus()).isCloseTo(350_000, within(3_500.0));
        assertThat(f.gpus()).isEqualTo(350_208);
        assertThat(f.clusters().stream().map(ClusterSpec::datacenter).distinct().count()).isGreaterThan(3);
        assertThat(f.clusters().stream().filter(c -> c.gpus() == 24_576)).hasSize(10);
        assertThat(f.clusters().stream().filter(c -> c.gpus() > 100_000)).hasSize(1);
    }

    @Test
    void fleet600kIsAbout600kH100EquivalentsOfSeveralGenerationsUnder75kHosts() {
        FleetSpec f = FleetFiles.load("fleet-600k");
        assertThat(f.h100Equivalents()).isCloseTo(600_000, within(12_000.0)); // the file states a 2% tolerance
        assertThat(f.hosts()).isLessThanOrEqualTo(75_000);
        assertThat(f.clusters().stream().map(ClusterSpec::gpuType).distinct().toList())
                .contains("H100-SXM", "H200-SXM", "B200", "A100-SXM-80GB");
        long h100 = f.clusters().stream().filter(c -> c.gpuType().equals("H100-SXM")).mapToLong(ClusterSpec::gpus).sum();
        assertThat(h100).isEqualTo(FleetFiles.load("fleet-350k").gpus());
    }

    @Test
    void presetsListsEveryPresetWithItsTotals() {
        List<PresetInfo> all = FleetFiles.presets();
        assertThat(all).extracting(PresetInfo::name).containsExactlyElementsOf(PRESETS);
        assertThat(all).allSatisfy(p -> {
            assertThat(p.description()).isNotBlank();
            assertThat(p.gpus()).isPositive();
            assertThat(p.h100Equivalents()).isPositive();
        });
        assertThat(all.getFirst().gpus()).isEqualTo(64);
    }

    @Test
    void clustersInheritDefaultsAndOverrideThem() {
        FleetSpec f = parse(GOOD);
        ClusterSpec a = f.clusters().get(0), b = f.clusters().get(1);
        assertThat(a.datacenter()).isEqualTo("east");
        assertThat(a.hostsPerRack()).isEqualTo(2);
        assertThat(a.spareHosts()).isEqualTo(1);
        assertThat(b.datacenter()).isEqualTo("b");
        assertThat(b.hostsPerRack()).isEqualTo(5);
        assertThat(b.spareHosts()).isZero();
        assertThat(f.gpus()).isEqualTo(208);
    }

    @Test
    void aFileWithoutANameIsNamedAfterTheFile() {
        FleetSpec f = FleetFiles.parse(GOOD.replace("name: test-fleet\n", ""), "some/dir/my-lab.yaml");
        assertThat(f.name()).isEqualTo("my-lab");
    }

    @Test
    void jsonFleetFileLoadsFromAPath(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("tiny.json");
        Files.writeString(file, """
                {"name": "tiny", "clusters": [
                  {"name": "c", "gpuType": "A100-SXM-80GB", "hosts": 4, "gpusPerHost": 8, "hostsPerRack": 4,
                   "racksPerZone": 1, "nicGbpsPerGpu": 200, "spineOversubscription": 1, "gpuHourUsd": 1.5,
                   "wattsPerGpu": 900}]}
                """);
        FleetSpec f = FleetFiles.load(file.toString());
        assertThat(f.name()).isEqualTo("tiny");
        assertThat(f.gpus()).isEqualTo(32);
        assertThat(f.clusters().getFirst().gpuType()).isEqualTo("A100-SXM-80GB");
    }

    @Test
    void jsonSyntaxErrorNamesFileAndLine(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("broken.json");
        Files.writeString(file, "{\n  \"name\": \"x\",\n  \"clusters\": [\n}\n");
        assertThatThrownBy(() -> FleetFiles.load(file.toString()))
                .isInstanceOf(PresetFileException.class)
                .hasMessageStartingWith(file + ":4:")
                .hasMessageContaining("invalid JSON")
                .hasMessageNotContaining("Source: REDACTED");
    }

    @Test
    void yamlFileLoadsFromAPath(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("mine.yml");
        Files.writeString(file, GOOD);
        assertThat(FleetFiles.load(file.toString())).isEqualTo(parse(GOOD));
    }

    // --- errors: each names the file, the field and what is wrong ---

    @Test
    void unknownFieldNamesItSuggestsTheNearestAndListsTheAllowed() {
        assertThatThrownBy(() -> parse(GOOD.replace("    hosts: 10\n", "    hostz: 10\n")))
                .isInstanceOf(PresetFileException.class)
                .hasMessageStartingWith("bad.yaml: clusters[1].hostz: unknown field 'hostz' (did you mean 'hosts'?)")
                .hasMessageContaining("allowed: name, datacenter, gpuType, hosts,");
    }

    @Test
    void unknownTopLevelField() {
        assertThatThrownBy(() -> parse("nmae: x\n" + GOOD))
                .hasMessageStartingWith("bad.yaml: nmae: unknown field 'nmae' (did you mean 'name'?); allowed: name, description, defaults, clusters");
    }

    @Test
    void negativeHosts() {
        assertThatThrownBy(() -> parse(GOOD.replace("hosts: 16", "hosts: -16")))
                .isInstanceOf(PresetFileException.class)
                .hasMessage("bad.yaml: clusters[0].hosts: must be at least 1, got -16");
    }

    @Test
    void aBadDefaultIsReportedWhereItIsWritten() {
        assertThatThrownBy(() -> parse(GOOD.replace("hostsPerRack: 2", "hostsPerRack: 0")))
                .hasMessage("bad.yaml: defaults.hostsPerRack: must be at least 1, got 0");
    }

    @Test
    void aNumberThatIsNotOne() {
        assertThatThrownBy(() -> parse(GOOD.replace("hosts: 16", "hosts: many")))
                .hasMessage("bad.yaml: clusters[0].hosts: expected a number, got 'many'");
        assertThatThrownBy(() -> parse(GOOD.replace("hosts: 16", "hosts: 16.5")))
                .hasMessage("bad.yaml: clusters[0].hosts: expected a whole number, got 16.5");
    }

    @Test
    void unknownGpuTypeListsTheKnownOnes() {
        assertThatThrownBy(() -> parse(GOOD.replace("  gpuType: H100-SXM", "  gpuType: H900")))
                .isInstanceOf(PresetFileException.class)
                .hasMessageStartingWith("bad.yaml: defaults.gpuType: unknown GPU type 'H900'; known: H100-SXM, H200-SXM, A100-SXM-80GB, B200");
    }

    @Test
    void missingRequiredField() {
        assertThatThrownBy(() -> parse(GOOD.replace("  hostsPerRack: 2\n", "")))
                .isInstanceOf(PresetFileException.class)
                .hasMessage("bad.yaml: clusters[0]: missing required field 'hostsPerRack' (set it on the cluster or under defaults)");
        assertThatThrownBy(() -> parse("name: x\n"))
                .hasMessage("bad.yaml: missing required field 'clusters'");
    }

    @Test
    void moreSparesThanHosts() {
        assertThatThrownBy(() -> parse(GOOD.replace("spareHosts: 1", "spareHosts: 16")))
                .hasMessageStartingWith("bad.yaml: clusters[0].spareHosts: must be less than hosts (16)");
    }

    @Test
    void clusterNamesMustBeUnique() {
        assertThatThrownBy(() -> parse(GOOD.replace("- name: b", "- name: a")))
                .hasMessage("bad.yaml: clusters[1].name: cluster name 'a' is already used by clusters[0]");
    }

    @Test
    void malformedYamlGivesLineAndColumnAndTheLine() {
        String broken = GOOD.replace("    datacenter: east\n", "    datacenter: east\n   - oops\n");
        assertThatThrownBy(() -> parse(broken))
                .isInstanceOf(PresetFileException.class)
                .satisfies(e -> {
                    PresetFileException p = (PresetFileException) e;
                    assertThat(p.line()).isEqualTo(15);
                    assertThat(p.column()).isPositive();
                })
                .hasMessageStartingWith("bad.yaml:15:")
                .hasMessageContaining("invalid YAML")
                .hasMessageContaining("- oops")
                .hasMessageNotContaining("in reader")
                .hasMessageNotContaining("Exception");
    }

    @Test
    void duplicateKeysAreErrors() {
        assertThatThrownBy(() -> parse(GOOD.replace("    hosts: 16\n", "    hosts: 16\n    hosts: 17\n")))
                .hasMessageStartingWith("bad.yaml:16:")
                .hasMessageContaining("invalid YAML: duplicate key 'hosts'");
    }

    @Test
    void emptyOrNonMappingFiles() {
        assertThatThrownBy(() -> parse("")).hasMessage("bad.yaml: the file is empty");
        assertThatThrownBy(() -> parse("- a\n- b\n")).hasMessageStartingWith("bad.yaml: expected a mapping");
        assertThatThrownBy(() -> parse("name: x\nclusters: []\n")).hasMessage("bad.yaml: clusters: a fleet needs at least one cluster");
        assertThatThrownBy(() -> parse("name: x\nclusters: {a: 1}\n")).hasMessageStartingWith("bad.yaml: clusters: expected a list");
    }

    @Test
    void unknownPresetListsTheKnownOnes() {
        assertThatThrownBy(() -> FleetFiles.load("h100-99k"))
                .isInstanceOf(PresetFileException.class)
                .hasMessage("unknown fleet preset 'h100-99k'; known: lab-64, h100-24k-roce, h100-24k-ib, h100-100k, "
                        + "fleet-350k, fleet-600k, philly-vcs (or give a path to a .yaml, .yml or .json file)");
        assertThatThrownBy(() -> FleetFiles.presetText("nope")).hasMessageStartingWith("unknown fleet preset 'nope'; known: lab-64");
    }

    @Test
    void missingFile() {
        assertThatThrownBy(() -> FleetFiles.load("/no/such/dir/fleet.yaml"))
                .isInstanceOf(PresetFileException.class)
                .hasMessage("/no/such/dir/fleet.yaml: no such file");
    }
}
