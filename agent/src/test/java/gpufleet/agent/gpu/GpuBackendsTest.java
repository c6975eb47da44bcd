package gpufleet.agent.gpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Choosing the backend from the agent's command line; the NVML cases use the fake library. */
class GpuBackendsTest {

    private static Path lib;

    @BeforeAll
    static void buildFake() {
        lib = FakeNvml.library();
    }

    @Test
    void simulatesWhenAsked(@TempDir Path dir) {
        try (GpuBackend backend = GpuBackends.open(4, dir)) {
            assertThat(backend).isInstanceOf(SimulatedGpus.class);
            assertThat(backend.gpus()).hasSize(4);
            assertThat(backend.describe()).isEqualTo("simulated, 4 GPUs, XID requests from " + dir);
        }
        assertThatThrownBy(() -> GpuBackends.open(-1, null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void usesNvmlWhenItSeesGpus() {
        FakeNvml.configure("gpus=2");
        try (GpuBackend backend = GpuBackends.open(0, null, lib)) {
            assertThat(backend).isInstanceOf(Nvml.class);
            assertThat(backend.gpus()).hasSize(2);
        }
    }

    @Test
    void suggestsSimulationWhenNvmlIsMissing(@TempDir Path dir) {
        assertThatThrownBy(() -> GpuBackends.open(0, null, dir.resolve("libnvidia-ml.so.1")))
                .isInstanceOf(GpuUnavailableException.class)
                .hasMessageStartingWith("NVML not available: ")
                .hasMessageEndingWith("run the agent with --simulate-gpus 8");
    }

    @Test
    void suggestsSimulationWhenNvmlSeesNoGpuAndShutsItDown() {
        FakeNvml.configure("gpus=0");
        assertThatThrownBy(() -> GpuBackends.open(0, null, lib))
                .isInstanceOf(GpuUnavailableException.class)
                .hasMessageStartingWith("NVML sees no GPUs")
                .hasMessageEndingWith("--simulate-gpus 8");
        assertThat(FakeNvml.counter("shutdown")).isEqualTo(1);
    }
}
