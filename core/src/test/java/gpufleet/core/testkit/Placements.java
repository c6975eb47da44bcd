package gpufleet.core.testkit;

import gpufleet.core.state.Placement;
import gpufleet.core.topology.Topology;

import java.util.Map;
import java.util.TreeMap;

/** Hand-made placements: {@code Placements.of().on(0, 0b1111).on(3, 0xff).build()}. */
public final class Placements {
    private final Map<Integer, Long> masks = new TreeMap<>();

    private Placements() {}

    public static Placements of() {
        return new Placements();
    }

    /** Every GPU of each of the given hosts. */
    public static Placement whole(Topology t, int... hosts) {
        var p = of();
        for (int h : hosts) p.on(h, full(t.gpusOnHost(h)));
        return p.build();
    }

    /** The lowest {@code n} GPUs of host {@code h}. */
    public static Placement first(int h, int n) {
        return of().on(h, full(n)).build();
    }

    public static long full(int gpus) {
        return gpus == 64 ? -1L : (1L << gpus) - 1;
    }

    public Placements on(int host, long mask) {
        masks.merge(host, mask, (a, b) -> a | b);
        return this;
    }

    public Placement build() {
        int[] hs = new int[masks.size()];
        long[] ms = new long[masks.size()];
        int i = 0;
        for (var e : masks.entrySet()) {
            hs[i] = e.getKey();
            ms[i++] = e.getValue();
        }
        return new Placement(hs, ms);
    }
}
