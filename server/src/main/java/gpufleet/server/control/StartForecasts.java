package gpufleet.server.control;

import gpufleet.core.job.Job;
import gpufleet.core.lifecycle.Lifecycle;
import gpufleet.core.lifecycle.StartForecast;
import gpufleet.core.state.FleetState;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * The controller's expected-start forecasts, each reused for a few seconds: a forecast of a long
 * queue costs up to a second of CPU, and every dashboard and {@code gpufleet queue} asks for one.
 * The snapshot is taken under the controller's lock (its supplier), the forecast runs outside it,
 * and concurrent callers share one computation.
 */
final class StartForecasts {
    /** How long a forecast is served before the next request computes a new one. */
    static final double MAX_AGE_SEC = 5;

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm 'UTC'", Locale.ROOT)
            .withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter DAY_TIME = DateTimeFormatter.ofPattern("MMM d HH:mm 'UTC'", Locale.ROOT)
            .withZone(ZoneOffset.UTC);

    private StartForecast.Result last;
    private double lastAt = Double.NEGATIVE_INFINITY;
    private Shape lastShape;

    /**
     * Which jobs wait and which run, in order, and the hosts' states: a forecast is reused only while
     * these are unchanged, so a job submitted, started or ended since is never missing from one. Read
     * from the lifecycle under the controller's lock: a few int arrays, far cheaper than a snapshot.
     */
    record Shape(int[] waiting, int[] running, byte[] hosts) {
        static Shape of(Lifecycle lc) {
            FleetState st = lc.fleet();
            byte[] hosts = new byte[st.topology().hostCount()];
            for (int h = 0; h < hosts.length; h++) hosts[h] = (byte) st.status(h).ordinal();
            return new Shape(lc.waiting().stream().mapToInt(Job::id).toArray(),
                    lc.running().all().stream().mapToInt(Job::id).toArray(), hosts);
        }

        boolean same(Shape o) {
            return o != null && Arrays.equals(waiting, o.waiting) && Arrays.equals(running, o.running)
                    && Arrays.equals(hosts, o.hosts);
        }
    }

    /**
     * The forecast at {@code now}: the cached one if younger than {@link #MAX_AGE_SEC} and taken of the
     * same shape ({@code shape}, read under the controller's lock); else a new one of {@code snapshot}.
     * Null when either gives null (no fleet yet).
     */
    synchronized StartForecast.Result get(double now, Supplier<Shape> shape, Supplier<StartForecast.Snapshot> snapshot) {
        Shape sh = shape.get();
        if (sh == null) return null;
        if (last != null && now - lastAt < MAX_AGE_SEC && now >= lastAt && sh.same(lastShape)) return last;
        StartForecast.Snapshot s = snapshot.get();
        if (s == null) return null;
        last = StartForecast.run(s, StartForecast.DEFAULT_HORIZON_SEC, t -> clock(s.now(), t));
        lastAt = now;
        // the shape read before the snapshot: should the two differ, the next call computes afresh
        lastShape = sh;
        return last;
    }

    /** A time in a reason: the hour, with the day when it is not today's. */
    static String clock(double now, double t) {
        Instant a = Instant.ofEpochMilli((long) (now * 1000)), b = Instant.ofEpochMilli((long) (t * 1000));
        boolean sameDay = a.atZone(ZoneOffset.UTC).toLocalDate().equals(b.atZone(ZoneOffset.UTC).toLocalDate());
        return (sameDay ? TIME : DAY_TIME).format(b);
    }
}
