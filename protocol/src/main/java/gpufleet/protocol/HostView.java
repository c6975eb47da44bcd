package gpufleet.protocol;

import java.util.List;

/**
 * A registered host as {@code GET /hosts}, drain and resume answer it.
 *
 * @param status        UP, DRAINING, DOWN or SPARE (a hot spare kept idle)
 * @param lastHeartbeat when the controller last heard from its agent (seconds since the epoch); null
 *                      until heard from since the controller started
 * @param generation    bumped on every registration: an agent holding an older one is fenced off
 * @param address       where its ranks can be reached
 * @param statusReason  why it is not UP; empty when there is nothing to say
 * @param unhealthyGpus GPU indices reported unhealthy since the host was last resumed
 * @param quarantine    why the host was drained for diagnosis as a lemon (the controller's --quarantine);
 *                      null when it was not. It stays out of service until an admin resumes it
 */
public record HostView(long id, String name, String rack, String zone, int gpus, String status,
                       Double lastHeartbeat, long generation, String address, List<GpuDescriptor> gpuInfo,
                       String statusReason, List<Integer> unhealthyGpus, String quarantine) {
    public HostView {
        gpuInfo = gpuInfo == null ? List.of() : List.copyOf(gpuInfo);
        unhealthyGpus = unhealthyGpus == null ? List.of() : List.copyOf(unhealthyGpus);
    }
}
