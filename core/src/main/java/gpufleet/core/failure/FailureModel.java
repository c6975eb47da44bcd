package gpufleet.core.failure;

import java.util.List;

/**
 * A set of independent failure processes and the checkpoint arithmetic built on them.
 *
 * <p>The default, {@link #LLAMA3}, turns the interruption counts Meta published for the 54-day
 * Llama 3 405B pretraining snapshot on 16,384 H100 GPUs (2,048 hosts) into per-GPU-day and
 * per-host-day rates (Dubey et al. 2024, "The Llama 3 Herd of Models", arXiv:2407.21783, Table 5:
 * 466 interruptions, 47 planned and 419 unexpected). Each rate is the count divided by 54 days x
 * 16,384 GPUs (884,736 GPU-days) or 54 days x 2,048 hosts (110,592 host-days). The paper gives no
 * repair times: those are assumptions, marked as such, and every figure can be overridden.
 */
public record FailureModel(String name, String description, List<FailureCause> causes, Heterogeneity heterogeneity) {
    private static final double GPU_DAYS = 54.0 * 16_384;
    private static final double HOST_DAYS = 54.0 * 2_048;
    private static final String T5 = "Llama 3 paper (arXiv:2407.21783) Table 5, 54 days on 16,384 H100: ";

    public static final FailureModel LLAMA3 = new FailureModel("llama3-2024", List.of(
            new FailureCause("gpu", FailureCause.Scope.GPU, (148 + 19 + 17 + 6) / GPU_DAYS, 72, false,
                    T5 + "faulty GPU 148, GPU SRAM 19, GPU system processor 17, thermal interface/sensor 6; "
                            + "repair 72 h is an assumption (swap and requalify)"),
            new FailureCause("gpu-hbm", FailureCause.Scope.GPU, 72 / GPU_DAYS, 72, false,
                    T5 + "GPU HBM3 memory 72; repair 72 h is an assumption"),
            new FailureCause("silent-data-corruption", FailureCause.Scope.GPU, 6 / GPU_DAYS, 72, false,
                    T5 + "silent data corruption 6; repair 72 h is an assumption"),
            new FailureCause("network", FailureCause.Scope.HOST, 35 / HOST_DAYS, 4, false,
                    T5 + "network switch/cable 35; modelled as taking out one host's links; repair 4 h is an assumption"),
            new FailureCause("nic", FailureCause.Scope.HOST, 7 / HOST_DAYS, 24, false,
                    T5 + "NIC 7; repair 24 h is an assumption"),
            new FailureCause("host", FailureCause.Scope.HOST, (32 + 3 + 3 + 2 + 2 + 2 + 2) / HOST_DAYS, 24, false,
                    T5 + "unplanned host maintenance 32, SSD 3, power supply 3, chassis 2, IO expansion board 2, "
                            + "CPU 2, system memory 2; repair 24 h is an assumption"),
            new FailureCause("software", FailureCause.Scope.JOB, (54 + 2) / GPU_DAYS, 0, false,
                    T5 + "software bug 54, dependency 2"),
            new FailureCause("nccl-timeout", FailureCause.Scope.JOB, 7 / GPU_DAYS, 0, false,
                    T5 + "NCCL watchdog timeouts 7"),
            new FailureCause("planned-maintenance", FailureCause.Scope.HOST, 47 / HOST_DAYS, 2, true,
                    T5 + "47 planned interruptions (firmware and configuration upgrades); 2 h per host is an assumption")));

    /** No failures at all. */
    public static final FailureModel NONE = new FailureModel("none", List.of());

    /**
     * How failures spread over hosts and over a job's life, beyond the per-cause rates.
     *
     * <p><b>Lemons.</b> A share of the hosts fails more often than the rest, by {@code lemonFactor},
     * for every GPU- and host-scope cause. The causes' rates stay the fleet averages the sources
     * report: a lemon fails at {@code rate x L / (1 - s + s L)} and every other host at
     * {@code rate / (1 - s + s L)}, so the fleet as a whole sees the cited rate.
     *
     * <p><b>Start risk.</b> Each host of a run that starts (first start or restart) may break the
     * run within {@code startWindowSec} of its start with probability {@code startFailurePerHost}, on
     * top of the steady rates: bad hosts and bad configurations show themselves early.
     *
     * @param lemonShare          share of hosts that are lemons, [0, 0.5]
     * @param lemonFactor         how many times more often a lemon fails than another host, [1, 10000]
     * @param startFailurePerHost probability per host and start that the run breaks soon after, [0, 0.5]
     * @param startWindowSec      the time after a start within which such a break happens, uniformly
     * @param source              where these figures come from
     */
    public record Heterogeneity(double lemonShare, double lemonFactor, double startFailurePerHost,
                                double startWindowSec, String source) {
        public static final Heterogeneity NONE = new Heterogeneity(0, 1, 0, 0, "");

        public Heterogeneity {
            if (!(lemonShare >= 0) || lemonShare > 0.5)
                throw new IllegalArgumentException("lemon share must be in [0, 0.5], got " + lemonShare);
            if (!(lemonFactor >= 1) || lemonFactor > 10_000)
                throw new IllegalArgumentException("lemon factor must be in [1, 10000], got " + lemonFactor);
            if (!(startFailurePerHost >= 0) || startFailurePerHost > 0.5)
                throw new IllegalArgumentException("start failure probability per host must be in [0, 0.5], got "
                        + startFailurePerHost);
            if (!(startWindowSec >= 0) || startWindowSec > 86_400)
                throw new IllegalArgumentException("start window must be in [0, 86400] s, got " + startWindowSec);
            if (source == null) source = "";
        }

        /** True when every host is alike and a start carries no extra risk. */
        public boolean none() {
            return (lemonShare == 0 || lemonFactor == 1) && startFailurePerHost == 0;
        }

        /** The rate multiplier of a lemon host (first) and of any other host (second). */
        public double[] hostFactors() {
            double norm = 1 - lemonShare + lemonShare * lemonFactor;
            return new double[] {lemonFactor / norm, 1 / norm};
        }

        /** Probability that a run on {@code hosts} hosts breaks soon after it starts. */
        public double startFailure(int hosts) {
            return startFailurePerHost == 0 ? 0 : 1 - Math.pow(1 - startFailurePerHost, hosts);
        }
    }

    public FailureModel {
        if (name == null || name.isBlank()) throw new IllegalArgumentException("a failure model needs a name");
        if (description == null) description = "";
        causes = List.copyOf(causes);
        var seen = new java.util.HashSet<String>();
        for (FailureCause c : causes)
            if (!seen.add(c.name())) throw new IllegalArgumentException("failure cause '" + c.name() + "' appears twice");
        if (heterogeneity == null) heterogeneity = Heterogeneity.NONE;
    }

    /** A model of independent, fleet-uniform causes. */
    public FailureModel(String name, List<FailureCause> causes) {
        this(name, "", causes, Heterogeneity.NONE);
    }

    /**
     * The model with every rate multiplied by {@code factor} (0 turns failures off); the start risk
     * per host scales too, lemons keep their share and factor.
     */
    public FailureModel scaled(double factor) {
        if (!(factor >= 0) || factor > 1000) throw new IllegalArgumentException("failure rate factor must be in [0, 1000], got " + factor);
        var h = heterogeneity;
        var hs = new Heterogeneity(h.lemonShare(), h.lemonFactor(), Math.min(0.5, h.startFailurePerHost() * factor),
                h.startWindowSec(), h.source());
        return new FailureModel(factor == 1 ? name : name + " x" + factor, description,
                causes.stream().map(c -> c.scaled(factor)).toList(), hs);
    }

    /** True when no GPU generation changes a rate and the hosts are alike: the twin's plain path. */
    public boolean uniform() {
        return heterogeneity.none() && causes.stream().allMatch(c -> c.gpuTypeFactors().isEmpty());
    }

    /** Expected interruptions per day of a job on {@code gpus} GPUs over {@code hosts} hosts. */
    public double jobRatePerDay(int gpus, int hosts) {
        return jobRatePerDay(gpus, hosts, null);
    }

    /** As {@link #jobRatePerDay(int, int)}, on GPUs of {@code gpuType} (null: as measured). */
    public double jobRatePerDay(int gpus, int hosts, String gpuType) {
        double r = 0;
        for (FailureCause c : causes) r += c.jobRatePerDay(gpus, hosts, gpuType);
        return r;
    }

    /** Mean seconds between unplanned interruptions of such a job; +infinity without failures. */
    public double jobMtbfSeconds(int gpus, int hosts) {
        return jobMtbfSeconds(gpus, hosts, null);
    }

    /** As {@link #jobMtbfSeconds(int, int)}, on GPUs of {@code gpuType}. */
    public double jobMtbfSeconds(int gpus, int hosts, String gpuType) {
        double r = 0;
        for (FailureCause c : causes) if (!c.planned()) r += c.jobRatePerDay(gpus, hosts, gpuType);
        return r == 0 ? Double.POSITIVE_INFINITY : 86_400 / r;
    }

    /** Planned interruptions (the job saves first) per day of such a job. */
    public double jobPlannedRatePerDay(int gpus, int hosts, String gpuType) {
        double r = 0;
        for (FailureCause c : causes) if (c.planned()) r += c.jobRatePerDay(gpus, hosts, gpuType);
        return r;
    }
}
