package gpufleet.cli;

import gpufleet.core.job.JobState;
import gpufleet.protocol.JobView;

/**
 * Showing the controller's answers: a value the controller does not send (an older one, or a field
 * that has nothing to say) shows as "-" instead of failing the command.
 */
final class Jobs {
    private Jobs() {}

    /** The value as text, or "-" when it is null or blank. */
    static String text(Object v) {
        if (v == null) return "-";
        String s = v.toString();
        return s.isBlank() ? "-" : s;
    }

    static boolean ended(JobView job) {
        try {
            return JobState.valueOf(text(job.state())).isTerminal();
        } catch (IllegalArgumentException e) {
            return false; // a state this CLI does not know is not one it may treat as the end
        }
    }

    /**
     * squeue's TIME: how long a running job has run, how long a waiting one has waited since it was
     * submitted, and for one that ended, how long its last run took (0 if it never ran).
     */
    static double time(JobView job, double now) {
        Double start = job.startTime(), end = job.endTime();
        if (ended(job)) return start == null || end == null ? 0 : end - start;
        if ("RUNNING".equals(job.state()) && start != null) return now - start;
        return now - job.submitTime();
    }

    static double now() {
        return System.currentTimeMillis() / 1000.0;
    }
}
