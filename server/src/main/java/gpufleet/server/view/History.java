package gpufleet.server.view;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The fleet over time, kept by the controller at a resolution that decays with age: a sample every
 * {@value #FINE_SECONDS} s for the last day, and their means over {@value #COARSE_SECONDS} s for
 * {@value #COARSE_DAYS} days (about 35,000 points in all, a few MB). In memory: a controller that
 * restarts starts a new history (its Prometheus metrics, scraped into Prometheus, are the record
 * that survives; docs/grafana holds a dashboard for them).
 */
public final class History {
    public static final int FINE_SECONDS = 10;
    public static final int COARSE_SECONDS = 300;
    public static final int COARSE_DAYS = 90;
    static final int FINE_POINTS = 86_400 / FINE_SECONDS;
    static final int COARSE_POINTS = COARSE_DAYS * 86_400 / COARSE_SECONDS;

    /**
     * The fleet at {@code time} (for a coarse point, the mean over its span, which starts at {@code time}).
     *
     * @param allocation share of all GPUs running work
     * @param goodput    the running jobs' effective training time ratio, weighted by their GPUs (null with none running)
     * @param teamGpus   GPUs each team's running jobs hold
     */
    public record Point(double time, double allocation, double busyGpus, double gpus, double waitingJobs, double waitingGpus,
                        Double goodput, Map<String, Double> teamGpus) {}

    private final Ring fine = new Ring(FINE_POINTS);
    private final Ring coarse = new Ring(COARSE_POINTS);
    private final List<Point> bucket = new ArrayList<>();
    private double bucketStart = Double.NaN;

    /** Adds a sample (times increasing); the coarse tier gets the mean of each full {@value #COARSE_SECONDS} s. */
    public synchronized void add(Point p) {
        fine.add(p);
        double start = Math.floor(p.time() / COARSE_SECONDS) * COARSE_SECONDS;
        if (!bucket.isEmpty() && start != bucketStart) {
            coarse.add(mean(bucketStart, bucket));
            bucket.clear();
        }
        bucketStart = start;
        bucket.add(p);
    }

    /**
     * The points from {@code from} to {@code to}: the fine ones when the fine tier reaches back to
     * {@code from} or still holds the whole history (it is less than a day old), else the coarse ones,
     * with the bucket still filling as its mean so far.
     */
    public synchronized List<Point> range(double from, double to) {
        Point oldestFine = fine.first();
        if (oldestFine == null) return new ArrayList<>();
        if (!fine.full() || oldestFine.time() <= from + FINE_SECONDS) return fine.between(from, to);
        List<Point> out = coarse.between(from, to);
        if (!bucket.isEmpty() && bucketStart <= to) out.add(mean(bucketStart, bucket));
        return out;
    }

    private static Point mean(double start, List<Point> ps) {
        double a = 0, b = 0, g = 0, wj = 0, wg = 0, gp = 0;
        int gpN = 0;
        Map<String, Double> teams = new TreeMap<>();
        for (Point p : ps) {
            a += p.allocation();
            b += p.busyGpus();
            g += p.gpus();
            wj += p.waitingJobs();
            wg += p.waitingGpus();
            if (p.goodput() != null) {
                gp += p.goodput();
                gpN++;
            }
            p.teamGpus().forEach((t, v) -> teams.merge(t, v, Double::sum));
        }
        int n = ps.size();
        Map<String, Double> teamMeans = new LinkedHashMap<>();
        teams.forEach((t, v) -> teamMeans.put(t, v / n));
        return new Point(start, a / n, b / n, g / n, wj / n, wg / n, gpN == 0 ? null : gp / gpN, teamMeans);
    }

    /** A fixed-size ring of points in time order. */
    private static final class Ring {
        private final Point[] items;
        private int head, size;

        Ring(int capacity) {
            items = new Point[capacity];
        }

        void add(Point p) {
            items[(head + size) % items.length] = p;
            if (size < items.length) size++;
            else head = (head + 1) % items.length;
        }

        Point first() {
            return size == 0 ? null : items[head];
        }

        boolean full() {
            return size == items.length;
        }

        List<Point> between(double from, double to) {
            List<Point> out = new ArrayList<>();
            for (int i = 0; i < size; i++) {
                Point p = items[(head + i) % items.length];
                if (p.time() >= from && p.time() <= to) out.add(p);
            }
            return out;
        }
    }
}
