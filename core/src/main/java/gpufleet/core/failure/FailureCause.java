package gpufleet.core.failure;

import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * One independent failure process.
 *
 * @param name        short name shown in reports ("gpu", "gpu-hbm", "network", ...)
 * @param scope       what a failure takes out
 * @param ratePerDay  failures per unit per day: per GPU-day for {@link Scope#GPU} and
 *                    {@link Scope#JOB}, per host-day for {@link Scope#HOST}; on the GPU generation the
 *                    rate was measured on (a factor of 1 in {@code gpuTypeFactors})
 * @param repairHours hours until the failed part is back in service (0 for {@link Scope#JOB})
 * @param planned     a planned event: the job checkpoints first and loses no work
 * @param source      where the rate comes from
 * @param gpuTypeFactors GPU type (as {@code GpuCatalog} names it, upper case) to a multiplier of the
 *                    rate on hardware of that generation; types not listed keep the rate as it is
 */
public record FailureCause(String name, Scope scope, double ratePerDay, double repairHours, boolean planned,
                           String source, Map<String, Double> gpuTypeFactors) {

    /** What a failure hits. */
    public enum Scope {
        /** One GPU becomes unhealthy; jobs holding it are interrupted. */
        GPU,
        /** A whole host goes down; every job on it is interrupted. */
        HOST,
        /** A job fails for a software reason; the hardware stays healthy. Rate per GPU-day held by the job. */
        JOB
    }

    public FailureCause {
        if (name == null || name.isBlank()) throw new IllegalArgumentException("a failure cause needs a name");
        if (scope == null) throw new IllegalArgumentException("failure cause '" + name + "' needs a scope");
        if (!(ratePerDay >= 0) || ratePerDay > 1)
            throw new IllegalArgumentException("failure cause '" + name + "': rate must be in [0, 1] per unit-day, got " + ratePerDay);
        if (!(repairHours >= 0) || repairHours > 24 * 365)
            throw new IllegalArgumentException("failure cause '" + name + "': repairHours must be in [0, 8760], got " + repairHours);
        if (source == null) source = "";
        var factors = new TreeMap<String, Double>();
        if (gpuTypeFactors != null) {
            for (var e : gpuTypeFactors.entrySet()) {
                double f = e.getValue();
                if (!(f >= 0) || f > 1000)
                    throw new IllegalArgumentException("failure cause '" + name + "': the factor for " + e.getKey()
                            + " must be in [0, 1000], got " + f);
                factors.put(e.getKey().toUpperCase(Locale.ROOT), f);
            }
        }
        gpuTypeFactors = java.util.Collections.unmodifiableMap(factors);
    }

    /** A cause whose rate is the same on every GPU generation. */
    public FailureCause(String name, Scope scope, double ratePerDay, double repairHours, boolean planned, String source) {
        this(name, scope, ratePerDay, repairHours, planned, source, Map.of());
    }

    /** The multiplier of this cause's rate on GPUs of {@code gpuType} (null or unlisted: 1). */
    public double factor(String gpuType) {
        if (gpuType == null || gpuTypeFactors.isEmpty()) return 1;
        return gpuTypeFactors.getOrDefault(gpuType.toUpperCase(Locale.ROOT), 1.0);
    }

    /** Failures per unit-day on GPUs of {@code gpuType}. */
    public double ratePerDay(String gpuType) {
        return ratePerDay * factor(gpuType);
    }

    /** Expected failures per day this cause brings to a job spanning {@code gpus} GPUs on {@code hosts} hosts. */
    public double jobRatePerDay(int gpus, int hosts) {
        return jobRatePerDay(gpus, hosts, null);
    }

    /** As {@link #jobRatePerDay(int, int)}, on GPUs of {@code gpuType}. */
    public double jobRatePerDay(int gpus, int hosts, String gpuType) {
        double r = ratePerDay(gpuType);
        return switch (scope) {
            case GPU, JOB -> r * gpus;
            case HOST -> r * hosts;
        };
    }

    FailureCause scaled(double factor) {
        return new FailureCause(name, scope, Math.min(1, ratePerDay * factor), repairHours, planned, source, gpuTypeFactors);
    }
}
