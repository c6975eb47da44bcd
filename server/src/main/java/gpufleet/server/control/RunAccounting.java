package gpufleet.server.control;

import gpufleet.core.lifecycle.Run;
import gpufleet.server.store.JobChange;
import gpufleet.server.store.JobRecord;

/**
 * How a run the lifecycle ended counts in the store: its length, the work it threw away (the
 * lifecycle's arithmetic, from the newest checkpoint the next run can read) and the newest checkpoint
 * seen.
 */
final class RunAccounting {
    private final AgentReports reports;

    RunAccounting(AgentReports reports) {
        this.reports = reports;
    }

    /**
     * A run that is {@code interrupted} leaves the job waiting, and that wait is counted as lost when
     * it runs again; {@code restart} counts one more restart.
     */
    JobChange.Accounting of(JobRecord r, Run.End end, boolean interrupted, boolean restart) {
        if (r == null || r.startTime() == null) return JobChange.Accounting.NONE;
        return new JobChange.Accounting(restart ? 1 : 0, end.held(), end.lost(), checkpointOf(r), interrupted);
    }

    /** The newest checkpoint stored or reported for the job, or null. */
    Double checkpointOf(JobRecord r) {
        Double seen = reports.checkpoint((int) r.id());
        if (seen == null) return r.lastCheckpoint();
        return r.lastCheckpoint() == null ? seen : Math.max(seen, r.lastCheckpoint());
    }

    /**
     * The newest checkpoint the job's next run can read, or null: a host-local directory may be on the
     * host that failed, and ranks renumbered onto other hosts never see it.
     */
    Double survivingCheckpoint(JobRecord r) {
        return Controller.survivesAHost(r) ? checkpointOf(r) : null;
    }
}
