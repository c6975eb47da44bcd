package gpufleet.sim.replay;

import gpufleet.core.failure.FailureModel;
import gpufleet.core.job.CheckpointPolicy;
import gpufleet.core.job.JobSpec;
import gpufleet.core.job.Parallelism;
import gpufleet.core.job.Priority;
import gpufleet.core.job.Work;
import gpufleet.core.perf.CommSlowdown;
import gpufleet.core.sched.Policy;
import gpufleet.core.topology.ClusterSpec;
import gpufleet.core.topology.FleetSpec;
import gpufleet.sim.engine.Simulation;
import gpufleet.sim.report.SimReport;
import gpufleet.sim.trace.Trace;
import gpufleet.sim.trace.TraceJob;
import gpufleet.sim.workload.WorkloadSpec;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Replays a real trace against a policy on a fleet, with the twin's engine.
 *
 * <p>Each trace job becomes a job of its GPU count (tensor-parallel group 1: a trace says nothing
 * about the model, so any split is allowed and the placement slowdown prices it), its true
 * duration as fixed work, its group (team or virtual cluster) as its team, and normal priority. No
 * periodic checkpoints: a preempted job saves its state when stopped and pays the preemption cost
 * (zero by default, as in simulators that ignore it) when it resumes. Failures are off unless asked
 * for. When trace groups name clusters of the fleet (as with {@code philly-vcs}), each job may only
 * run in the cluster of its group, and jobs of groups without a cluster are rejected with that
 * reason. The run lasts until every job could have finished.
 */
public final class Replay {

    /** Everything a replay run takes beyond the trace, the fleet and the policy. */
    public record Options(double preemptionCostSec, CommSlowdown slowdown, double failureScale, long seed,
                          boolean recordEvents, FailureModel failures) {
        public static final Options DEFAULT = new Options(0, CommSlowdown.DEFAULT, 0, 1, false);

        public Options {
            if (failures == null) failures = FailureModel.LLAMA3;
        }

        /** Failures, when scaled above 0, at the Llama 3 rates. */
        public Options(double preemptionCostSec, CommSlowdown slowdown, double failureScale, long seed, boolean recordEvents) {
            this(preemptionCostSec, slowdown, failureScale, seed, recordEvents, FailureModel.LLAMA3);
        }
    }

    /** One policy's outcome. */
    public record Result(Policy policy, Simulation.ReplayStats stats, SimReport report, List<Simulation.JobEvent> events,
                         long jobs, long unfinished, long rejected, Simulation.ReplaySamples samples) {}

    private final Trace trace;
    private final ReplayFleets.Parsed fleet;
    private final Options options;
    private final WorkloadSpec workload;
    private final Map<String, Integer> shares;
    private final double days;

    public Replay(Trace trace, ReplayFleets.Parsed fleet, Options options) {
        if (trace.jobs().isEmpty()) throw new IllegalArgumentException("trace " + trace.source() + " has no jobs to replay");
        this.trace = trace;
        this.fleet = fleet;
        this.options = options;
        FleetSpec f = fleet.fleet();
        Set<String> clusterNames = f.clusters().stream().map(ClusterSpec::name).collect(Collectors.toSet());
        Set<String> groups = new TreeSet<>();
        for (TraceJob j : trace.jobs()) groups.add(j.group());
        boolean perGroup = groups.stream().anyMatch(clusterNames::contains);
        List<JobSpec> jobs = new ArrayList<>(trace.jobs().size());
        double lastSubmit = 0, maxDuration = 0, gpuSeconds = 0;
        for (TraceJob j : trace.jobs()) {
            jobs.add(new JobSpec(j.name(), j.group(), Parallelism.data(j.gpus()), new Work.Fixed(j.duration()),
                    CheckpointPolicy.NONE, 0, Priority.NORMAL, j.submitTime(), null, 1_000_000,
                    perGroup ? j.group() : null));
            lastSubmit = Math.max(lastSubmit, j.submitTime());
            maxDuration = Math.max(maxDuration, j.duration());
            gpuSeconds += j.gpuSeconds();
        }
        // long enough for every job to finish even if served one after another at full width
        double horizon = lastSubmit + gpuSeconds / Math.max(1, f.gpus()) * 3 + maxDuration * 2 + 86_400;
        this.days = Math.min(3650, horizon / 86_400);
        // named by its file, as a reader knows it, not by the path it was read from on one machine
        this.workload = new WorkloadSpec(fileName(trace.source()), trace.format() + " trace", days, jobs, List.of(), Map.of());
        Map<String, Integer> sh = new HashMap<>();
        if (perGroup) {
            for (ClusterSpec c : f.clusters()) sh.put(c.name(), c.gpus());
        } else {
            int each = (int) Math.max(1, f.gpus() / groups.size());
            for (String g : groups) sh.put(g, each);
        }
        this.shares = Map.copyOf(sh);
    }

    public double days() { return days; }
    public Map<String, Integer> shares() { return shares; }
    public boolean flat() { return fleet.flat(); }

    public CommSlowdown slowdown() {
        return fleet.flat() ? CommSlowdown.NONE : options.slowdown();
    }

    public Result run(Policy policy) {
        var tuning = new Simulation.Tuning(options.preemptionCostSec(), slowdown(), shares, options.recordEvents());
        var failures = options.failureScale() == 0 ? FailureModel.NONE : options.failures().scaled(options.failureScale());
        var sim = new Simulation(new Simulation.Config(fleet.fleet(), workload, policy, failures, options.seed(), days, tuning));
        SimReport r = sim.run(Simulation.Progress.NONE);
        var h = r.headline();
        long unfinished = h.jobsRunningAtEnd() + h.jobsWaitingAtEnd();
        var stats = sim.replayStats();
        var samples = sim.replaySamples();
        return new Result(policy, stats, asTable(r, stats, samples), sim.jobEvents(), h.jobsSubmitted(), unfinished,
                h.jobsRejected(), samples);
    }

    /**
     * The twin's report, measured as the replay table measures: allocation over first submission to
     * last completion (not the padded horizon the simulation runs to), wait as all time queued, JCT
     * from the same completions. One definition of each, {@link Simulation#replayStats}'s, whichever
     * page shows it.
     */
    static SimReport asTable(SimReport r, Simulation.ReplayStats stats, Simulation.ReplaySamples samples) {
        var h = r.headline();
        var headline = new SimReport.Headline(h.jobsSubmitted(), h.jobsCompleted(), h.jobsFailed(), h.jobsRejected(),
                h.jobsCancelled(), h.jobsRunningAtEnd(), h.jobsWaitingAtEnd(), stats.allocation(), h.goodput(),
                h.availableGpuHours(), h.allocatedGpuHours(), h.productiveGpuHours(), h.lostGpuHours(), h.interruptions(),
                h.preemptions(), h.costUsd(), h.energyMWh(), h.hardwareFailures(), h.largestJobEttr());
        double from = samples.windowStart() / 86_400, to = samples.windowEnd() / 86_400;
        List<SimReport.AllocationPoint> window = r.allocation().stream().filter(p -> p.day() >= from && p.day() <= to).toList();
        return new SimReport(r.scenario(), headline, window, r.interruptionsByCause(), Simulation.dist(samples.queueDelays()),
                Simulation.dist(samples.jcts()), Simulation.histogram(samples.queueDelays()), r.teams(), r.largeJobs(),
                r.largestJobTimeline(), r.rejectedJobs());
    }

    private static String fileName(String source) {
        if (source == null) return "trace";
        int slash = Math.max(source.lastIndexOf('/'), source.lastIndexOf('\\'));
        return slash >= 0 ? source.substring(slash + 1) : source;
    }
}
