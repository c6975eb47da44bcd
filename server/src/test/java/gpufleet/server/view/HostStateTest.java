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
        HostRecord draining = host(HostStatus.DRAINING, 5);
        assertThat(HostState.ofGpu(draining, 0, true)).isEqualTo(HostState.BUSY);
        assertThat(HostState.ofGpu(draining, 1, false)).isEqualTo(HostState.DRAINING);
        assertThat(HostState.ofGpu(draining, 5, false)).isEqualTo(HostState.UNHEALTHY);
        assertThat(HostState.ofGpu(host(HostStatus.DOWN), 0, true)).isEqualTo(HostState.DOWN);
        assertThat(HostState.ofGpu(host(HostStatus.UP), 0, false)).isEqualTo(HostState.FREE);
        assertThat(HostState.BUSY.label()).isEqualTo("busy");
    }
}
