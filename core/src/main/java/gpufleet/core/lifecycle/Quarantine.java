package gpufleet.core.lifecycle;

/**
 * Lemon-host quarantine: a host with {@code failures} or more unplanned failures within
 * {@code windowSec} is drained for diagnosis when its repair ends, instead of returning to service.
 * Kokolis et al. ("Revisiting Reliability in Large-Scale Machine Learning Research Clusters", 2024)
 * found about 1.2% of hosts failing far more often than the rest and large jobs' failures falling
 * from 14% to 4% once those were taken out; a repeat failure within a short window is what sets
 * such a host apart, since an ordinary host fails about once in a year and a half.
 *
 * @param failures  failures within the window that mark a lemon; 0 turns quarantine off
 * @param windowSec the window, seconds
 */
public record Quarantine(int failures, double windowSec) {
    public static final Quarantine OFF = new Quarantine(0, 0);

    public Quarantine {
        if (failures < 0) throw new IllegalArgumentException("quarantine threshold must be >= 0, got " + failures);
        if (failures > 0 && !(windowSec > 0 && windowSec <= 3650 * 86_400.0))
            throw new IllegalArgumentException("quarantine window must be in (0, 3650 days], got " + windowSec + " s");
    }

    public boolean on() {
        return failures > 0;
    }
}
