package gpufleet.cli.deploy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code bin/mutation-score.sh}, which {@code ./test} runs after PIT, under {@code /bin/sh} (dash here): a copy of
 * it in a scratch tree with PIT reports written by hand.
 */
class MutationScoreScriptTest {
    @TempDir
    Path dir;

    private record Run(int exit, String out, String err) { }

    private Run score(String... modules) throws IOException, InterruptedException {
        Files.createDirectories(dir.resolve("bin"));
        Files.copy(Launcher.ROOT.resolve("bin/mutation-score.sh"), dir.resolve("bin/mutation-score.sh"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        var cmd = new java.util.ArrayList<String>(java.util.List.of("/bin/sh", "bin/mutation-score.sh"));
        cmd.addAll(java.util.List.of(modules));
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).start();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return new Run(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8),
                new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    private void report(String module, String... statuses) throws IOException {
        StringBuilder xml = new StringBuilder("<mutations>\n");
        for (String s : statuses)
            xml.append("<mutation detected='").append(s.equals("KILLED") || s.equals("TIMED_OUT"))
                    .append("' status='").append(s).append("'><x/></mutation>\n");
        Path f = dir.resolve(module + "/target/pit-reports/mutations.xml");
        Files.createDirectories(f.getParent());
        Files.writeString(f, xml.append("</mutations>\n"));
    }

    @Test
    void countsEachModuleAndAReportWithNoSurvivorIsAScoreNotAnError() throws Exception {
        report("core", "KILLED", "KILLED", "TIMED_OUT", "SURVIVED", "NO_COVERAGE");
        report("sim", "KILLED", "KILLED");
        Run r = score();
        assertThat(r.err()).isEmpty();
        assertThat(r.exit()).isZero();
        // 3 of 5 detected (a timeout counts as killed): 60%
        assertThat(r.out()).isEqualTo("""
                core: 3 of 5 mutants killed (60%), 1 survived, 1 not covered by any test
                sim: 2 of 2 mutants killed (100%), 0 survived, 0 not covered by any test
                """);
    }

    @Test
    void aModuleWithoutAReportSaysHowToMakeOne() throws Exception {
        Run r = score("plan");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err().strip()).isEqualTo(
                "plan: no PIT report (plan/target/pit-reports/mutations.xml); run ./mvnw -B -Pmutation -pl plan -am test");
    }
}
