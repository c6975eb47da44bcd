package gpufleet.agent.gpu;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The device check's probe, against the fake NVML. */
class NvmlProbeTest {

    private static Path lib;

    @BeforeAll
    static void buildFake() {
        lib = FakeNvml.library();
    }

    @Test
    void printsEveryGpuAndTheEventsItSees() throws InterruptedException {
        FakeNvml.configure("gpus=2 xid=1:79");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = NvmlProbe.run(new String[] {"--library", lib.toString(), "--wait", "1"}, print(out), print(err));
        assertThat(status).isZero();
        assertThat(err.toString(StandardCharsets.UTF_8)).isEmpty();
        assertThat(out.toString(StandardCharsets.UTF_8).lines()).containsExactly(
                "NVML, driver 550.54.15",
                "GPU 0  GPU-fa4e0000-0000-4000-8000-000000000000  NVIDIA H100 80GB HBM3  81559 MiB  30 C, 1024 MiB used",
                "GPU 1  GPU-fa4e0000-0000-4000-8000-000000000001  NVIDIA H100 80GB HBM3  81559 MiB  31 C, 2048 MiB used",
                "waiting 1 s for health events",
                "event GPU 1 GPU-fa4e0000-0000-4000-8000-000000000001 XID code 79 FATAL: XID 79: GPU has fallen off the bus",
                "done: 1 event(s), 1 fatal");
        assertThat(FakeNvml.counter("shutdown")).isEqualTo(1);
    }

    @Test
    void exitsWithTwoWhenNvmlIsMissing(@TempDir Path dir) throws InterruptedException {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = NvmlProbe.run(new String[] {"--library", dir.resolve("nope.so").toString()},
                print(new ByteArrayOutputStream()), print(err));
        assertThat(status).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).startsWith("NVML not available: ");
    }

    @Test
    void rejectsUnknownArguments() throws InterruptedException {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        assertThat(NvmlProbe.run(new String[] {"--bogus"}, print(new ByteArrayOutputStream()), print(err))).isEqualTo(64);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("unknown argument --bogus");
    }

    /** As the device script runs it: a fresh JVM, the fake configured through its environment variable. */
    @Test
    void runsAsAProgramInAFreshJvm() throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        ProcessBuilder builder = new ProcessBuilder(List.of(java.toString(), "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), NvmlProbe.class.getName(),
                "--library", lib.toString(), "--wait", "0"))
                .redirectErrorStream(true);
        builder.environment().put("FAKE_NVML", "gpus=3 xid=2:48");
        Process probe = builder.start();
        String output = new String(probe.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(probe.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(probe.exitValue()).as(output).isZero();
        assertThat(output)
                .contains("GPU 2  GPU-fa4e0000-0000-4000-8000-000000000002  NVIDIA H100 80GB HBM3")
                .contains("XID code 48 FATAL: XID 48: double-bit ECC error")
                .doesNotContain("WARNING");
    }

    private static PrintStream print(ByteArrayOutputStream bytes) {
        return new PrintStream(bytes, true, StandardCharsets.UTF_8);
    }
}
