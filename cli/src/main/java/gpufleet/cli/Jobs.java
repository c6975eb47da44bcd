package gpufleet.cli;

import gpufleet.core.job.JobState;
import tools.jackson.databind.JsonNode;

/**
 * Reading the controller's JSON leniently: a field the controller does not send (an older one, or
 * one not yet added) shows as "-" instead of failing the command.
 */
final class Jobs {
    private Jobs() {}

    /** The field as text, or "-" when it is absent, null or blank. */
    static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull() || v.isMissingNode()) return "-";
        String s = v.isString() ? v.stringValue() : v.toString();
        return s.isBlank() ? "-" : s;
    }

    /** The field as a number, or null when it is absent or not a number. */
    static Double number(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v != null && v.isNumber() ? v.doubleValue() : null;
    }

    static boolean ended(JsonNode job) {
        try {
            return JobState.valueOf(text(job, "state")).isTerminal();
        } catch (IllegalArgumentException e) {
            return false; // a state this CLI does not know is not one it may treat as the end
        }
    }

    /**
     * squeue's TIME: how long a running job has run, how long a waiting one has waited since it was
     * submitted, and for one that ended, how long its last run took (0 if it never ran).
     */
    static double time(JsonNode job, double now) {
        Double submit = number(job, "submitTime"), start = number(job, "startTime"), end = number(job, "endTime");
        if (ended(job)) return start == null || end == null ? 0 : end - start;
        if ("RUNNING".equals(text(job, "state")) && start != null) return now - start;
        return submit == null ? Double.NaN : now - submit;
    }

    static double now() {
        return System.currentTimeMillis() / 1000.0;
    }
}
