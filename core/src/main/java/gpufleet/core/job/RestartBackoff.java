package gpufleet.core.job;

/**
 * How long a job that keeps failing waits before it runs again: the crash-loop rule.
 *
 * <p>A run that fails soon after it starts ({@code run < healthyRun}) is a <i>quick failure</i>; the
 * n-th quick failure in a row waits {@code min(max, base * 2^(n-1))} before the next try, the way
 * Kubernetes backs off a crash-looping container (10 s doubling to 5 minutes, reset after 10 minutes of
 * running; kubernetes.io, "Pod Lifecycle", container restart policy). A run that lasted
 * {@code healthyRun} or longer resets the count and its job restarts at once: a failure after hours of
 * training is news about the hardware or the data, not a loop, and every second of waiting is lost
 * GPU time.
 *
 * <p>Only failures of the job's own processes count; a lost host or a failed GPU is taken out of
 * service, so its job restarts at once elsewhere and its count is left as it was.
 *
 * @param base       the wait after the first quick failure, seconds
 * @param max        the longest wait, seconds
 * @param healthyRun how long a run must last to count as healthy, seconds
 */
public record RestartBackoff(double base, double max, double healthyRun) {
    /** 10 s doubling to 5 minutes, reset by 10 minutes of running. */
    public static final RestartBackoff DEFAULT = new RestartBackoff(10, 300, 600);
    /** No waiting at all. */
    public static final RestartBackoff NONE = new RestartBackoff(0, 0, 0);

    public RestartBackoff {
        if (!(base >= 0) || !(max >= base) || !(healthyRun >= 0) || Double.isInfinite(max) || Double.isInfinite(healthyRun))
            throw new IllegalArgumentException("restart backoff needs 0 <= base <= max and healthyRun >= 0, finite; got base "
                    + base + ", max " + max + ", healthyRun " + healthyRun);
    }

    /** Quick failures in a row after a failed run of {@code runSeconds}, given {@code before} in a row until then. */
    public int quickFailures(int before, double runSeconds) {
        return runSeconds < healthyRun ? before + 1 : 0;
    }

    /** The wait before the next try after {@code quickFailures} quick failures in a row (0 for none). */
    public double delay(int quickFailures) {
        if (quickFailures <= 0 || base == 0) return 0;
        double d = base * Math.pow(2, Math.min(quickFailures - 1, 62));
        return Math.min(max, d);
    }
}
