package gpufleet.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The command line as a user meets it: exit codes, output, files, and one-line errors. */
class CliTest {

    record Run(int code, String out, String err) {}

    static Run run(String... args) {
        return run(new ByteArrayOutputStream(), args);
    }

    /** As {@link #run(String...)}, printing into {@code out}, which another thread may read while it runs. */
    static Run run(ByteArrayOutputStream out, String... args) {
        var err = new ByteArrayOutputStream();
        PrintStream o = System.out, e = System.err;
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = Main.run(args);
            return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(o);
            System.setErr(e);
        }
    }

    @Test
    void simulateWritesTheReportAndTheSameSeedGivesTheSameJson(@TempDir Path tmp) throws Exception {
        var a = run("simulate", "--fleet", "lab-64", "--workload", "research-mix", "--days", "3", "--seed", "5",
                "--out", tmp.resolve("a").toString(), "--quiet");
        var b = run("simulate", "--fleet", "lab-64", "--workload", "research-mix", "--days", "3", "--seed", "5",
                "--out", tmp.resolve("b").toString(), "--quiet");
        assertThat(a.code()).as(a.err()).isZero();
        assertThat(a.out()).contains("lab-64").contains("goodput").contains("report:");
        // the count is of every GPU and host failure the model draws, software and maintenance included
        assertThat(a.out()).containsPattern("\\| [\\d,]+ GPU (and host failures|or host failure) \\(any cause\\), ")
                .doesNotContain("hardware failures");
        assertThat(Files.readAllBytes(tmp.resolve("a/report.json"))).isEqualTo(Files.readAllBytes(tmp.resolve("b/report.json")));
        assertThat(Files.readString(tmp.resolve("a/report.html"))).contains("<svg");
    }

    @Test
    void theBigJobsInterruptionsAndEttrAreInTheSummary(@TempDir Path tmp) {
        var r = run("simulate", "--fleet", "lab-64", "--workload", "llama3-405b", "--days", "2", "--failure-scale", "200",
                "--out", tmp.toString(), "--quiet");
        // llama3-405b needs 16,384 GPUs: on lab-64 it is refused with the reason, and the run still ends cleanly
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("rejected").contains("16,384");
    }

    @Test
    void unknownPresetsListTheKnownOnesWithoutAStackTrace() {
        var r = run("simulate", "--fleet", "no-such-fleet", "--quiet");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("no-such-fleet").contains("h100-24k-roce").contains("lab-64").doesNotContain("Exception").doesNotContain("\tat ");
        var p = run("simulate", "--fleet", "lab-64", "--policy", "nope", "--quiet");
        assertThat(p.code()).isEqualTo(2);
        assertThat(p.err()).contains("unknown policy 'nope'").contains("gpufleet");
    }

    @Test
    void absurdNumbersAreRefusedClearly() {
        var r = run("simulate", "--fleet", "lab-64", "--days", "-3", "--quiet");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("--days").doesNotContain("\tat ");
        var f = run("simulate", "--fleet", "lab-64", "--failure-scale", "-1", "--quiet");
        assertThat(f.code()).isEqualTo(2);
        assertThat(f.err()).contains("failure").doesNotContain("\tat ");
    }

    @Test
    void malformedFleetFileNamesTheFileAndField(@TempDir Path tmp) throws Exception {
        Path bad = tmp.resolve("bad.yaml");
        Files.writeString(bad, "name: bad\nclusters:\n  - name: c0\n    gpuType: H100-SXM\n    hosts: -4\n");
        var r = run("simulate", "--fleet", bad.toString(), "--quiet");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("bad.yaml").contains("hosts").doesNotContain("\tat ");
    }

    @Test
    void policiesListEachProfilesPluginsWithTheirPointsAndArguments() throws Exception {
        var text = run("policies");
        assertThat(text.code()).isZero();
        var json = run("policies", "-o", "json");
        assertThat(json.code()).isZero();
        var listed = tools.jackson.databind.json.JsonMapper.builder().build().readTree(json.out());
        var policies = gpufleet.core.sched.PolicyRegistry.all();
        assertThat(listed.size()).isEqualTo(policies.size());
        for (int i = 0; i < policies.size(); i++) {
            var p = policies.get(i);
            var l = listed.get(i);
            assertThat(l.get("name").stringValue()).isEqualTo(p.name());
            assertThat(text.out()).contains(p.name() + "  " + p.summary());
            var plugins = p.profile().plugins();
            assertThat(l.get("plugins").size()).as(p.name()).isEqualTo(plugins.size());
            for (int k = 0; k < plugins.size(); k++) {
                var pl = plugins.get(k);
                var n = l.get("plugins").get(k);
                assertThat(n.get("name").stringValue()).isEqualTo(pl.name());
                assertThat(n.get("args").stringValue()).isEqualTo(pl.args());
                assertThat(n.get("extensionPoints").isEmpty()).as(pl.name() + " implements some point").isFalse();
                if (!pl.args().isEmpty()) assertThat(text.out()).contains(pl.args());
            }
        }
        var tiresias = listed.valueStream().filter(p -> p.get("name").stringValue().equals("tiresias-las")).findFirst().orElseThrow();
        var las = tiresias.get("plugins").valueStream().filter(p -> p.get("name").stringValue().equals("tiresias-las")).findFirst().orElseThrow();
        assertThat(las.get("extensionPoints").valueStream().map(n -> n.stringValue()).toList()).containsExactly("QueueSort", "PostCycle");
        assertThat(las.get("args").stringValue()).contains("limits=[3250.0, 7200.0]");
    }

    @Test
    void fleetsListsPresetsAndShowPrintsALoadableFile(@TempDir Path tmp) throws Exception {
        var l = run("fleets");
        assertThat(l.out()).contains("h100-24k-roce").contains("h100-24k-ib").contains("h100-100k").contains("fleet-350k")
                .contains("fleet-600k").contains("lab-64");
        var s = run("fleets", "show", "lab-64");
        assertThat(s.code()).isZero();
        Path f = tmp.resolve("mine.yaml");
        Files.writeString(f, s.out());
        var sim = run("simulate", "--fleet", f.toString(), "--workload", "research-mix", "--days", "1",
                "--out", tmp.resolve("o").toString(), "--quiet");
        assertThat(sim.code()).as(sim.err()).isZero();
    }

    static Path tiresiasCut() {
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            Path p = d.resolveSibling("shared").resolve("traces/philly/philly_oct2017_first2000.csv");
            if (Files.exists(p)) return p;
        }
        throw new IllegalStateException("shared/traces not found beside the checkout");
    }

    @Test
    void replayPrintsOneJsonObjectPerPolicyAndWritesTheEventLog(@TempDir Path tmp) throws Exception {
        Path events = tmp.resolve("events.csv");
        var r = run("replay", "--trace", tiresiasCut().toString(), "--fleet", "hosts:32x8", "--policy", "fifo,srtf",
                "-o", "json", "--out", tmp.resolve("reports").toString(), "--trace-events", events.toString());
        assertThat(r.code()).as(r.err()).isZero();
        var rows = tools.jackson.databind.json.JsonMapper.builder().build().readTree(r.out());
        assertThat(rows.size()).isEqualTo(2);
        assertThat(rows.get(0).get("policy").asString()).isEqualTo("fifo");
        assertThat(rows.get(1).get("oracle").asBoolean()).isTrue();
        assertThat(rows.get(0).get("jobs").asLong()).isEqualTo(2000);
        assertThat(rows.get(0).get("preemptionCostSec").asDouble()).isZero();
        assertThat(rows.get(0).get("stats").get("meanJct").asDouble()).isPositive();
        var lines = Files.readAllLines(events);
        assertThat(lines.getFirst()).isEqualTo("policy,time,job,name,group,gpus,event,hosts,racks,detail");
        // every job of both policies is submitted, started and finished
        assertThat(lines.stream().filter(l -> l.startsWith("fifo,") && l.contains(",finish,")).count()).isEqualTo(2000);
        assertThat(lines.stream().filter(l -> l.startsWith("srtf,") && l.contains(",preempt,")).count()).isPositive();
        assertThat(tmp.resolve("reports/srtf/report.json")).exists();
    }

    @Test
    void replayTableNamesEveryPolicysSemantics(@TempDir Path tmp) {
        var r = run("replay", "--trace", tiresiasCut().toString(), "--fleet", "gpus:256", "--policy", "las,gpufleet",
                "--out", tmp.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("JCT_AVG").contains("flat pool").contains("placement slowdown none")
                .contains("Tiresias").contains("3250");
    }

    @Test
    void replayRefusesBadInputClearly(@TempDir Path tmp) throws Exception {
        var missing = run("replay", "--trace", tmp.resolve("nope.csv").toString(), "--fleet", "hosts:4x8");
        assertThat(missing.code()).isEqualTo(2);
        assertThat(missing.err()).contains("nope.csv").doesNotContain("\tat ");
        var fleet = run("replay", "--trace", tiresiasCut().toString(), "--fleet", "hosts:0x8");
        assertThat(fleet.code()).isEqualTo(2);
        assertThat(fleet.err()).contains("hosts:0x8").contains("hosts must be");
        var las = run("replay", "--trace", tiresiasCut().toString(), "--fleet", "hosts:4x8", "--policy", "las",
                "--las-thresholds", "100,50");
        assertThat(las.code()).isEqualTo(2);
        assertThat(las.err()).contains("LAS thresholds must be positive and increasing");
        Path junk = tmp.resolve("junk.csv");
        Files.writeString(junk, "a,b,c\n1,2,3\n");
        var bad = run("replay", "--trace", junk.toString(), "--fleet", "hosts:4x8");
        assertThat(bad.code()).isEqualTo(2);
        assertThat(bad.err()).contains("junk.csv").doesNotContain("\tat ");
    }
}
