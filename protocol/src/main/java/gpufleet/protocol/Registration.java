package gpufleet.protocol;

import java.util.List;

/**
 * What an agent says when it starts: {@code POST /api/v1/hosts/register}.
 *
 * @param address where the host's ranks can be reached (MASTER_ADDR when it holds rank 0); null lets
 *                the controller use the address the request came from
 * @param gpuInfo the GPUs discovered, one per index; may be empty when the agent cannot describe them
 * @param incarnation names one run of the agent process: a registration repeated by the same run (its
 *                    answer was lost) is not a new agent, so the host keeps its generation and its jobs
 */
public record Registration(String name, int gpus, String rack, String zone, String address,
                           List<GpuDescriptor> gpuInfo, String incarnation) {
    public Registration {
        gpuInfo = gpuInfo == null ? List.of() : List.copyOf(gpuInfo);
    }

    /** A registration that does not say which run of the agent sent it: always a new agent. */
    public Registration(String name, int gpus, String rack, String zone, String address, List<GpuDescriptor> gpuInfo) {
        this(name, gpus, rack, zone, address, gpuInfo, null);
    }
}
