package gpufleet.sim.preset;

import gpufleet.core.failure.FailureCause;
import gpufleet.core.failure.FailureModel;

/**
 * One line of {@code gpufleet failures}: a failure model preset and its headline figures.
 *
 * @param name               preset name
 * @param description        one line
 * @param causes             failure causes
 * @param per1000NodeDays    unplanned failures per 1,000 days of one 8-GPU host, every cause together
 * @param mtbf16kHours       mean hours between unplanned interruptions of a job on 16,384 GPUs (2,048 hosts)
 * @param lemonShare         share of hosts that fail more often
 */
public record FailurePresetInfo(String name, String description, int causes, double per1000NodeDays,
                                double mtbf16kHours, double lemonShare) {

    public static FailurePresetInfo of(String name, FailureModel m) {
        double perHost = 0;
        for (FailureCause c : m.causes()) if (!c.planned()) perHost += c.jobRatePerDay(8, 1);
        return new FailurePresetInfo(name, m.description(), m.causes().size(), perHost * 1000,
                m.jobMtbfSeconds(16_384, 2_048) / 3600, m.heterogeneity().lemonShare());
    }
}
