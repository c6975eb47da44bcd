package gpufleet.core.lifecycle;

import gpufleet.core.failure.Checkpointing;
import gpufleet.core.state.Placement;

/**
 * One run of a job: it got its GPUs at {@code start}, spends {@code startup} seconds restarting
 * (restart overhead and checkpoint restore), then trains, writing a checkpoint of {@code write}
 * seconds after every {@code interval} seconds of training (infinite: no periodic checkpoints); a
 * checkpoint is safe {@code persist} seconds after its stall ends (asynchronous checkpointing).
 * {@code lastCheckpoint} is the newest checkpoint a driver heard of (agents report them), NaN for none.
 */
public final class Run {
    private final Placement placement;
    private final double start, startup, interval, write, persist;
    private double lastCheckpoint = Double.NaN;

    Run(Placement placement, double start, double startup, double interval, double write, double persist) {
        this.persist = persist;
        this.placement = placement;
        this.start = start;
        this.startup = startup;
        this.interval = interval;
        this.write = write;
    }

    public Placement placement() { return placement; }
    public double start() { return start; }
    public double startup() { return startup; }
    public double interval() { return interval; }
    public double write() { return write; }
    /** When training began, after the restart overhead. */
    public double computeStart() { return start + startup; }
    public double lastCheckpoint() { return lastCheckpoint; }

    void checkpointed(double t) {
        if (Double.isNaN(lastCheckpoint) || t > lastCheckpoint) lastCheckpoint = t;
    }

    /**
     * Where the time of this run went if it stops at {@code now}: a planned stop (which saves first)
     * keeps all its training, an unplanned one loses the work since the last checkpoint.
     */
    public End endAt(double now, boolean planned) {
        double held = Math.max(0, now - start);
        double computeStart = computeStart();
        if (now <= computeStart) return new End(start, held, held, 0, 0, 0);
        double[] s = Checkpointing.split(now - computeStart, interval, write, persist, planned);
        double work = s[0], ckpt = s[1], lost = s[2];
        if (lost > 0 && !Double.isNaN(lastCheckpoint)) {
            // a checkpoint the driver heard of keeps what came before it
            double kept = Math.min(lost, Math.max(0, lastCheckpoint - Math.max(computeStart, now - lost)));
            work += kept;
            lost -= kept;
        }
        return new End(start, held, startup, work, ckpt, lost);
    }

    /**
     * How a run that ended counts, in seconds of wall time (multiply by the job's GPUs for GPU-seconds).
     *
     * @param start      when it got its GPUs
     * @param held       how long it held them
     * @param restart    of which restarting (overhead and restore)
     * @param work       training kept
     * @param checkpoint checkpoint writing
     * @param lost       training thrown away
     */
    public record End(double start, double held, double restart, double work, double checkpoint, double lost) {
        /** No run: a job cancelled or rejected while waiting. */
        public static final End NONE = new End(Double.NaN, 0, 0, 0, 0, 0);
    }
}
