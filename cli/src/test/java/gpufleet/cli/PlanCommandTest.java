package gpufleet.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static gpufleet.cli.CliTest.run;
import static org.assertj.core.api.Assertions.assertThat;

class PlanCommandTest {
    @Test
    void plans405bOn16kGpusWithExplain() {
        var r = run("plan", "--model", "llama-405b", "--tokens", "15.6T", "--fleet", "h100-24k-roce", "--gpus", "16384", "--explain");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("llama-405b").contains("16,384").contains("MFU").contains("ETTR")
                .contains("Young/Daly").contains("bubble").contains("DP red.");
    }

    @Test
    void fixedLayoutIsEvaluatedAndJsonIsWritten() {
        var r = run("plan", "--model", "llama-405b", "--tokens", "15.6T", "--gpus", "16384", "--tp", "8", "--pp", "16",
                "--cp", "1", "--micro-batch", "1", "--recompute", "full", "-o", "json");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("\"expectedDays\"").contains("\"dp\": 128").contains("\"mfu\"");
    }

    @Test
    void userModelFilesAndBudgetsWork(@TempDir Path tmp) throws Exception {
        Path f = tmp.resolve("my-model.yaml");
        Files.writeString(f, "layers: 32\nhidden: 4096\nffn: 14336\nheads: 32\nkvHeads: 8\nvocab: 128256\nseqLen: 8192\n");
        var r = run("plan", "--model", f.toString(), "--tokens", "2T", "--fleet", "h100-100k", "--budget-days", "90");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("my-model").contains("colossus");
    }

    @Test
    void badInputIsOneClearLine(@TempDir Path tmp) throws Exception {
        var u = run("plan", "--model", "llama-9t", "--tokens", "1T");
        assertThat(u.code()).isEqualTo(2);
        assertThat(u.err()).contains("unknown model 'llama-9t'").contains("llama-405b").doesNotContain("\tat ");
        Path f = tmp.resolve("bad.yaml");
        Files.writeString(f, "layers: 2\nhidden: 1000\nffn: 4000\nheads: 16\nvocab: 100\nseqLen: 128\n");
        var b = run("plan", "--model", f.toString(), "--tokens", "1T");
        assertThat(b.code()).isEqualTo(2);
        assertThat(b.err()).contains("heads (16) must divide hidden (1000)");
        var t = run("plan", "--model", "llama-70b", "--tokens", "1T", "--tp", "3");
        assertThat(t.code()).isEqualTo(2);
        assertThat(t.err()).contains("--tp 3 must divide the attention heads (64)");
        var n = run("plan", "--model", "llama-405b", "--tokens", "1T", "--gpus", "64", "--pp", "1", "--cp", "1", "--recompute", "none");
        assertThat(n.code()).isEqualTo(2);
        assertThat(n.err()).contains("no layout fits in GPU memory").contains("H100-SXM has 80 GB");
    }
}
