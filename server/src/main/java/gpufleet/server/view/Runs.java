package gpufleet.server.view;

import gpufleet.core.job.JobState;
import gpufleet.server.store.JobEvent;
import gpufleet.server.store.JobRecord;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** A job's runs (the stretches it held GPUs), read back from its events. */
public final class Runs {
    /** Event kinds that end a run. */
    static final Set<String> ENDS = Set.of("RESTART", "PREEMPTED", "COMPLETED", "CANCELLED", "FAILED");

    /**
     * One run. {@code end} is {@code now} for the run still going ({@code ongoing}); {@code endKind} and
     * {@code endDetail} are the event that ended it (empty while it goes on).
     */
    public record Run(double start, double end, boolean ongoing, String endKind, String endDetail) {
        public double seconds() {
            return Math.max(0, end - start);
        }
    }

    private Runs() {}

    /** The runs in order; a run the events leave open is ongoing while the job is RUNNING and ends at its end otherwise. */
    public static List<Run> of(JobRecord job, List<JobEvent> events, double now) {
        List<Run> out = new ArrayList<>();
        Double open = null;
        for (JobEvent e : events) {
            if (e.kind().equals("STARTED")) {
                open = e.time();
            } else if (open != null && ENDS.contains(e.kind())) {
                out.add(new Run(open, e.time(), false, e.kind(), e.detail() == null ? "" : e.detail()));
                open = null;
            }
        }
        if (open != null) {
            boolean running = job.state() == JobState.RUNNING;
            double end = running ? Math.max(open, now) : job.endTime() != null ? job.endTime() : open;
            out.add(new Run(open, end, running, "", ""));
        }
        return out;
    }

    /** GPU-seconds the job used between {@code from} and {@code to}. */
    public static double gpuSecondsBetween(JobRecord job, List<Run> runs, double from, double to) {
        double s = 0;
        for (Run r : runs) s += Math.max(0, Math.min(r.end(), to) - Math.max(r.start(), from));
        return s * job.gpus();
    }
}
