package gpufleet.server.control;

import gpufleet.core.state.HostStatus;
import gpufleet.core.topology.Topology;
import gpufleet.protocol.ErrorCode;
import gpufleet.protocol.GpuDescriptor;
import gpufleet.protocol.Registration;
import gpufleet.server.store.HostRecord;
import gpufleet.server.store.NewJob;
import gpufleet.server.store.SqlStore;
import gpufleet.testkit.ManualClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The GPU type each host is scheduled as comes from the models its agent reported. */
class GpuTypesTest {
    @TempDir
    Path dir;

    private static List<GpuDescriptor> gpus(String model, int n) {
        List<GpuDescriptor> out = new ArrayList<>();
        for (int i = 0; i < n; i++) out.add(new GpuDescriptor(i, "GPU-" + model.hashCode() + "-" + i, model, 81_559L));
        return out;
    }

    private static HostRecord host(String name, String rack, String model) {
        return new HostRecord(0, name, rack, "z1", 8, HostStatus.UP, null, 1, null,
                model == null ? List.of() : gpus(model, 8), "", List.of());
    }

    /** Cluster name → its GPU type, and each host's cluster. */
    private static Map<String, String> types(FleetLayout layout) {
        Topology t = layout.topology();
        Map<String, String> out = new TreeMap<>();
        for (var c : t.clusters()) out.put(c.name(), c.gpuType());
        return out;
    }

    private static String clusterOf(FleetLayout layout, String host) {
        Topology t = layout.topology();
        return t.cluster(t.clusterOfHost(layout.indexOf(host))).name();
    }

    @Test
    void eachReportedTypeIsAPoolOfItsOwnAndUnknownModelsFallBackApart() {
        FleetLayout layout = FleetLayout.of(List.of(
                host("h100-a", "r1", "NVIDIA H100 80GB HBM3"),
                host("h100-b", "r2", "NVIDIA H100 80GB HBM3"),
                host("a100", "r1", "NVIDIA A100-SXM4-80GB"),
                host("l40s", "r1", "NVIDIA L40S"),
                host("silent", "r1", null)));
        assertThat(types(layout)).containsExactlyInAnyOrderEntriesOf(Map.of(
                "8x H100-SXM", "H100-SXM",
                "8x A100-SXM-80GB", "A100-SXM-80GB",
                "8x NVIDIA L40S (as H100-SXM)", "H100-SXM",
                "8x unreported (as H100-SXM)", "H100-SXM"));
        assertThat(clusterOf(layout, "h100-a")).isEqualTo(clusterOf(layout, "h100-b"));
        // scheduled as an H100, but never in one gang with real ones
        assertThat(clusterOf(layout, "l40s")).isNotEqualTo(clusterOf(layout, "h100-a"));
        assertThat(layout.largestPool()).isEqualTo(16);
        assertThat(FleetLayout.gpuTypeOf(host("x", "r1", "NVIDIA A100-SXM4-80GB"))).isEqualTo("A100-SXM-80GB");
        assertThat(FleetLayout.gpuTypeOf(host("x", "r1", "NVIDIA L40S"))).isEqualTo(FleetLayout.FALLBACK_GPU_TYPE);
    }

    @Test
    void aHostWithGpusOfTwoTypesFallsBack() {
        List<GpuDescriptor> mixed = new ArrayList<>(gpus("NVIDIA H100 80GB HBM3", 4));
        for (GpuDescriptor g : gpus("NVIDIA H200", 4)) mixed.add(new GpuDescriptor(g.index() + 4, g.uuid(), g.model(), g.memoryMiB()));
        HostRecord h = new HostRecord(0, "odd", "r1", "z1", 8, HostStatus.UP, null, 1, null, mixed, "", List.of());
        assertThat(FleetLayout.reportedType(h)).isEmpty();
        assertThat(types(FleetLayout.of(List.of(h))))
                .containsOnlyKeys("8x NVIDIA H100 80GB HBM3 + NVIDIA H200 (as H100-SXM)");
    }

    @Test
    void theControllerSchedulesByWhatItsAgentsReport() {
        try (Controller c = new Controller(SqlStore.sqlite(dir), new ManualClock(Instant.parse("2026-12-01T00:00:00Z")),
                ControllerOptions.DEFAULTS)) {
            c.registerHost(new Registration("h1", 8, "r1", "z1", null, gpus("NVIDIA H200", 8)), "10.0.0.1");
            c.registerHost(new Registration("a1", 8, "r1", "z1", null, gpus("NVIDIA A100-SXM4-80GB", 8)), "10.0.0.2");
            // two 8-GPU hosts, but of two types: no 16-GPU gang spans them
            assertThatThrownBy(() -> c.submit(new NewJob("wide", "default", 16, 1, 1, 1, 1, List.of("x"), 3, null)))
                    .isInstanceOfSatisfying(RequestError.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UNSATISFIABLE))
                    .hasMessageContaining("at most 8");
            c.registerHost(new Registration("h2", 8, "r2", "z1", null, gpus("NVIDIA H200", 8)), "10.0.0.3");
            long wide = c.submit(new NewJob("wide", "default", 16, 1, 1, 1, 1, List.of("x"), 3, null)).id();
            c.cycle();
            assertThat(c.store().job(wide).orElseThrow().placement()).extracting(p -> p.host())
                    .containsExactlyInAnyOrder("h1", "h2");

            // an agent that comes back reporting other GPUs moves its host to another pool, but not under a job
            assertThatThrownBy(() -> c.registerHost(new Registration("h1", 8, "r1", "z1", null,
                    gpus("NVIDIA B200", 8)), "10.0.0.1"))
                    .isInstanceOfSatisfying(RequestError.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.HOST_BUSY));
            c.registerHost(new Registration("a1", 8, "r1", "z1", null, gpus("NVIDIA H200", 8)), "10.0.0.2");
            long third = c.submit(new NewJob("third", "default", 8, 1, 1, 1, 1, List.of("x"), 3, null)).id();
            c.cycle();
            assertThat(c.store().job(third).orElseThrow().placement()).extracting(p -> p.host()).containsExactly("a1");
        }
    }
}
