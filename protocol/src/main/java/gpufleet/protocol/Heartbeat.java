package gpufleet.protocol;

import java.util.List;

/**
 * {@code POST /api/v1/hosts/{id}/heartbeat}: the agent is alive, runs these tasks, and these GPUs are unhealthy.
 *
 * @param generation the host's generation from its registration; a stale one is refused with 409
 * @param tasks      every assignment the agent holds, running or ended
 * @param gpus       GPUs with a health problem (healthy GPUs may be omitted)
 * @param telemetry  every GPU's readings, in one heartbeat every {@code TELEMETRY_SECONDS} or so, empty in the
 *                   others: the controller keeps the newest and a short history for the dashboard's host panel
 */
public record Heartbeat(long generation, List<TaskReport> tasks, List<GpuHealth> gpus, List<GpuTelemetry> telemetry) {
    /** How often an agent sends telemetry: often enough for a panel a person reads, rarely enough to cost nothing. */
    public static final int TELEMETRY_SECONDS = 10;

    public Heartbeat {
        Fields.atLeast("generation", generation, 1);
        tasks = Fields.list("tasks", tasks, 10_000);
        gpus = Fields.list("gpus", gpus, 64);
        telemetry = Fields.list("telemetry", telemetry, 64);
    }

    /** A heartbeat without telemetry. */
    public Heartbeat(long generation, List<TaskReport> tasks, List<GpuHealth> gpus) {
        this(generation, tasks, gpus, List.of());
    }
}
