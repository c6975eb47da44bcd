package gpufleet.agent.gpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The FFM binding, run against the fake libnvidia-ml.so.1 built from src/test/c/fake_nvml.c. */
class NvmlTest {

    private static final long H100_MEMORY = 81559L << 20;

    private static Path lib;

    @BeforeAll
    static void buildFake() {
        lib = FakeNvml.library();
    }

    private static String fakeUuid(int index) {
        return "GPU-fa4e0000-0000-4000-8000-%012d".formatted(index);
    }

    @Test
    void discoversEveryGpuWithItsUuidModelAndMemory() {
        FakeNvml.configure("gpus=4");
        try (Nvml nvml = Nvml.open(lib)) {
            assertThat(nvml.gpus()).containsExactly(
                    new GpuInfo(0, fakeUuid(0), "NVIDIA H100 80GB HBM3", H100_MEMORY),
                    new GpuInfo(1, fakeUuid(1), "NVIDIA H100 80GB HBM3", H100_MEMORY),
                    new GpuInfo(2, fakeUuid(2), "NVIDIA H100 80GB HBM3", H100_MEMORY),
                    new GpuInfo(3, fakeUuid(3), "NVIDIA H100 80GB HBM3", H100_MEMORY));
            assertThat(nvml.driverVersion()).isEqualTo("550.54.15");
            assertThat(nvml.describe()).isEqualTo("NVML, driver 550.54.15");
        }
    }

    @Test
    void passesStringsThroughFromTheDriver() {
        FakeNvml.configure("gpus=1 model=NVIDIA_A100-SXM4-80GB driver=535.129.03");
        try (Nvml nvml = Nvml.open(lib)) {
            assertThat(nvml.gpus().getFirst().model()).isEqualTo("NVIDIA A100-SXM4-80GB");
            assertThat(nvml.driverVersion()).isEqualTo("535.129.03");
        }
    }

    @Test
    void readsTemperatureAndMemoryInUse() {
        FakeNvml.configure("gpus=3");
        try (Nvml nvml = Nvml.open(lib)) {
            assertThat(nvml.read()).containsExactly(
                    new GpuReading(0, 30, 1L << 30),
                    new GpuReading(1, 31, 2L << 30),
                    new GpuReading(2, 32, 3L << 30));
        }
    }

    @Test
    void telemetryReadsUtilizationPowerAndEccWhereTheDriverGivesThem() {
        FakeNvml.configure("gpus=3");
        try (Nvml nvml = Nvml.open(lib)) {
            long total = 81559L << 20;
            assertThat(nvml.telemetry(java.util.Set.of())).containsExactly(
                    new gpufleet.protocol.GpuTelemetry(0, 0, 1L << 30, total, 100, 30, 0L),
                    // GPU 1 has ECC off: NOT_SUPPORTED, so no figure rather than a made-up zero
                    new gpufleet.protocol.GpuTelemetry(1, 10, 2L << 30, total, 150, 31, null),
                    new gpufleet.protocol.GpuTelemetry(2, 20, 3L << 30, total, 200, 32, 2L));
        }
    }

    @Test
    void xid79IsAFatalEventOnTheRightGpu() throws InterruptedException {
        FakeNvml.configure("gpus=4 xid=2:79");
        try (Nvml nvml = Nvml.open(lib)) {
            assertThat(nvml.poll(Duration.ofSeconds(5))).containsExactly(
                    new GpuEvent(2, fakeUuid(2), GpuEvent.Kind.XID, 79, true, "XID 79: GPU has fallen off the bus"));
        }
    }

    @Test
    void applicationXidIsNotFatal() throws InterruptedException {
        FakeNvml.configure("gpus=2 xid=1:13");
        try (Nvml nvml = Nvml.open(lib)) {
            List<GpuEvent> events = nvml.poll(Duration.ofSeconds(5));
            assertThat(events).singleElement().satisfies(e -> {
                assertThat(e.index()).isEqualTo(1);
                assertThat(e.kind()).isEqualTo(GpuEvent.Kind.XID);
                assertThat(e.code()).isEqualTo(13);
                assertThat(e.fatal()).isFalse();
            });
        }
    }

    @Test
    void aBurstOfEventsComesBackAsOneBatchInOrder() throws InterruptedException {
        FakeNvml.configure("gpus=2 xid=0:13 xid=1:48 dbe=1 sbe=0");
        try (Nvml nvml = Nvml.open(lib)) {
            List<GpuEvent> events = nvml.poll(Duration.ofSeconds(5));
            assertThat(events).extracting(GpuEvent::index, GpuEvent::kind, GpuEvent::code, GpuEvent::fatal)
                    .containsExactly(
                            tuple(0, GpuEvent.Kind.XID, 13L, false),
                            tuple(1, GpuEvent.Kind.XID, 48L, true),
                            tuple(1, GpuEvent.Kind.ECC_DOUBLE_BIT, 0L, true),
                            tuple(0, GpuEvent.Kind.ECC_SINGLE_BIT, 0L, false));
            assertThat(nvml.poll(Duration.ZERO)).isEmpty();
        }
    }

    @Test
    void aQuietTimeoutReturnsAnEmptyListAfterWaiting() throws InterruptedException {
        FakeNvml.configure("gpus=2");
        try (Nvml nvml = Nvml.open(lib)) {
            long started = System.nanoTime();
            assertThat(nvml.poll(Duration.ofMillis(450))).isEmpty();
            // Spans several wait slices, so this also checks the slices add up to at least the timeout.
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(Duration.ofMillis(440));
            assertThat(FakeNvml.counter("waits")).as("wait slices").isGreaterThan(1);
        }
    }

    @Test
    void boardsWithoutEccStillReportXids() throws InterruptedException {
        FakeNvml.configure("gpus=2 ecc_unsupported=1 dbe=0 xid=1:79");
        try (Nvml nvml = Nvml.open(lib)) {
            assertThat(nvml.describe()).isEqualTo("NVML, driver 550.54.15");
            assertThat(nvml.poll(Duration.ofSeconds(5))).extracting(GpuEvent::index, GpuEvent::code)
                    .containsExactly(tuple(1, 79L));
        }
    }

    @Test
    void gpusThatCannotDeliverEventsAreNamedAndPollStillWaits() throws InterruptedException {
        FakeNvml.configure("gpus=2 events_unsupported=1 xid=0:79");
        try (Nvml nvml = Nvml.open(lib)) {
            assertThat(nvml.gpus()).hasSize(2);
            assertThat(nvml.describe())
                    .isEqualTo("NVML, driver 550.54.15; no health events from GPU 0 (Not Supported), GPU 1 (Not Supported)");
            long started = System.nanoTime();
            assertThat(nvml.poll(Duration.ofMillis(150))).isEmpty();
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(Duration.ofMillis(140));
        }
    }

    @Test
    void aGpuThatFallsOffTheBusIsReportedLostOnceAndHasNoReading() throws InterruptedException {
        FakeNvml.configure("gpus=4 lost=3");
        try (Nvml nvml = Nvml.open(lib)) {
            assertThat(nvml.poll(Duration.ofSeconds(5))).containsExactly(new GpuEvent(3, fakeUuid(3),
                    GpuEvent.Kind.LOST, 0, true, "GPU is lost: NVML can no longer reach it"));
            assertThat(nvml.read()).extracting(GpuReading::index).containsExactly(0, 1, 2);
            assertThat(nvml.poll(Duration.ofMillis(100))).isEmpty();
        }
    }

    @Test
    void initFailureIsAClearError() {
        FakeNvml.configure("fail_init=1");
        assertThatThrownBy(() -> Nvml.open(lib))
                .isInstanceOf(NvmlException.class)
                .hasMessage("NVML not available: nvmlInit_v2 failed: Driver Not Loaded")
                .extracting(e -> ((NvmlException) e).code()).isEqualTo(9);
    }

    @Test
    void aMissingLibraryIsAClearError(@TempDir Path dir) {
        Path missing = dir.resolve("libnvidia-ml.so.1");
        assertThatThrownBy(() -> Nvml.open(missing))
                .isInstanceOf(NvmlException.class)
                .hasMessage("NVML not available: " + missing + " not found")
                .extracting(e -> ((NvmlException) e).code()).isEqualTo(NvmlLibrary.ERROR_LIBRARY_NOT_FOUND);
    }

    @Test
    void aLibraryWithoutNvmlIsAClearError() {
        Path notNvml = Path.of(System.getProperty("java.home"), "lib", "libjava.so");
        assertThat(notNvml).exists();
        assertThatThrownBy(() -> Nvml.open(notNvml))
                .isInstanceOf(NvmlException.class)
                .hasMessage("NVML not available: " + notNvml + " has no nvmlInit_v2 (driver too old?)");
    }

    @Test
    void closeFreesTheEventSetAndShutsDownOnce() {
        FakeNvml.configure("gpus=2");
        Nvml nvml = Nvml.open(lib);
        assertThat(FakeNvml.counter("init")).isEqualTo(1);
        assertThat(FakeNvml.counter("event_sets")).isEqualTo(1);
        nvml.close();
        nvml.close();
        assertThat(FakeNvml.counter("shutdown")).isEqualTo(1);
        assertThat(FakeNvml.counter("event_sets")).isZero();
        assertThatThrownBy(nvml::read).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> nvml.poll(Duration.ZERO)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void closingEndsAPollBlockedOnAPlatformThread() throws Exception {
        FakeNvml.configure("gpus=2");
        Nvml nvml = Nvml.open(lib);
        CompletableFuture<List<GpuEvent>> polled = new CompletableFuture<>();
        Thread poller = Thread.ofPlatform().start(() -> {
            try {
                polled.complete(nvml.poll(Duration.ofSeconds(30)));
            } catch (Throwable t) {
                polled.completeExceptionally(t);
            }
        });
        FakeNvml.awaitBlockedWait();
        nvml.close();
        assertThatThrownBy(() -> polled.get(5, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(IllegalStateException.class);
        poller.join();
        // The freed set and shutdown came after the wait returned; the fake refuses calls after shutdown.
        assertThat(FakeNvml.counter("shutdown")).isEqualTo(1);
        assertThat(FakeNvml.counter("event_sets")).isZero();
    }

    @Test
    void interruptingThePollerEndsItsWait() throws Exception {
        FakeNvml.configure("gpus=1");
        try (Nvml nvml = Nvml.open(lib)) {
            CompletableFuture<List<GpuEvent>> polled = new CompletableFuture<>();
            Thread poller = Thread.ofPlatform().start(() -> {
                try {
                    polled.complete(nvml.poll(Duration.ofSeconds(30)));
                } catch (Throwable t) {
                    polled.completeExceptionally(t);
                }
            });
            FakeNvml.awaitBlockedWait();
            poller.interrupt();
            assertThatThrownBy(() -> polled.get(2, TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class)
                    .hasCauseInstanceOf(InterruptedException.class);
        }
    }
}
