package gpufleet.agent;

import gpufleet.protocol.Assignment;
import gpufleet.protocol.RankSlot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AgentMainTest {
    record Run(int code, String err) {}

    static Run run(String... args) {
        var err = new ByteArrayOutputStream();
        PrintStream e = System.err;
        try {
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            return new Run(AgentMain.run(args), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setErr(e);
        }
    }

    @Test
    void badOptionsGetOneClearLine() {
        Run r = run("--simulate-gpus", "lots");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).startsWith("gpufleet agent: --simulate-gpus must be a number in [1, 64], got 'lots'")
                .doesNotContain("Exception");
        assertThat(run("--server", "ftp://controller", "--simulate-gpus", "2").err()).contains("not a controller URL");
        assertThat(run("--frobnicate", "1").err()).contains("unknown option --frobnicate");
        assertThat(run("--name").err()).contains("option --name needs a value");
        assertThat(run("inject-xid", "--gpu", "1").err()).contains("needs --gpu and --xid");
    }

    @Test
    void aRootAgentMustBeToldWhoRanksRunAsAndOnlyRootMaySwitch() {
        if (RunAs.currentUid() == 0) {
            assertThatThrownBy(() -> AgentMain.runAs(null)).hasMessageContaining("give --run-as USER");
            RunAs nobody = AgentMain.runAs("nobody");
            assertThat(nobody.uid()).isEqualTo(65534);
            assertThat(nobody.switches(0)).isTrue();
            assertThat(AgentMain.runAs("root").switches(0)).as("knowingly as root").isFalse();
        } else {
            assertThat(AgentMain.runAs(null)).isNull();
            assertThatThrownBy(() -> AgentMain.runAs("0:0")).hasMessageContaining("only an agent running as root");
        }
        assertThatThrownBy(() -> RunAs.parse("no-such-user-here")).hasMessageContaining("no user 'no-such-user-here'");
        assertThatThrownBy(() -> RunAs.parse("rm -rf /")).hasMessageContaining("must be a user name or UID:GID");
        RunAs numeric = RunAs.parse("4242:4343");
        assertThat(numeric.wrap(List.of("python", "train.py")))
                .containsExactly("/usr/bin/setpriv", "--reuid=4242", "--regid=4343", "--clear-groups", "--", "python", "train.py");
        assertThat(RunAs.parse("nobody").wrap(List.of("x"))).contains("--init-groups");
        assertThat(Task.SECRET_ENV).contains("GPUFLEET_TOKEN", "GPUFLEET_JOIN_TOKEN");
    }

    @Test
    void aBadCaCertificateIsRefusedBeforeTheAgentStarts(@TempDir Path dir) throws Exception {
        Path bad = Files.writeString(dir.resolve("ca.pem"), "not a certificate");
        Run r = run("--ca-cert", bad.toString(), "--simulate-gpus", "1", "--run-as", System.getProperty("user.name"));
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains(bad.toString()).contains("no PEM block").doesNotContain("Exception");
    }

    @Test
    void aHostWithoutUsableNvmlGetsOneLineSayingWhatToDo(@TempDir Path dir) {
        Run r = run("--nvml", dir.resolve("libnvidia-ml.so.1").toString(), "--work-dir", dir.toString(),
                "--run-as", System.getProperty("user.name"), "--server", "http://127.0.0.1:9");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).startsWith("gpufleet agent: ").contains("--simulate-gpus").doesNotContain("Exception")
                .doesNotContain("\tat ");
        assertThat(r.err().strip().lines()).hasSize(1);
    }

    @Test
    void injectXidLeavesARequestForTheAgent(@TempDir Path dir) throws Exception {
        assertThat(run("inject-xid", "--work-dir", dir.toString(), "--gpu", "3", "--xid", "79").code()).isZero();
        try (var files = Files.list(dir.resolve("inject"))) {
            List<Path> requests = files.toList();
            assertThat(requests).hasSize(1);
            assertThat(Files.readString(requests.getFirst()).strip()).isEqualTo("3 79");
        }
    }

    @Test
    void eachRankGetsTorchrunsEnvironmentAndGpufleets() {
        Assignment a = new Assignment(42, 7, 2, "llama", List.of("python", "train.py"), "/ckpt/llama", "10.0.0.5", 24_213,
                16, 1, List.of(new RankSlot(8, 0, 4), new RankSlot(9, 1, 5), new RankSlot(10, 2, 6), new RankSlot(11, 3, 7)));
        Map<String, String> env = Task.environment(a, a.ranks().get(1), Path.of("/ckpt/llama"), Path.of("/w/jobs/42/rank-9.7.progress"));
        assertThat(env).containsEntry("MASTER_ADDR", "10.0.0.5").containsEntry("MASTER_PORT", "24213")
                .containsEntry("WORLD_SIZE", "16").containsEntry("RANK", "9").containsEntry("LOCAL_RANK", "1")
                .containsEntry("LOCAL_WORLD_SIZE", "4").containsEntry("GROUP_RANK", "1")
                .containsEntry("CUDA_VISIBLE_DEVICES", "4,5,6,7")
                .containsEntry("GPUFLEET_JOB_ID", "42").containsEntry("GPUFLEET_RESTART_COUNT", "2").containsEntry("GPUFLEET_GENERATION", "7")
                .containsEntry("GPUFLEET_CHECKPOINT_DIR", "/ckpt/llama")
                .containsEntry("GPUFLEET_PROGRESS_FILE", "/w/jobs/42/rank-9.7.progress");
    }
}
