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
 */
public record HostRecord(long id, String name, String rack, String zone, int gpus, HostStatus status,
                         Double lastHeartbeat, long generation, String address, List<GpuDescriptor> gpuInfo,
                         String statusReason, List<Integer> unhealthyGpus) {
    public HostRecord {
        gpuInfo = gpuInfo == null ? List.of() : List.copyOf(gpuInfo);
        unhealthyGpus = unhealthyGpus == null ? List.of() : List.copyOf(unhealthyGpus);
        statusReason = statusReason == null ? "" : statusReason;
    }

    /** A host with only its shape, as a layout needs it. */
    public HostRecord(long id, String name, String rack, String zone, int gpus, HostStatus status) {
        this(id, name, rack, zone, gpus, status, null, 0, null, List.of(), "", List.of());
    }

    public HostRecord withLastHeartbeat(Double t) {
        return new HostRecord(id, name, rack, zone, gpus, status, t, generation, address, gpuInfo, statusReason,
                unhealthyGpus);
    }
}
