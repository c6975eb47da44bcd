package gpufleet.agent.gpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SimulatedGpusTest {

    private static final String MODEL = SimulatedGpus.DEFAULT_MODEL;

    @Test
    void sameSeedSameUuidsAcrossRestarts() {
        List<GpuInfo> first = new SimulatedGpus(8, MODEL, null, "host-17").gpus();
        List<GpuInfo> again = new SimulatedGpus(8, MODEL, null, "host-17").gpus();
        List<GpuInfo> other = new SimulatedGpus(8, MODEL, null, "host-18").gpus();
        assertThat(again).isEqualTo(first);
        assertThat(first).extracting(GpuInfo::uuid).doesNotHaveDuplicates()
                .allMatch(u -> u.matches("GPU-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"))
                .doesNotContainAnyElementsOf(other.stream().map(GpuInfo::uuid).toList());
        assertThat(first).extracting(GpuInfo::index).containsExactly(0, 1, 2, 3, 4, 5, 6, 7);
        assertThat(first).allSatisfy(g -> {
            assertThat(g.model()).isEqualTo("NVIDIA H100 80GB HBM3 (simulated)");
            assertThat(g.memoryBytes()).isEqualTo(80L << 30);
        });
    }

    @Test
    void defaultSeedIsStableOnThisHost() {
        assertThat(new SimulatedGpus(2, MODEL, null).gpus()).isEqualTo(new SimulatedGpus(2, MODEL, null).gpus());
    }

    @Test
    void temperaturesArePlausible() {
        SimulatedGpus gpus = new SimulatedGpus(8, MODEL, null, "h");
        for (int read = 0; read < 10; read++) {
            assertThat(gpus.read()).hasSize(8).allSatisfy(r -> assertThat(r.temperatureC()).isBetween(25, 50));
        }
    }

    @Test
    void needsAtLeastOneGpu() {
        assertThatThrownBy(() -> new SimulatedGpus(0, MODEL, null, "h")).hasMessageContaining("at least 1 GPU");
    }

    @Test
    void injectedXidsArriveWithTheirSeverity() throws InterruptedException {
        SimulatedGpus gpus = new SimulatedGpus(4, MODEL, null, "h");
        gpus.inject(3, 79);
        gpus.inject(1, 13);
        assertThat(gpus.poll(Duration.ZERO)).containsExactly(
                new GpuEvent(3, gpus.gpus().get(3).uuid(), GpuEvent.Kind.XID, 79, true, "XID 79: GPU has fallen off the bus"),
                new GpuEvent(1, gpus.gpus().get(1).uuid(), GpuEvent.Kind.XID, 13, false, Xid.describe(13)));
        assertThat(gpus.poll(Duration.ZERO)).isEmpty();
    }

    @Test
    void injectRejectsAGpuThatDoesNotExist() {
        SimulatedGpus gpus = new SimulatedGpus(8, MODEL, null, "h");
        assertThatThrownBy(() -> gpus.inject(8, 79))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("no GPU 8: this host simulates 8 GPUs (0-7)");
        assertThatThrownBy(() -> gpus.inject(-1, 79)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> gpus.inject(0, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aWaitingPollWakesForAnInjection() throws Exception {
        SimulatedGpus gpus = new SimulatedGpus(2, MODEL, null, "h");
        CompletableFuture<List<GpuEvent>> polled = new CompletableFuture<>();
        Thread poller = pollInBackground(gpus, polled);
        awaitWaiting(poller);
        gpus.inject(0, 94);
        assertThat(polled.get(5, TimeUnit.SECONDS)).extracting(GpuEvent::code).containsExactly(94L);
    }

    @Test
    void aQuietTimeoutReturnsAnEmptyListAfterWaiting(@TempDir Path dir) throws InterruptedException {
        SimulatedGpus gpus = new SimulatedGpus(2, MODEL, dir, "h");
        long started = System.nanoTime();
        assertThat(gpus.poll(Duration.ofMillis(250))).isEmpty();
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(Duration.ofMillis(240));
    }

    @Test
    void requestsFromOutsideAreConsumedInOrder(@TempDir Path dir) throws Exception {
        SimulatedGpus gpus = new SimulatedGpus(4, MODEL, dir, "h");
        Path request = SimulatedGpus.requestXid(dir, 2, 79);
        SimulatedGpus.requestXid(dir, 0, 13);
        SimulatedGpus.requestXid(dir, 3, 48);
        assertThat(request.getFileName().toString()).startsWith("xid-");
        assertThat(Files.readString(request)).isEqualTo("2 79\n");
        assertThat(gpus.poll(Duration.ZERO)).extracting(GpuEvent::index, GpuEvent::code, GpuEvent::fatal)
                .containsExactly(
                        tuple(2, 79L, true),
                        tuple(0, 13L, false),
                        tuple(3, 48L, true));
        try (Stream<Path> left = Files.list(dir)) {
            assertThat(left).isEmpty();
        }
    }

    @Test
    void aWaitingPollPicksUpARequestFile(@TempDir Path dir) throws Exception {
        SimulatedGpus gpus = new SimulatedGpus(2, MODEL, dir, "h");
        CompletableFuture<List<GpuEvent>> polled = new CompletableFuture<>();
        Thread poller = pollInBackground(gpus, polled);
        awaitWaiting(poller);
        SimulatedGpus.requestXid(dir, 1, 79);
        assertThat(polled.get(5, TimeUnit.SECONDS)).extracting(GpuEvent::index, GpuEvent::code)
                .containsExactly(tuple(1, 79L));
    }

    @Test
    void aBadRequestIsKeptAsideWithTheReason(@TempDir Path dir) throws Exception {
        SimulatedGpus gpus = new SimulatedGpus(8, MODEL, dir, "h");
        Files.writeString(dir.resolve("xid-too-far"), "9 79\n");
        Files.writeString(dir.resolve("xid-garbage"), "GPU nine\n");
        assertThat(gpus.poll(Duration.ZERO)).isEmpty();
        assertThat(dir.resolve("xid-too-far")).doesNotExist();
        assertThat(Files.readString(dir.resolve("xid-too-far.rejected")))
                .isEqualTo("9 79\n# rejected: no GPU 9: this host simulates 8 GPUs (0-7)\n");
        assertThat(Files.readString(dir.resolve("xid-garbage.rejected"))).contains("# rejected: expected \"<gpu> <xid>\"");
        assertThat(gpus.poll(Duration.ZERO)).isEmpty();
        assertThat(dir.resolve("xid-too-far.rejected")).exists();
    }

    @Test
    void otherFilesInTheDirectoryAreLeftAlone(@TempDir Path dir) throws Exception {
        SimulatedGpus gpus = new SimulatedGpus(2, MODEL, dir, "h");
        Files.writeString(dir.resolve("README"), "0 79\n");
        Files.writeString(dir.resolve(".tmp-123"), "0 79\n");
        assertThat(gpus.poll(Duration.ZERO)).isEmpty();
        assertThat(dir.resolve("README")).exists();
        assertThat(dir.resolve(".tmp-123")).exists();
    }

    @Test
    void requestXidValidatesWhatItCan(@TempDir Path dir) {
        assertThatThrownBy(() -> SimulatedGpus.requestXid(dir, -1, 79)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SimulatedGpus.requestXid(dir, 0, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void createsItsInjectDirectory(@TempDir Path dir) {
        Path inject = dir.resolve("a/b/inject");
        new SimulatedGpus(1, MODEL, inject, "h");
        assertThat(inject).isDirectory();
    }

    @Test
    void closedGpusRefuseToPoll() {
        SimulatedGpus gpus = new SimulatedGpus(1, MODEL, null, "h");
        gpus.close();
        assertThatThrownBy(() -> gpus.poll(Duration.ZERO)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void telemetryLooksLikeAnH100AtWorkOrIdleAndCountsEccErrors() {
        try (SimulatedGpus g = new SimulatedGpus(4, SimulatedGpus.DEFAULT_MODEL, null, "h")) {
            g.inject(2, 48);
            var t = g.telemetry(java.util.Set.of(0, 1));
            assertThat(t).hasSize(4);
            for (var busy : t.subList(0, 2)) {
                assertThat(busy.utilizationPct()).isBetween(88, 99);
                assertThat(busy.powerW()).isBetween(550, 700);
                assertThat(busy.temperatureC()).isBetween(60, 85);
                assertThat(busy.memoryUsedBytes()).isGreaterThan(busy.memoryTotalBytes() / 2).isLessThanOrEqualTo(busy.memoryTotalBytes());
            }
            for (var idle : t.subList(2, 4)) {
                assertThat(idle.utilizationPct()).isZero();
                assertThat(idle.powerW()).isBetween(60, 80);
                assertThat(idle.temperatureC()).isBetween(30, 45);
            }
            assertThat(t.get(2).eccErrors()).as("XID 48, a double-bit ECC error").isEqualTo(1);
            assertThat(t.get(3).eccErrors()).isZero();
        }
    }

    private static Thread pollInBackground(SimulatedGpus gpus, CompletableFuture<List<GpuEvent>> polled) {
        return Thread.ofPlatform().start(() -> {
            try {
                polled.complete(gpus.poll(Duration.ofSeconds(30)));
            } catch (Throwable t) {
                polled.completeExceptionally(t);
            }
        });
    }

    /** Until the poller is parked in its timed wait (so what the test does next must wake it), 10 s at most. */
    private static void awaitWaiting(Thread poller) {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (poller.getState() != Thread.State.TIMED_WAITING) {
            assertThat(System.nanoTime()).as("poller still not waiting after 10 s").isLessThan(deadline);
            Thread.onSpinWait();
        }
    }
}
