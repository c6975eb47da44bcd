package gpufleet.server.metrics;

import java.util.Arrays;

/** Counts of observations at or under fixed bounds, their sum and count: a Prometheus histogram. */
final class Histogram {
    private final double[] bounds;
    private final long[] counts; // per bucket, not cumulative; the last is above every bound
    private double sum;
    private long count;

    Histogram(double... bounds) {
        double[] b = bounds.clone();
        Arrays.sort(b);
        this.bounds = b;
        this.counts = new long[b.length + 1];
    }

    synchronized void observe(double v) {
        if (!Double.isFinite(v)) return;
        int i = 0;
        while (i < bounds.length && v > bounds[i]) i++;
        counts[i]++;
        sum += v;
        count++;
    }

    /** Writes {@code name_bucket}, {@code name_sum} and {@code name_count} after the family's header. */
    synchronized void write(Exposition out, String name, String help) {
        out.family(name, "histogram", help);
        long cumulative = 0;
        for (int i = 0; i < bounds.length; i++) {
            cumulative += counts[i];
            out.sample(name + "_bucket", cumulative, "le", Exposition.le(bounds[i]));
        }
        out.sample(name + "_bucket", count, "le", "+Inf");
        out.sample(name + "_sum", sum);
        out.sample(name + "_count", count);
    }
}
