package gpufleet.server.view;

import gpufleet.protocol.GpuHealth;
import gpufleet.protocol.GpuTelemetry;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class TelemetryBookTest {
    static GpuTelemetry reading(int gpu, int util) {
        return new GpuTelemetry(gpu, util, 1L << 30, 80L << 30, 600, 70, 0L);
    }

    @Test
    void keepsTheNewestReadingsAndABoundedHistoryPerGpu() {
        TelemetryBook b = new TelemetryBook();
        for (int i = 0; i < TelemetryBook.SAMPLES + 15; i++) b.record("a", i * 10, List.of(reading(0, i % 100), reading(1, 5)), List.of());
        var t = b.of("a");
        assertThat(t.gpus()).extracting(TelemetryBook.Gpu::index).containsExactly(0, 1);
        assertThat(t.gpus().getFirst().utilizationPct()).isEqualTo((TelemetryBook.SAMPLES + 14) % 100);
        assertThat(t.gpus().getFirst().history()).hasSize(TelemetryBook.SAMPLES);
        assertThat(t.gpus().getFirst().history().getFirst().time()).isEqualTo(150);
        // heartbeats without telemetry (most of them) change nothing
        b.record("a", 99_999, List.of(), List.of());
        assertThat(b.of("a").gpus().getFirst().time()).isEqualTo((TelemetryBook.SAMPLES + 14) * 10);
    }

    @Test
    void anErrorRepeatedInEveryHeartbeatIsRecordedOnceAndAgainWhenItReturns() {
        TelemetryBook b = new TelemetryBook();
        GpuHealth xid = new GpuHealth(3, false, 79, "XID 79: fell off the bus");
        for (int i = 0; i < 5; i++) b.record("a", i, List.of(), List.of(xid));
        assertThat(b.of("a").xids()).singleElement().satisfies(x -> {
            assertThat(x.gpu()).isEqualTo(3);
            assertThat(x.xid()).isEqualTo(79);
            assertThat(x.time()).isEqualTo(0);
        });
        b.record("a", 10, List.of(), List.of()); // healed
        b.record("a", 20, List.of(), List.of(xid));
        b.record("a", 21, List.of(), List.of(xid, new GpuHealth(5, false, 48, "XID 48: double-bit ECC error")));
        assertThat(b.of("a").xids()).extracting(TelemetryBook.Xid::time).containsExactly(0.0, 20.0, 21.0);
        assertThat(b.of("nobody").gpus()).isEmpty();
    }
}
