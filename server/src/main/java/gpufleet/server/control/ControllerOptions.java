package gpufleet.server.control;

import gpufleet.core.job.RestartBackoff;
import gpufleet.core.lifecycle.Quarantine;
import gpufleet.core.sched.Policy;

import java.time.Duration;

/**
 * How a controller treats hosts and failing jobs, parsed once from its command line.
 *
 * @param heartbeatTimeout how long a host may stay silent before it is declared lost
 * @param restartBackoff   how long a job whose processes keep failing waits between tries
 * @param checkpointRoot   shared storage (mounted at the same path on every host) under which each job
 *                         that names no checkpoint directory gets {@code <root>/<job id>}; null for none,
 *                         in which case such jobs checkpoint to their hosts' local disks
 * @param policy           the scheduling policy (one of {@code PolicyRegistry}'s), {@link Policy#GPUFLEET} by default
 * @param quarantine       lemon-host quarantine ({@link Quarantine#OFF} by default, as in the twin)
 * @param checkpointCostSec seconds one checkpoint stalls a job, for the interval each job is advised
 *                         ({@link CheckpointIntervals#DEFAULT_COST_SEC} by default)
 * @param spares           hot spares to keep idle in each pool of hosts of one GPU type and count
 *                         ({@link HotSpares}); 0, the default, keeps none and restarts a broken gang afresh
 * @param hangTimeoutSec   seconds a run that reported progress may go without reporting more before it is
 *                         taken as hung and restarted ({@link HangWatch}); 0, the default, turns the
 *                         detector off
 */
public record ControllerOptions(Duration heartbeatTimeout, RestartBackoff restartBackoff, String checkpointRoot,
                                Policy policy, Quarantine quarantine, double checkpointCostSec, int spares,
                                double hangTimeoutSec) {
    public static final ControllerOptions DEFAULTS =
            new ControllerOptions(Controller.DEFAULT_HEARTBEAT_TIMEOUT, RestartBackoff.DEFAULT, null, Policy.GPUFLEET);

    public ControllerOptions {
        if (heartbeatTimeout == null || heartbeatTimeout.isNegative() || heartbeatTimeout.isZero())
            throw new IllegalArgumentException("the heartbeat timeout must be positive");
        if (restartBackoff == null) restartBackoff = RestartBackoff.DEFAULT;
        if (checkpointRoot != null && !checkpointRoot.startsWith("/"))
            throw new IllegalArgumentException("--checkpoint-root must be an absolute path (every host mounts it at the same"
                    + " place), got '" + checkpointRoot + "'");
        if (policy == null) policy = Policy.GPUFLEET;
        if (quarantine == null) quarantine = Quarantine.OFF;
        if (!(checkpointCostSec > 0 && checkpointCostSec <= 86_400))
            throw new IllegalArgumentException("the checkpoint cost must be in (0, 86400] seconds, got " + checkpointCostSec);
        if (spares < 0 || spares > 100_000) throw new IllegalArgumentException("--spares must be in [0, 100000], got " + spares);
        if (!(hangTimeoutSec >= 0 && hangTimeoutSec <= 86_400))
            throw new IllegalArgumentException("--hang-timeout must be in [0, 86400] seconds, got " + hangTimeoutSec);
    }

    public ControllerOptions(Duration heartbeatTimeout, RestartBackoff restartBackoff, String checkpointRoot,
                             Policy policy, Quarantine quarantine, double checkpointCostSec, int spares) {
        this(heartbeatTimeout, restartBackoff, checkpointRoot, policy, quarantine, checkpointCostSec, spares, 0);
    }

    public ControllerOptions(Duration heartbeatTimeout, RestartBackoff restartBackoff, String checkpointRoot,
                             Policy policy, Quarantine quarantine, double checkpointCostSec) {
        this(heartbeatTimeout, restartBackoff, checkpointRoot, policy, quarantine, checkpointCostSec, 0);
    }

    public ControllerOptions(Duration heartbeatTimeout, RestartBackoff restartBackoff, String checkpointRoot, Policy policy) {
        this(heartbeatTimeout, restartBackoff, checkpointRoot, policy, Quarantine.OFF, CheckpointIntervals.DEFAULT_COST_SEC);
    }

    public ControllerOptions(Duration heartbeatTimeout, RestartBackoff restartBackoff, String checkpointRoot) {
        this(heartbeatTimeout, restartBackoff, checkpointRoot, Policy.GPUFLEET);
    }

    public ControllerOptions withHeartbeatTimeout(Duration d) {
        return new ControllerOptions(d, restartBackoff, checkpointRoot, policy, quarantine, checkpointCostSec, spares, hangTimeoutSec);
    }

    public ControllerOptions withRestartBackoff(RestartBackoff b) {
        return new ControllerOptions(heartbeatTimeout, b, checkpointRoot, policy, quarantine, checkpointCostSec, spares, hangTimeoutSec);
    }

    public ControllerOptions withCheckpointRoot(String root) {
        return new ControllerOptions(heartbeatTimeout, restartBackoff, root, policy, quarantine, checkpointCostSec, spares, hangTimeoutSec);
    }

    public ControllerOptions withPolicy(Policy p) {
        return new ControllerOptions(heartbeatTimeout, restartBackoff, checkpointRoot, p, quarantine, checkpointCostSec, spares, hangTimeoutSec);
    }

    public ControllerOptions withQuarantine(Quarantine q) {
        return new ControllerOptions(heartbeatTimeout, restartBackoff, checkpointRoot, policy, q, checkpointCostSec, spares, hangTimeoutSec);
    }

    public ControllerOptions withCheckpointCost(double sec) {
        return new ControllerOptions(heartbeatTimeout, restartBackoff, checkpointRoot, policy, quarantine, sec, spares, hangTimeoutSec);
    }

    public ControllerOptions withSpares(int n) {
        return new ControllerOptions(heartbeatTimeout, restartBackoff, checkpointRoot, policy, quarantine, checkpointCostSec, n, hangTimeoutSec);
    }

    public ControllerOptions withHangTimeout(double sec) {
        return new ControllerOptions(heartbeatTimeout, restartBackoff, checkpointRoot, policy, quarantine, checkpointCostSec, spares, sec);
    }
}
