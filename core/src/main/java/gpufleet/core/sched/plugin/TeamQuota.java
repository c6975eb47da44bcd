package gpufleet.core.sched.plugin;

import gpufleet.core.job.Job;
import gpufleet.core.sched.framework.CycleState;
import gpufleet.core.sched.framework.PreFilter;
import gpufleet.core.sched.framework.Status;

/** Hard team quotas: a job that would take its team past its quota (GPUs held at once) waits. */
public record TeamQuota() implements PreFilter {
    @Override public String name() { return "team-quota"; }

    @Override
    public Status preFilter(CycleState s, Job job) {
        int use = s.teamUse(job.team());
        int limit = s.quotas().limit(job.team());
        if ((long) use + job.gpus() <= limit) return Status.OK;
        return new Status(Status.Code.TEAM_QUOTA, Status.REASON_QUOTA + " (" + job.team() + ": " + use + " + "
                + job.gpus() + " > " + limit + " GPUs)");
    }
}
