package gpufleet.server.store;

import java.util.List;

/** One host's share of a job's placement: the host's name and the GPU indices on it, ascending. */
public record HostGpus(String host, List<Integer> gpus) {
    public HostGpus {
        gpus = List.copyOf(gpus);
    }
}
