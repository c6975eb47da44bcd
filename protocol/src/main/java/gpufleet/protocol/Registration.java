package gpufleet.protocol;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What an agent says when it starts: {@code POST /api/v1/hosts/register}.
 *
 * @param rack    default {@code rack0}; {@code zone} default {@code zone0}
 * @param address where the host's ranks can be reached (MASTER_ADDR when it holds rank 0); null lets
 *                the controller use the address the request came from
 * @param gpuInfo the GPUs discovered, one per index; may be empty when the agent cannot describe them
 * @param incarnation names one run of the agent process: a registration repeated by the same run (its
 *                    answer was lost) is not a new agent, so the host keeps its generation and its jobs
 */
public record Registration(String name, int gpus, String rack, String zone, String address,
                           List<GpuDescriptor> gpuInfo, String incarnation) {
    public Registration {
        name = Fields.name("name", Fields.required("name", name));
        Fields.range("gpus", gpus, 1, 64);
        rack = rack == null ? "rack0" : Fields.name("rack", rack);
        zone = zone == null ? "zone0" : Fields.name("zone", zone);
        address = Fields.text("address", address, 253);
        gpuInfo = Fields.list("gpuInfo", gpuInfo, 64);
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < gpuInfo.size(); i++) {
            int index = gpuInfo.get(i).index();
            if (index >= gpus)
                throw new InvalidField("gpuInfo[" + i + "].index", "must be in [0, " + (gpus - 1) + "], got " + index);
            if (!seen.add(index)) throw new InvalidField("gpuInfo", "lists GPU index " + index + " twice");
        }
        incarnation = Fields.text("incarnation", incarnation, 128);
    }

    /** A registration that does not say which run of the agent sent it: always a new agent. */
    public Registration(String name, int gpus, String rack, String zone, String address, List<GpuDescriptor> gpuInfo) {
        this(name, gpus, rack, zone, address, gpuInfo, null);
    }
}
