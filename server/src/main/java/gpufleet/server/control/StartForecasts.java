package gpufleet.server.control;

import gpufleet.core.lifecycle.StartForecast;

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
     * these are unchanged, so a job submitted, started or ended since is never missing from one.
     */
    private record Shape(int[] waiting, int[] running, byte[] hosts) {
        static Shape of(StartForecast.Snapshot s) {
            return new Shape(s.waiting().stream().mapToInt(StartForecast.Waiting::id).toArray(),
                    s.running().stream().mapToInt(StartForecast.Running::id).toArray(), s.hostStatus());
        }

        boolean same(Shape o) {
            return o != null && Arrays.equals(waiting, o.waiting) && Arrays.equals(running, o.running)
                    && Arrays.equals(hosts, o.hosts);
        }
    }

    /**
     * The forecast at {@code now}: the cached one if younger than {@link #MAX_AGE_SEC} and taken of
     * the same queue, running jobs and hosts; null when {@code snapshot} gives null (no fleet yet).
     * The copy is cheap beside the forecast (milliseconds against up to a second at 10,000 jobs).
     */
    synchronized StartForecast.Result get(double now, Supplier<StartForecast.Snapshot> snapshot) {
        StartForecast.Snapshot s = snapshot.get();
        if (s == null) return null;
        Shape shape = Shape.of(s);
        if (last != null && now - lastAt < MAX_AGE_SEC && now >= lastAt && shape.same(lastShape)) return last;
        last = StartForecast.run(s, StartForecast.DEFAULT_HORIZON_SEC, t -> clock(s.now(), t));
        lastAt = now;
        lastShape = shape;
        return last;
    }

    /** A time in a reason: the hour, with the day when it is not today's. */
    static String clock(double now, double t) {
        Instant a = Instant.ofEpochMilli((long) (now * 1000)), b = Instant.ofEpochMilli((long) (t * 1000));
        boolean sameDay = a.atZone(ZoneOffset.UTC).toLocalDate().equals(b.atZone(ZoneOffset.UTC).toLocalDate());
        return (sameDay ? TIME : DAY_TIME).format(b);
    }
}
