package gpufleet.protocol;

import java.util.List;

/**
 * {@code POST /api/v1/hosts/{id}/heartbeat}: the agent is alive, runs these tasks, and these GPUs are unhealthy.
 *
 * @param generation the host's generation from its registration; a stale one is refused with 409
 * @param tasks      every assignment the agent holds, running or ended
 * @param gpus       GPUs with a health problem (healthy GPUs may be omitted)
 */
public record Heartbeat(long generation, List<TaskReport> tasks, List<GpuHealth> gpus) {
    public Heartbeat {
        Fields.atLeast("generation", generation, 1);
        tasks = Fields.list("tasks", tasks, 10_000);
        gpus = Fields.list("gpus", gpus, 64);
    }
}
