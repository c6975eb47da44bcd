package gpufleet.server.store;

import gpufleet.core.state.HostStatus;
import gpufleet.protocol.GpuDescriptor;

import java.util.List;

/**
 * A registered host as stored.
 *
 * @param lastHeartbeat  when the controller last heard from its agent (kept in memory, not stored; null
 *                       until heard from since the controller started)
 * @param generation     bumped on every registration: an agent holding an older generation is fenced off
 * @param address        where its ranks can be reached (MASTER_ADDR when it holds rank 0)
 * @param statusReason   why it is not UP (an operator's reason, a lost heartbeat, a GPU error)
 * @param unhealthyGpus  GPU indices reported unhealthy since the host was last resumed
 * @param quarantine     why the host was drained for diagnosis as a lemon (it failed too often), null when
 *                       it was not; it stays out of service until an admin resumes it
 */
public record HostRecord(long id, String name, String rack, String zone, int gpus, HostStatus status,
                         Double lastHeartbeat, long generation, String address, List<GpuDescriptor> gpuInfo,
                         String statusReason, List<Integer> unhealthyGpus, String quarantine) {
    public HostRecord {
        gpuInfo = gpuInfo == null ? List.of() : List.copyOf(gpuInfo);
        unhealthyGpus = unhealthyGpus == null ? List.of() : List.copyOf(unhealthyGpus);
        statusReason = statusReason == null ? "" : statusReason;
    }

    /** A host that is not quarantined. */
    public HostRecord(long id, String name, String rack, String zone, int gpus, HostStatus status,
                      Double lastHeartbeat, long generation, String address, List<GpuDescriptor> gpuInfo,
                      String statusReason, List<Integer> unhealthyGpus) {
        this(id, name, rack, zone, gpus, status, lastHeartbeat, generation, address, gpuInfo, statusReason,
                unhealthyGpus, null);
    }

    /** Whether the host is drained for diagnosis as a lemon. */
    public boolean quarantined() {
        return quarantine != null;
    }

    /** A host with only its shape, as a layout needs it. */
    public HostRecord(long id, String name, String rack, String zone, int gpus, HostStatus status) {
        this(id, name, rack, zone, gpus, status, null, 0, null, List.of(), "", List.of());
    }

    public HostRecord withLastHeartbeat(Double t) {
        return new HostRecord(id, name, rack, zone, gpus, status, t, generation, address, gpuInfo, statusReason,
                unhealthyGpus, quarantine);
    }
}
