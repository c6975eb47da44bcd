package gpufleet.protocol;

import java.util.List;

/**
 * What an agent says when it starts: {@code POST /api/v1/hosts/register}.
 *
 * @param address where the host's ranks can be reached (MASTER_ADDR when it holds rank 0); null lets
 *                the controller use the address the request came from
 * @param gpuInfo the GPUs discovered, one per index; may be empty when the agent cannot describe them
 */
public record Registration(String name, int gpus, String rack, String zone, String address,
                           List<GpuDescriptor> gpuInfo) {
    public Registration {
        gpuInfo = gpuInfo == null ? List.of() : List.copyOf(gpuInfo);
    }
}
