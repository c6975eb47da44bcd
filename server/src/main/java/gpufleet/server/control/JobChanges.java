package gpufleet.server.control;

import gpufleet.core.job.JobState;
import gpufleet.core.job.TimeLimit;
import gpufleet.core.lifecycle.LifecycleEvent;
import gpufleet.server.store.HostGpus;
import gpufleet.server.store.JobChange;
import gpufleet.server.store.JobRecord;

import java.util.List;

/**
 * How each event the lifecycle plans is written to the store before it is applied: the job's new
 * state, placement and reason, the event its history shows, and how the run that ends counts.
 */
final class JobChanges {
    private final RunAccounting accounting;

    JobChanges(RunAccounting accounting) {
        this.accounting = accounting;
    }

    JobChange started(LifecycleEvent.Started s, List<HostGpus> where, double estimatedEnd) {
        return new JobChange(s.job().id(), JobState.RUNNING, where, "", "STARTED", describe(where),
                JobChange.Accounting.NONE, estimatedEnd);
    }

    JobChange preempted(LifecycleEvent.Preempted p, JobRecord run) {
        return new JobChange(p.job().id(), JobState.PREEMPTED, List.of(), "preempted by job " + p.forJob().id(),
                "PREEMPTED", "for job " + p.forJob().id(), accounting.of(run, p.end(), true, false));
    }

    JobChange rejected(LifecycleEvent.Rejected r) {
        return new JobChange(r.job().id(), JobState.FAILED, List.of(), r.reason(), "REJECTED", r.reason());
    }

    /** A failure stopped the run; {@code kind} names what failed (HOST_LOST, RANK_FAILED, ...). */
    JobChange interrupted(LifecycleEvent.Interrupted ev, JobRecord run, String kind) {
        var o = ev.outcome();
        JobChange.Accounting time = accounting.of(run, ev.end(), true, o.restart())
                .backingOff(Double.isNaN(o.retryAt()) ? null : o.retryAt(), o.quickFailures());
        return new JobChange(ev.job().id(), o.restart() ? JobState.RESTARTING : JobState.FAILED, List.of(), o.reason(),
                o.restart() ? "RESTART" : "FAILED", kind + ": " + ev.cause() + o.backoffNote(), time);
    }

    JobChange completed(LifecycleEvent.Completed ev, JobRecord run) {
        return new JobChange(ev.job().id(), JobState.COMPLETED, List.of(), "completed", "COMPLETED",
                "all " + run.gpus() + " ranks exited 0", accounting.of(run, ev.end(), false, false));
    }

    /** The run outlasted its time limit, as Slurm's TIMEOUT: FAILED, no restart. */
    JobChange timedOut(LifecycleEvent.Failed ev, JobRecord run) {
        return new JobChange(ev.job().id(), JobState.FAILED, List.of(), ev.reason(), "TIMEOUT",
                "ran " + TimeLimit.format(Math.round(ev.end().held())) + "; released " + run.gpus() + " GPUs",
                accounting.of(run, ev.end(), false, false));
    }

    /** {@code ev} is null when the lifecycle does not hold the job (no host registered yet). */
    JobChange cancelled(LifecycleEvent.Cancelled ev, JobRecord rec, JobRecord run) {
        return new JobChange(rec.id(), JobState.CANCELLED, List.of(), "cancelled", "CANCELLED",
                rec.state() == JobState.RUNNING ? "released " + rec.gpus() + " GPUs" : "",
                run == null || ev == null || ev.placement() == null ? JobChange.Accounting.NONE
                        : accounting.of(run, ev.end(), false, false));
    }

    /** "h1 [0, 1]; h2 [0, 1]" */
    static String describe(List<HostGpus> where) {
        StringBuilder sb = new StringBuilder();
        for (HostGpus h : where) {
            if (!sb.isEmpty()) sb.append("; ");
            sb.append(h.host()).append(' ').append(h.gpus());
        }
        return sb.toString();
    }
}
