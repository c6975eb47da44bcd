package gpufleet.core.sched.framework;

import gpufleet.core.job.Job;
import gpufleet.core.state.Placement;

/**
 * Permit: may hold back a job that could start (the backfill reservation), once before placement
 * (counting GPUs) and once with the placement found, which it may replace by another.
 */
public interface Permit extends Plugin {
    /** Before placement; a status other than OK makes the job wait. */
    Status beforePlace(CycleState s, Job job);

    /** With a placement: the placement to use (perhaps another), or a reason to wait. */
    Verdict permit(CycleState s, Job job, Placement p);

    /** A placement to use, or (placement null) the status the job waits with. */
    record Verdict(Placement placement, Status status) {
        public static Verdict allow(Placement p) {
            return new Verdict(p, Status.OK);
        }

        public static Verdict deny(Status why) {
            return new Verdict(null, why);
        }
    }
}
