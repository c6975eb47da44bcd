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
        var out = new ByteArrayOutputStream();
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
}
