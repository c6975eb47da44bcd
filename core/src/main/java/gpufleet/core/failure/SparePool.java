package gpufleet.core.failure;

/**
 * How many hot spare hosts a cluster holds: enough that a failed host finds a spare with
 * probability {@link #COVERAGE}, by the M/G/infinity result (Palm's theorem: with failures arriving
 * as a Poisson process of rate lambda and repairs of mean length R, the number of hosts in repair at
 * a random instant is Poisson with mean lambda x R, whatever the repair time's distribution; see
 * Kleinrock, "Queueing Systems", vol. 1, 1975, sec. 4.9 (M/G/infinity)). The pool is the
 * smallest n with P(Poisson(lambda x R) &lt;= n) &gt;= coverage. Spares are refilled by repaired
 * hosts, so a pool that size rarely runs dry.
 */
public final class SparePool {
    /** The share of failures that find a spare waiting. */
    public static final double COVERAGE = 0.99;

    private SparePool() {}

    /** Hosts in repair on average: failures per day that take a host out of a gang x mean repair days. */
    public static double meanInRepair(FailureModel model, String gpuType, int hosts, int gpusPerHost) {
        double m = 0;
        for (FailureCause c : model.causes()) {
            if (c.scope() == FailureCause.Scope.JOB) continue;
            double perHost = c.scope() == FailureCause.Scope.HOST ? 1 : gpusPerHost;
            m += c.ratePerDay(gpuType) * perHost * hosts * c.repairHours() / 24;
        }
        return m;
    }

    /** Where the search for a pool size stops when the coverage is never met (a coverage of 1 or more). */
    public static final int MAX_SPARES = 1_000_000;

    /** The smallest n with P(Poisson(mean) &lt;= n) &gt;= coverage, at most {@link #MAX_SPARES}. */
    public static int size(double mean, double coverage) {
        if (!(mean >= 0)) throw new IllegalArgumentException("mean must be >= 0, got " + mean);
        if (mean == 0) return 0;
        // Each term is carried as its logarithm: e^-mean loses precision past a mean of about 708 (it
        // is subnormal) and is 0 past about 745, where a running product of terms would stay 0. Terms
        // too small for a double add nothing that could reach the coverage.
        double logP = -mean, cum = Math.exp(logP);
        int n = 0;
        while (cum < coverage && n < MAX_SPARES) {
            n++;
            logP += Math.log(mean / n);
            cum += Math.exp(logP);
        }
        return n;
    }
}
