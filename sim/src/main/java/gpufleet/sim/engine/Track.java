package gpufleet.sim.engine;

import gpufleet.core.job.Job;
import gpufleet.sim.report.SimReport;

import java.util.ArrayList;
import java.util.List;

/** The twin's account of one job: progress and where its time went. */
final class Track {
    final Job job;
    double progress;        // fraction of the job's work committed, 0..1
    double runStart;        // when the current run got its GPUs
    double computeStart;    // when the current run started training (after restart overhead)
    double startup;         // restart overhead + restore of the current run
    double interval;        // seconds of training between checkpoints
    double totalWork;       // seconds of training the whole job needs on its current GPU type
    int generation;         // bumps on every stop, invalidating the old end event
    int cluster = -1;
    double productive, lost, checkpoint, restart;
    double waitingSince;    // for wait accounting after the first start
    double waitAfterStart;
    boolean large;          // reported in the large-jobs table
    boolean crashes;        // crashes for its own reasons when its (shortened) work is done
    List<SimReport.Segment> segments; // only for the job whose timeline is reported

    Track(Job job) {
        this.job = job;
        this.waitingSince = job.submitTime();
    }

    void segment(double start, double end, String kind, String cause) {
        if (segments == null || end <= start) return;
        if (!segments.isEmpty()) {
            var last = segments.getLast();
            if (last.kind().equals(kind) && last.end() == start && last.cause().equals(cause)) {
                segments.set(segments.size() - 1, new SimReport.Segment(last.start(), end, kind, cause));
                return;
            }
        }
        segments.add(new SimReport.Segment(start, end, kind, cause));
    }

    void keepTimeline() {
        if (segments == null) segments = new ArrayList<>();
    }
}
