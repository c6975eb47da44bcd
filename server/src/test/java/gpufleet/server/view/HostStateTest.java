package gpufleet.server.view;

import gpufleet.core.state.HostStatus;
import gpufleet.server.store.HostRecord;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class HostStateTest {
    static HostRecord host(HostStatus status, Integer... unhealthy) {
        return new HostRecord(1, "h", "r", "z", 8, status, null, 1, null, List.of(), "", List.of(unhealthy));
    }

    @Test
    void aHostIsDownThenUnhealthyThenDrainingThenBusyThenFree() {
        assertThat(HostState.ofHost(host(HostStatus.DOWN, 3), 8)).isEqualTo(HostState.DOWN);
        assertThat(HostState.ofHost(host(HostStatus.DRAINING, 3), 2)).isEqualTo(HostState.UNHEALTHY);
        assertThat(HostState.ofHost(host(HostStatus.DRAINING), 2)).isEqualTo(HostState.DRAINING);
        assertThat(HostState.ofHost(host(HostStatus.UP), 1)).isEqualTo(HostState.BUSY);
        assertThat(HostState.ofHost(host(HostStatus.UP), 0)).isEqualTo(HostState.FREE);
    }

    @Test
    void aGpuRunningWorkOnADrainingHostIsBusy() {
        HostRecord draining = host(HostStatus.DRAINING);
        assertThat(HostState.ofGpu(draining, 0, true)).isEqualTo(HostState.BUSY);
        assertThat(HostState.ofGpu(draining, 1, false)).isEqualTo(HostState.DRAINING);
        assertThat(HostState.ofGpu(host(HostStatus.DOWN), 0, true)).isEqualTo(HostState.DOWN);
        assertThat(HostState.ofGpu(host(HostStatus.UP), 0, false)).isEqualTo(HostState.FREE);
        assertThat(HostState.BUSY.label()).isEqualTo("busy");
    }

    @Test
    void theIdleGpusOfAHostDrainedForAnXidAreCountedWithItsHostNotAsDraining() {
        // the controller drains a host whose GPU 5 reported an XID: the host is unhealthy, so are its idle GPUs
        HostRecord xid = host(HostStatus.DRAINING, 5);
        assertThat(HostState.ofHost(xid, 1)).isEqualTo(HostState.UNHEALTHY);
        assertThat(HostState.ofGpu(xid, 5, false)).isEqualTo(HostState.UNHEALTHY);
        assertThat(HostState.ofGpu(xid, 1, false)).isEqualTo(HostState.UNHEALTHY);
        assertThat(HostState.ofGpu(xid, 0, true)).isEqualTo(HostState.BUSY);
        var snap = FleetSnapshot.of(List.of(xid, new HostRecord(2, "d", "r", "z", 8, HostStatus.DRAINING, null, 1, null,
                List.of(), "cable swap", List.of())), java.util.Map.of("h", java.util.Map.of(0, 7)), List.of(), 0);
        assertThat(snap.gpus()).containsEntry("draining", 8).containsEntry("unhealthy", 7).containsEntry("busy", 1);
        assertThat(snap.hosts()).containsEntry("draining", 1).containsEntry("unhealthy", 1);
        assertThat(snap.zones().getFirst().racks().getFirst().hosts().getLast().gpuStates())
                .containsExactly("busy", "unhealthy", "unhealthy", "unhealthy", "unhealthy", "unhealthy", "unhealthy", "unhealthy");
    }
}
