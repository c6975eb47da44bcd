package gpufleet.sim.engine;

import java.util.Arrays;

/**
 * A binary min-heap of events ordered by (time, kind order, sequence number): two events never tie,
 * so a run never depends on heap internals. Stores parallel primitive arrays rather than nodes,
 * because a year of a large fleet pushes millions of events.
 */
final class EventQueue {
    private double[] time = new double[1024];
    private long[] key = new long[1024]; // (order << 56) | seq
    private Object[] payload = new Object[1024];
    private int size;
    private long seq;

    void push(double t, int order, Object event) {
        if (Double.isNaN(t)) throw new IllegalArgumentException("event time is NaN");
        if (size == time.length) {
            time = Arrays.copyOf(time, size * 2);
            key = Arrays.copyOf(key, size * 2);
            payload = Arrays.copyOf(payload, size * 2);
        }
        long k = ((long) order << 56) | (seq++ & ((1L << 56) - 1));
        int i = size++;
        while (i > 0) {
            int p = (i - 1) >>> 1;
            if (!less(t, k, time[p], key[p])) break;
            time[i] = time[p];
            key[i] = key[p];
            payload[i] = payload[p];
            i = p;
        }
        time[i] = t;
        key[i] = k;
        payload[i] = event;
    }

    boolean isEmpty() { return size == 0; }
    int size() { return size; }
    double peekTime() { return time[0]; }

    Object pop() {
        Object top = payload[0];
        int n = --size;
        double t = time[n];
        long k = key[n];
        Object e = payload[n];
        payload[n] = null;
        int i = 0;
        while (true) {
            int l = 2 * i + 1;
            if (l >= n) break;
            int r = l + 1;
            int c = (r < n && less(time[r], key[r], time[l], key[l])) ? r : l;
            if (!less(time[c], key[c], t, k)) break;
            time[i] = time[c];
            key[i] = key[c];
            payload[i] = payload[c];
            i = c;
        }
        if (n > 0) {
            time[i] = t;
            key[i] = k;
            payload[i] = e;
        }
        return top;
    }

    private static boolean less(double t1, long k1, double t2, long k2) {
        return t1 < t2 || (t1 == t2 && k1 < k2);
    }
}
