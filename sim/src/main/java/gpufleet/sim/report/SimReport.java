package gpufleet.sim.report;

import java.util.List;
import java.util.Map;

/**
 * Everything a twin run measured, as written to {@code report.json}. Field names are stable (see
 * docs/report.md); times are seconds unless a name says otherwise; the same inputs and seed give a
 * byte-identical file, so nothing here depends on the wall clock.
 */
public record SimReport(
        Scenario scenario,
        Headline headline,
        List<AllocationPoint> allocation,
        Map<String, Integer> interruptionsByCause,
        Distribution queueWait,
        Distribution completionTime,
        Histogram queueWaitHistogram,
        List<TeamRow> teams,
        List<JobRow> largeJobs,
        List<Segment> largestJobTimeline,
        List<Rejection> rejectedJobs,
        List<JobClassRow> jobClasses) {

    public SimReport {
        jobClasses = jobClasses == null ? List.of() : List.copyOf(jobClasses);
    }

    /** A report without the per-class account. */
    public SimReport(Scenario scenario, Headline headline, List<AllocationPoint> allocation,
                     Map<String, Integer> interruptionsByCause, Distribution queueWait, Distribution completionTime,
                     Histogram queueWaitHistogram, List<TeamRow> teams, List<JobRow> largeJobs,
                     List<Segment> largestJobTimeline, List<Rejection> rejectedJobs) {
        this(scenario, headline, allocation, interruptionsByCause, queueWait, completionTime, queueWaitHistogram, teams,
                largeJobs, largestJobTimeline, rejectedJobs, List.of());
    }

    /**
     * Outcomes and GPU time of one class of jobs (an explicit job, or one size of a stream's jobs).
     * GPU-hours held = productive + checkpoint + lost to failures + lost to preemptions + crashed
     * (up to the horizon; a run still going is counted as if it saved at the end).
     *
     * @param crashed            jobs that failed for their own reasons (a stream's userFailures)
     * @param failed             jobs failed after running out of restarts
     * @param unfinished         running or waiting at the end
     * @param lostToFailuresGpuHours work lost to interruptions plus the restarts after them
     * @param lostToPreemptionsGpuHours the resumes after preemptions
     * @param crashedGpuHours    work done by jobs that then crashed
     */
    public record JobClassRow(String jobClass, long submitted, long completed, long crashed, long failed,
                              long rejected, long unfinished, double gpuHours, double productiveGpuHours,
                              double checkpointGpuHours, double lostToFailuresGpuHours,
                              double lostToPreemptionsGpuHours, double crashedGpuHours, long preemptions) {}

    /** A job refused because no cluster of the fleet could ever hold it (the first 100 are kept). */
    public record Rejection(int id, String name, int gpus, String reason) {}

    /** What was simulated. */
    public record Scenario(String fleet, String workload, String policy, long seed, double days, long gpus,
                           int hosts, double h100Equivalents, int clusters, String failureModel,
                           double gpuHourUsd, double wattsPerGpu) {}

    /** The figures a reader wants first. */
    public record Headline(long jobsSubmitted, long jobsCompleted, long jobsFailed, long jobsRejected,
                           long jobsCancelled, long jobsRunningAtEnd, long jobsWaitingAtEnd,
                           double meanAllocation, double goodput, double availableGpuHours,
                           double allocatedGpuHours, double productiveGpuHours, double lostGpuHours,
                           long interruptions, long preemptions, double costUsd, double energyMWh,
                           long hardwareFailures, double largestJobEttr) {}

    /** Fleet state at one sample time: fractions of all GPUs. */
    public record AllocationPoint(double day, double allocated, double unhealthy, double spare) {}

    /** Summary of a sample of durations, seconds. */
    public record Distribution(long count, double mean, double p50, double p90, double p99, double max) {}

    /** Counts per bucket; bucket i covers [edges[i], edges[i+1]) seconds, the last bucket is open-ended. */
    public record Histogram(List<Double> edgesSec, List<Long> counts) {}

    /** Use and cost per team. */
    public record TeamRow(String team, long jobs, long completed, double gpuHours, double productiveGpuHours,
                          double costUsd, double energyMWh, double meanQueueWait, long interruptions) {}

    /** One large job's account; ETTR = productive time / wall time since first submission. */
    public record JobRow(int id, String name, String team, int gpus, String state, double submitTime,
                         double firstStart, double endTime, double wallTime, double productiveTime,
                         double lostTime, double checkpointTime, double restartTime, double waitTime,
                         double progress, int restarts, int preemptions, Map<String, Integer> interruptionsByCause,
                         double ettr) {}

    /** A stretch of the largest job's life. {@code kind}: running, lost, restarting, waiting. */
    public record Segment(double start, double end, String kind, String cause) {}
}
