package gpufleet.cli.loadgen;

import java.util.Arrays;

/**
 * Every sample of one route, kept whole so that percentiles are exact rather than bucketed. A
 * 120-second window at 1,250 heartbeats a second is 150,000 longs (1.2 MB), far cheaper than the
 * doubt an approximate p99 would leave next to a 100 ms target.
 */
public final class Latencies {
    private long[] samples = new long[1024];
    private long[] starts = new long[1024];
    private int count;
    private int errors;

    /** Records one successful call that took {@code nanos}. */
    public void record(long nanos) {
        record(0, nanos);
    }

    /** Records one successful call that started at {@code startNanos} (System.nanoTime) and took {@code nanos}. */
    public synchronized void record(long startNanos, long nanos) {
        if (count == samples.length) {
            samples = Arrays.copyOf(samples, samples.length * 2);
            starts = Arrays.copyOf(starts, starts.length * 2);
        }
        starts[count] = startNanos;
        samples[count++] = nanos;
    }

    /**
     * The samples that started in each second from {@code originNanos}, {@code seconds} of them, so that a
     * slow stretch can be lined up with what else happened then (a collection, a burst of long polls).
     */
    public synchronized Summary[] perSecond(long originNanos, int seconds) {
        Latencies[] by = new Latencies[seconds];
        for (int i = 0; i < seconds; i++) by[i] = new Latencies();
        for (int i = 0; i < count; i++) {
            long s = Math.floorDiv(starts[i] - originNanos, 1_000_000_000L);
            if (s >= 0 && s < seconds) by[(int) s].record(starts[i], samples[i]);
        }
        Summary[] out = new Summary[seconds];
        for (int i = 0; i < seconds; i++) out[i] = by[i].summary();
        return out;
    }

    /** Counts a call that failed or was refused; failures carry no latency. */
    public synchronized void error() {
        errors++;
    }

    public synchronized int errors() {
        return errors;
    }

    /** An immutable, sorted view of what has been recorded so far. */
    public synchronized Summary summary() {
        long[] sorted = Arrays.copyOf(samples, count);
        Arrays.sort(sorted);
        return new Summary(sorted, errors);
    }

    /** Sorted samples with nearest-rank percentiles. */
    public record Summary(long[] sorted, int errors) {
        public int count() {
            return sorted.length;
        }

        /**
         * The nearest-rank percentile: the smallest sample with at least {@code p}% of all samples at
         * or below it; 0 when there are none. Nearest rank never invents a value between two samples,
         * so p99 of 100 samples is the 99th smallest, and p100 is the maximum.
         */
        public long percentile(double p) {
            if (p < 0 || p > 100) throw new IllegalArgumentException("percentile must be in [0, 100], got " + p);
            if (sorted.length == 0) return 0;
            int rank = (int) Math.ceil(p / 100.0 * sorted.length);
            return sorted[Math.max(0, rank - 1)];
        }

        public long max() {
            return sorted.length == 0 ? 0 : sorted[sorted.length - 1];
        }

        public double mean() {
            if (sorted.length == 0) return 0;
            double sum = 0;
            for (long s : sorted) sum += s;
            return sum / sorted.length;
        }

        /** Merges several routes' samples, e.g. for one p99 over every call in the window. */
        public static Summary of(Summary... parts) {
            int n = 0, errors = 0;
            for (Summary s : parts) {
                n += s.sorted.length;
                errors += s.errors;
            }
            long[] all = new long[n];
            int at = 0;
            for (Summary s : parts) {
                System.arraycopy(s.sorted, 0, all, at, s.sorted.length);
                at += s.sorted.length;
            }
            Arrays.sort(all);
            return new Summary(all, errors);
        }
    }
}
