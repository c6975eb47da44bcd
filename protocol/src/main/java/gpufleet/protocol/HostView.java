package gpufleet.protocol;

import java.util.List;

/**
 * A registered host as {@code GET /hosts}, drain and resume answer it.
 *
 * @param status        UP, DRAINING or DOWN
 * @param lastHeartbeat when the controller last heard from its agent (seconds since the epoch); null
 *                      until heard from since the controller started
 * @param generation    bumped on every registration: an agent holding an older one is fenced off
 * @param address       where its ranks can be reached
 * @param statusReason  why it is not UP; empty when there is nothing to say
 * @param unhealthyGpus GPU indices reported unhealthy since the host was last resumed
 */
public record HostView(long id, String name, String rack, String zone, int gpus, String status,
                       Double lastHeartbeat, long generation, String address, List<GpuDescriptor> gpuInfo,
                       String statusReason, List<Integer> unhealthyGpus) {
    public HostView {
        gpuInfo = gpuInfo == null ? List.of() : List.copyOf(gpuInfo);
        unhealthyGpus = unhealthyGpus == null ? List.of() : List.copyOf(unhealthyGpus);
    }
}
