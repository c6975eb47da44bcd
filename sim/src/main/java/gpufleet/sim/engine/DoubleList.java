package gpufleet.sim.engine;

import java.util.Arrays;

/** A growable array of doubles, for samples too many to box. */
final class DoubleList {
    private double[] a = new double[256];
    private int n;

    void add(double v) {
        if (n == a.length) a = Arrays.copyOf(a, n * 2);
        a[n++] = v;
    }

    int size() { return n; }

    double[] sorted() {
        double[] s = Arrays.copyOf(a, n);
        Arrays.sort(s);
        return s;
    }

    /** Nearest-rank percentile of a sorted array; NaN when empty. */
    static double percentile(double[] sorted, double p) {
        if (sorted.length == 0) return Double.NaN;
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.clamp(rank - 1, 0, sorted.length - 1)];
    }
}
