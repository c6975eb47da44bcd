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
public record FailureModel(String name, List<FailureCause> causes) {
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

    public FailureModel {
        if (name == null || name.isBlank()) throw new IllegalArgumentException("a failure model needs a name");
        causes = List.copyOf(causes);
    }

    /** The model with every rate multiplied by {@code factor} (0 turns failures off). */
    public FailureModel scaled(double factor) {
        if (!(factor >= 0) || factor > 1000) throw new IllegalArgumentException("failure rate factor must be in [0, 1000], got " + factor);
        return new FailureModel(factor == 1 ? name : name + " x" + factor, causes.stream()
                .map(c -> new FailureCause(c.name(), c.scope(), Math.min(1, c.ratePerDay() * factor), c.repairHours(),
                        c.planned(), c.source()))
                .toList());
    }

    /** Expected interruptions per day of a job on {@code gpus} GPUs over {@code hosts} hosts. */
    public double jobRatePerDay(int gpus, int hosts) {
        double r = 0;
        for (FailureCause c : causes) r += c.jobRatePerDay(gpus, hosts);
        return r;
    }

    /** Mean seconds between unplanned interruptions of such a job; +infinity without failures. */
    public double jobMtbfSeconds(int gpus, int hosts) {
        double r = 0;
        for (FailureCause c : causes) if (!c.planned()) r += c.jobRatePerDay(gpus, hosts);
        return r == 0 ? Double.POSITIVE_INFINITY : 86_400 / r;
    }
}
