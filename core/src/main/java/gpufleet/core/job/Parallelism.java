package gpufleet.core.job;

/**
 * How a job's GPUs are split: tensor (TP) × pipeline (PP) × context (CP) × data (DP) parallel.
 * A tensor-parallel group of {@code tp} GPUs must sit inside one host's NVLink domain.
 */
public record Parallelism(int tp, int pp, int dp, int cp) {
    public Parallelism {
        if (tp < 1 || pp < 1 || dp < 1 || cp < 1)
            throw new IllegalArgumentException("tp, pp, dp and cp must each be >= 1, got tp=" + tp + " pp=" + pp
                    + " dp=" + dp + " cp=" + cp);
        if ((long) tp * pp * dp * cp > 10_000_000)
            throw new IllegalArgumentException("tp x pp x dp x cp = " + ((long) tp * pp * dp * cp) + " GPUs is absurd");
    }

    /** Pure data parallelism over {@code gpus} GPUs. */
    public static Parallelism data(int gpus) {
        return new Parallelism(1, 1, gpus, 1);
    }

    /** The layout for {@code gpus} GPUs with the given tp, pp and cp, deriving dp; refuses what does not divide. */
    public static Parallelism of(int gpus, int tp, int pp, int cp) {
        long group = (long) tp * pp * cp;
        if (tp < 1 || pp < 1 || cp < 1 || gpus < 1 || gpus % group != 0)
            throw new IllegalArgumentException("gpus (" + gpus + ") must be a multiple of tp x pp x cp (" + tp + " x "
                    + pp + " x " + cp + " = " + group + ")");
        return new Parallelism(tp, pp, (int) (gpus / group), cp);
    }

    public int gpus() {
        return tp * pp * dp * cp;
    }
}
