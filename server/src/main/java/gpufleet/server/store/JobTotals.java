package gpufleet.server.store;

import gpufleet.core.job.JobState;

import java.util.Map;

/**
 * Sums over every job ever submitted, made by the database: how many jobs are in each state, and per
 * team the GPU-seconds of runs that have ended ({@code gpus x run_seconds}). What a scrape needs from
 * the ended jobs, without reading them.
 */
public record JobTotals(Map<JobState, Integer> byState, Map<String, Double> endedGpuSeconds) {
    public JobTotals {
        byState = Map.copyOf(byState);
        endedGpuSeconds = Map.copyOf(endedGpuSeconds);
    }
}
