package gpufleet.server.auth;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * A token bucket per client: {@code burst} requests at once, refilled at {@code perSecond}. A client
 * is its token when it presents a valid one, else its address, so one flooding client empties only
 * its own bucket and everyone else goes on as before.
 *
 * <p>Buckets of clients that have been quiet long enough to be full again are dropped once there are
 * more than {@value #MAX_CLIENTS}, so a stream of new addresses cannot grow the map without bound.
 */
public final class RateLimiter {
    static final int MAX_CLIENTS = 100_000;

    /** No limit at all. */
    public static final RateLimiter OFF = new RateLimiter(0, 0, System::nanoTime);

    private final double perSecond;
    private final double burst;
    private final LongSupplier nanos;
    private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();

    private static final class Bucket {
        double tokens;
        long last;

        Bucket(double tokens, long last) {
            this.tokens = tokens;
            this.last = last;
        }
    }

    /** {@code perSecond} 0 turns limiting off. */
    public RateLimiter(double perSecond, double burst, LongSupplier nanos) {
        if (perSecond < 0 || burst < 0) throw new IllegalArgumentException("rate and burst must not be negative");
        this.perSecond = perSecond;
        this.burst = Math.max(1, burst);
        this.nanos = nanos;
    }

    public boolean enabled() {
        return perSecond > 0;
    }

    public double perSecond() {
        return perSecond;
    }

    /** Takes one request from {@code client}'s bucket; false when it is empty. */
    public boolean tryAcquire(String client) {
        if (!enabled()) return true;
        long now = nanos.getAsLong();
        Bucket b = buckets.get(client);
        if (b == null) {
            if (buckets.size() >= MAX_CLIENTS) sweep(now);
            b = buckets.computeIfAbsent(client, k -> new Bucket(burst, now));
        }
        synchronized (b) {
            b.tokens = Math.min(burst, b.tokens + (now - b.last) / 1e9 * perSecond);
            b.last = now;
            if (b.tokens < 1) return false;
            b.tokens -= 1;
            return true;
        }
    }

    private synchronized void sweep(long now) {
        if (buckets.size() < MAX_CLIENTS) return;
        long full = (long) (burst / perSecond * 1e9);
        buckets.values().removeIf(b -> {
            synchronized (b) {
                return now - b.last >= full;
            }
        });
    }

    int clients() {
        return buckets.size();
    }
}
