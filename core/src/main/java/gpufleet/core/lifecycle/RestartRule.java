package gpufleet.core.lifecycle;

import gpufleet.core.job.RestartBackoff;

/**
 * The one rule for a run stopped by a failure, for the twin and the controller alike: whether the
 * job comes back, when, and how its reason reads.
 *
 * <p>A job comes back while it has restarts left, unless a rank could not be started at all. Only a
 * failure of the job's own processes ({@link Fault#JOB}) backs off ({@link RestartBackoff}); lost
 * hardware is taken out of service, so its jobs restart at once elsewhere.
 */
public record RestartRule(RestartBackoff backoff) {
    public static final RestartRule IMMEDIATE = new RestartRule(RestartBackoff.NONE);

    public RestartRule {
        if (backoff == null) backoff = RestartBackoff.NONE;
    }

    /** Whose fault an interruption is, which decides how the job comes back. */
    public enum Fault {
        /** a host, a GPU or an agent went away: that part is out of service, so restart at once elsewhere */
        HARDWARE,
        /** the job's own process failed: restart, backing off if it keeps failing soon after starting */
        JOB,
        /** a rank could not be started at all (exit 126/127): no restart can help */
        CANNOT_START
    }

    /**
     * What happens to the job.
     *
     * @param restart       whether it waits to run again (else it FAILED)
     * @param reason        its reason from now on
     * @param retryAt       the earliest time it may run again, or NaN for at once
     * @param quickFailures its quick failures in a row from now on
     * @param backoffNote   the backoff in words ("" for none), for event details
     */
    public record Outcome(boolean restart, String reason, double retryAt, int quickFailures, String backoffNote) {}

    /**
     * The outcome of a run of {@code runSeconds} stopped at {@code now} by {@code cause}, for a job that
     * has restarted {@code restarts} times of {@code maxRestarts}, with {@code quickFailures} quick
     * failures in a row until now.
     */
    public Outcome decide(String cause, Fault fault, int restarts, int maxRestarts, int quickFailures,
                          double runSeconds, double now) {
        boolean again = fault != Fault.CANNOT_START && restarts < maxRestarts;
        double retry = Double.NaN;
        int quick = runSeconds >= backoff.healthyRun() ? 0 : quickFailures;
        String wait = "";
        if (again && fault == Fault.JOB) {
            quick = backoff.quickFailures(quickFailures, runSeconds);
            double delay = backoff.delay(quick);
            if (delay > 0) {
                retry = now + delay;
                wait = "; next try in " + Math.round(delay) + " s (" + quick
                        + (quick == 1 ? " quick failure" : " quick failures in a row") + ")";
            }
        }
        String reason = fault == Fault.CANNOT_START ? "failed: " + cause + " (not restarted: no restart can start it)"
                : again ? "restarting after: " + cause + wait
                : "failed after " + restarts + " restarts (max " + maxRestarts + "): " + cause;
        return new Outcome(again, reason, retry, quick, wait);
    }
}
