package gpufleet.core.failure;

/**
 * One independent failure process.
 *
 * @param name        short name shown in reports ("gpu", "gpu-hbm", "network", ...)
 * @param scope       what a failure takes out
 * @param ratePerDay  failures per unit per day: per GPU-day for {@link Scope#GPU} and
 *                    {@link Scope#JOB}, per host-day for {@link Scope#HOST}
 * @param repairHours hours until the failed part is back in service (0 for {@link Scope#JOB})
 * @param planned     a planned event: the job checkpoints first and loses no work
 * @param source      where the rate comes from
 */
public record FailureCause(String name, Scope scope, double ratePerDay, double repairHours, boolean planned,
                           String source) {

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
    }

    /** Expected failures per day this cause brings to a job spanning {@code gpus} GPUs on {@code hosts} hosts. */
    public double jobRatePerDay(int gpus, int hosts) {
        return switch (scope) {
            case GPU, JOB -> ratePerDay * gpus;
            case HOST -> ratePerDay * hosts;
        };
    }
}
