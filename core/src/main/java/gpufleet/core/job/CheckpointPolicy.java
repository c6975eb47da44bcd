package gpufleet.core.job;

/**
 * How a job saves and restores its state.
 *
 * @param intervalSec seconds of training between checkpoints; 0 means "choose the Young/Daly optimum
 *                    for the failure rate the job will see"
 * @param writeSec    seconds training stalls while a checkpoint is taken (the whole write when
 *                    checkpointing is synchronous; the copy to host memory when it is asynchronous)
 * @param restoreSec  seconds to load the last checkpoint after a restart
 * @param persistSec  seconds after the stall until the checkpoint is safe in storage, written in the
 *                    background while training goes on (0: synchronous, safe when the stall ends); a
 *                    failure before then falls back to the checkpoint before
 */
public record CheckpointPolicy(double intervalSec, double writeSec, double restoreSec, double persistSec) {
    public static final CheckpointPolicy NONE = new CheckpointPolicy(Double.POSITIVE_INFINITY, 0, 0);

    public CheckpointPolicy {
        if (Double.isNaN(intervalSec) || intervalSec < 0)
            throw new IllegalArgumentException("checkpoint interval must be >= 0 (0 = automatic), got " + intervalSec);
        if (!(writeSec >= 0) || writeSec > 86_400 || !(restoreSec >= 0) || restoreSec > 86_400)
            throw new IllegalArgumentException("checkpoint write and restore times must be in [0, 1 day], got "
                    + writeSec + " s and " + restoreSec + " s");
        if (!(persistSec >= 0) || persistSec > 86_400)
            throw new IllegalArgumentException("checkpoint persist time must be in [0, 1 day], got " + persistSec + " s");
        if (intervalSec > 0 && intervalSec < 1 && intervalSec != 0)
            throw new IllegalArgumentException("checkpoint interval must be at least 1 s, got " + intervalSec);
    }

    /** A synchronous checkpoint: training stalls for the whole write. */
    public CheckpointPolicy(double intervalSec, double writeSec, double restoreSec) {
        this(intervalSec, writeSec, restoreSec, 0);
    }

    public boolean automatic() {
        return intervalSec == 0;
    }
}
