package gpufleet.sim.preset;

import gpufleet.core.job.JobSpec;
import gpufleet.sim.workload.WorkloadSpec;

/**
 * One line of {@code gpufleet workloads list}: a workload preset and what it contains.
 *
 * @param name        preset name
 * @param description one line
 * @param days        simulated days when the user gives none
 * @param jobs        explicit jobs
 * @param streams     random job streams
 * @param jobGpus     GPUs the explicit jobs ask for, together
 */
public record WorkloadPresetInfo(String name, String description, double days, int jobs, int streams, long jobGpus) {

    public static WorkloadPresetInfo of(String name, WorkloadSpec w) {
        long gpus = w.jobs().stream().mapToLong(JobSpec::gpus).sum();
        return new WorkloadPresetInfo(name, w.description(), w.defaultDays(), w.jobs().size(), w.streams().size(), gpus);
    }
}
