package gpufleet.server.control;

import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.concurrent.ConcurrentHashMap;

/**
 * When each agent was last heard, and which hosts have been silent too long. Heartbeat times live in
 * memory only (a write per heartbeat would not scale to 12,500 hosts); after a restart every host
 * gets a fresh timeout, counted from when this controller started. Read and written without the
 * controller's lock.
 */
final class Liveness {
    private final Clock clock;
    private final double timeoutSec;
    private final double startedAt;
    private final ConcurrentHashMap<Long, Double> lastSeen = new ConcurrentHashMap<>();

    Liveness(Clock clock, Duration timeout) {
        this.clock = clock;
        this.timeoutSec = timeout.toMillis() / 1000.0;
        this.startedAt = now();
    }

    /** The controller's time, seconds since the epoch. */
    double now() {
        return clock.millis() / 1000.0;
    }

    void heard(long host, double at) {
        lastSeen.put(host, at);
    }

    /** When the host was last heard since this controller started, or null. */
    Double lastHeard(long host) {
        return lastSeen.get(host);
    }

    /** Seconds the host has been silent at {@code now}. */
    double silentFor(long host, double now) {
        return now - lastSeen.getOrDefault(host, startedAt);
    }

    boolean isSilent(long host, double now) {
        return silentFor(host, now) > timeoutSec;
    }

    /** No agent could report while the database was away: none is counted silent for it. */
    void forgive(Collection<Long> hosts, double now) {
        for (Long id : hosts) lastSeen.merge(id, now, Math::max);
    }
}
