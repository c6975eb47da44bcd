package gpufleet.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.json.JsonMapper;

import java.nio.file.Files;
import java.nio.file.Path;

import static gpufleet.cli.CliTest.run;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

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

    /**
     * The fixed Llama 3 layout's figures, each from the definitions in docs/planner.md and the inputs
     * (15.6T tokens, batches of 2,048 x 8,192 tokens, H100 989 TFLOP/s, the genai-roce cluster's
     * $4.916 and 1,390 W per GPU-hour, Llama 3's 419 unplanned interruptions in 54 days on 16,384 GPUs).
     */
    @Test
    void theFixedLayoutsFiguresFollowFromItsStepTimeAndTheFailureRate() {
        var r = run("plan", "--model", "llama-405b", "--tokens", "15.6T", "--gpus", "16384", "--tp", "8", "--pp", "16",
                "--cp", "1", "--micro-batch", "1", "--recompute", "full", "-o", "json");
        assertThat(r.code()).as(r.err()).isZero();
        var p = JsonMapper.builder().build().readTree(r.out()).get("plans").get(0);
        double step = p.get("stepSeconds").get("total").asDouble();
        double tokensPerSec = p.get("tokensPerSec").asDouble();
        assertThat(tokensPerSec).isCloseTo(2048 * 8192 / step, within(1e-6 * tokensPerSec));
        assertThat(p.get("mfu").asDouble()).isCloseTo(p.get("modelTflopsPerGpu").asDouble() / 989, within(1e-9));
        // model FLOPs per token 6N + the attention term, N without the input embedding (PlanModelTest)
        double n = 126 * 3_187_703_808.0 + 128_256.0 * 16_384, attn = 12.0 * 126 * 16_384 * 8192;
        assertThat(p.get("modelTflopsPerGpu").asDouble()).isCloseTo((6 * n + attn) * tokensPerSec / 16384 / 1e12, within(1e-6));
        double mtbfHours = 54 * 24 / 419.0;
        assertThat(p.get("mtbfHours").asDouble()).isCloseTo(mtbfHours, within(1e-9));
        double write = p.get("checkpointWriteSec").asDouble();
        assertThat(p.get("checkpointIntervalSec").asDouble()).isCloseTo(Math.sqrt(2 * write * mtbfHours * 3600), within(1e-6));
        double ideal = 15.6e12 / tokensPerSec / 86_400;
        assertThat(p.get("idealDays").asDouble()).isCloseTo(ideal, within(1e-9));
        double days = p.get("expectedDays").asDouble();
        assertThat(days).isCloseTo(ideal / p.get("ettr").asDouble(), within(1e-9));
        double gpuHours = 16384 * days * 24;
        assertThat(p.get("gpuHours").asDouble()).isCloseTo(gpuHours, within(1e-3));
        assertThat(p.get("costUsd").asDouble()).isCloseTo(gpuHours * 4.916, within(1.0));
        assertThat(p.get("energyMWh").asDouble()).isCloseTo(gpuHours * 1390 / 1e6, within(1e-3));
        // and where they land today: 8.65 s a step, 31.4% MFU, 101.5 days with failures (planned
        // interruptions and the checkpoint's background write count against the ETTR since the failure
        // model and the checkpoint formula are shared with the twin)
        assertThat(step).isCloseTo(8.655, within(0.01));
        assertThat(p.get("mfu").asDouble()).isCloseTo(0.314, within(0.002));
        assertThat(days).isCloseTo(101.46, within(0.2));
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
