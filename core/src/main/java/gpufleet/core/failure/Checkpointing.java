package gpufleet.core.failure;

import gpufleet.core.job.CheckpointPolicy;

/** Checkpoint interval and efficiency arithmetic, shared by the planner and the twin. */
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
     * The interval a job with checkpoint policy {@code cp} uses at a mean time between failures of
     * {@code mtbfSec}: its own, or for an automatic one the Young/Daly optimum of its stall, and never
     * shorter than the background persist (a checkpoint cannot start before the one before is safe).
     * A persist time adds the same loss to every failure whatever the interval, so it does not move
     * the optimum otherwise.
     */
    public static double interval(CheckpointPolicy cp, double mtbfSec) {
        if (!cp.automatic()) return cp.intervalSec();
        double yd = youngDaly(cp.writeSec(), mtbfSec);
        return cp.persistSec() > 0 ? Math.max(yd, cp.persistSec()) : yd;
    }

    /**
     * Expected fraction of wall time spent training, first order: a job writes a checkpoint of
     * {@code write} seconds every {@code interval} seconds of work, fails every {@code mtbf}
     * seconds, and on each failure loses on average half an interval plus {@code restart} seconds.
     */
    public static double expectedEttr(double intervalSec, double writeSec, double restartSec, double mtbfSec) {
        return expectedEttr(intervalSec, writeSec, 0, restartSec, mtbfSec, 0);
    }

    /**
     * As {@link #expectedEttr(double, double, double, double)} with an asynchronous checkpoint that
     * becomes safe {@code persist} seconds after its stall, and planned interruptions. A failure at a
     * uniformly random point of a period loses half a period plus, with probability persist/period,
     * a whole period more: on average {@code persist} more. A planned interruption (every
     * {@code plannedMtbf} seconds; the job saves first) loses only the restart.
     */
    public static double expectedEttr(double intervalSec, double stallSec, double persistSec, double restartSec,
                                      double mtbfSec, double plannedRatePerSec) {
        double ckpt = stallSec / (intervalSec + stallSec);
        double perFailure = (intervalSec + stallSec) / 2 + persistSec + restartSec;
        double loss = (Double.isInfinite(mtbfSec) ? 0 : perFailure / mtbfSec) + plannedRatePerSec * restartSec;
        return Math.max(0, (1 - ckpt) * (1 - loss));
    }

    /**
     * Splits {@code e} seconds of a run's training phase into {work kept, checkpoint writing, work
     * lost}: whole periods of {@code interval} of work plus a {@code write} stall are kept once their
     * checkpoint is safe, {@code persist} seconds after the stall; of the rest, a planned stop (which
     * saves first) keeps the work and an unplanned one loses it. Without periodic checkpoints (an
     * infinite interval) there are no whole periods.
     */
    public static double[] split(double e, double interval, double write, double persist, boolean planned) {
        double k = 0, rem = e;
        if (!Double.isInfinite(interval)) {
            k = Math.floor(e / (interval + write));
            rem = e - k * (interval + write);
        }
        double keptPeriods = k == 0 ? 0 : k * interval;
        double tailWork = Math.min(rem, interval), tailWrite = Math.max(0, rem - interval);
        if (planned) return new double[] {keptPeriods + tailWork, k * write + tailWrite, 0};
        if (persist <= 0 || k == 0) return new double[] {keptPeriods, k * write, rem};
        double safe = Math.clamp(Math.floor((e - persist) / (interval + write)), 0, k);
        double kept = safe * interval;
        return new double[] {kept, k * write, e - kept - k * write};
    }
}
