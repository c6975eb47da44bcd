package gpufleet.core.failure;

/** Checkpoint interval and efficiency arithmetic. */
public final class Checkpointing {
    private Checkpointing() {}

    /**
     * The interval between checkpoints that minimises expected lost time, to first order:
     * {@code sqrt(2 * write * mtbf)} (Young 1974, "A first order approximation to the optimum
     * checkpoint interval", CACM 17(9); Daly 2006, FGCS 22(3), which refines it for large write times).
     * Bounded to [1 min, 24 h] so that degenerate inputs stay sane.
     */
    public static double youngDaly(double writeSec, double mtbfSec) {
        if (Double.isInfinite(mtbfSec)) return 24 * 3600.0;
        double w = Math.max(writeSec, 1.0);
        return Math.clamp(Math.sqrt(2 * w * mtbfSec), 60.0, 24 * 3600.0);
    }

    /**
     * Expected fraction of wall time spent training, first order: a job writes a checkpoint of
     * {@code write} seconds every {@code interval} seconds of work, fails every {@code mtbf}
     * seconds, and on each failure loses on average half an interval plus {@code restart} seconds.
     */
    public static double expectedEttr(double intervalSec, double writeSec, double restartSec, double mtbfSec) {
        double ckpt = writeSec / (intervalSec + writeSec);
        double perFailure = (intervalSec + writeSec) / 2 + restartSec;
        double loss = Double.isInfinite(mtbfSec) ? 0 : perFailure / mtbfSec;
        return Math.max(0, (1 - ckpt) * (1 - loss));
    }
}
