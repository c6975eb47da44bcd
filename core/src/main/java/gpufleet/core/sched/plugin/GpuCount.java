package gpufleet.core.sched.plugin;

import gpufleet.core.job.Job;
import gpufleet.core.sched.framework.CycleState;
import gpufleet.core.sched.framework.Filter;

/**
 * Whether some eligible cluster has enough free GPUs in whole tensor-parallel groups, counting only:
 * a cheap test before the topology-aware placer runs.
 */
public record GpuCount() implements Filter {
    @Override public String name() { return "gpu-count"; }

    @Override
    public boolean fits(CycleState s, Job job) {
        for (int c = 0; c < s.topology().clusterCount(); c++)
            if (s.fleet().clusterCapacity(c, job.unit()) >= job.gpus() && s.placer().eligible(job, c))
                return true;
        return false;
    }
}
