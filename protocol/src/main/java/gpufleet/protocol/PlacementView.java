package gpufleet.protocol;

import java.util.List;

/** One host's share of a running job's placement: the host's name and its GPU indices, ascending. */
public record PlacementView(String host, List<Integer> gpus) {
    public PlacementView {
        gpus = gpus == null ? List.of() : List.copyOf(gpus);
    }
}
