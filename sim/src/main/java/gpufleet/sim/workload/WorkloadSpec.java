package gpufleet.sim.workload;

import gpufleet.core.job.JobSpec;

import java.util.List;
import java.util.Map;

/**
 * A workload: explicit jobs plus random streams of jobs, and the teams' quotas.
 *
 * @param name        preset or file name
 * @param description one line
 * @param defaultDays simulated days when the user gives none
 * @param jobs        jobs submitted at fixed times
 * @param streams     random job streams
 * @param quotas      team -> max GPUs held at once (absent: unlimited)
 */
public record WorkloadSpec(String name, String description, double defaultDays, List<JobSpec> jobs,
                           List<StreamSpec> streams, Map<String, Integer> quotas) {
    public WorkloadSpec {
        if (name == null || name.isBlank()) throw new IllegalArgumentException("a workload needs a name");
        if (description == null) description = "";
        if (!(defaultDays > 0) || defaultDays > 3650)
            throw new IllegalArgumentException("workload '" + name + "': days must be in (0, 3650], got " + defaultDays);
        jobs = List.copyOf(jobs == null ? List.of() : jobs);
        streams = List.copyOf(streams == null ? List.of() : streams);
        quotas = Map.copyOf(quotas == null ? Map.of() : quotas);
        if (jobs.isEmpty() && streams.isEmpty())
            throw new IllegalArgumentException("workload '" + name + "' has neither jobs nor streams");
    }
}
