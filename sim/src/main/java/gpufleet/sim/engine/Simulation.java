package gpufleet.sim.engine;

import gpufleet.core.failure.Checkpointing;
import gpufleet.core.failure.FailureCause;
import gpufleet.core.failure.FailureModel;
import gpufleet.core.failure.SparePool;
import gpufleet.core.job.CheckpointPolicy;
import gpufleet.core.job.Job;
import gpufleet.core.job.JobSpec;
import gpufleet.core.job.JobState;
import gpufleet.core.job.Parallelism;
import gpufleet.core.job.Priority;
import gpufleet.core.job.Recovery;
import gpufleet.core.job.Work;
import gpufleet.core.lifecycle.Lifecycle;
import gpufleet.core.lifecycle.LifecycleEvent;
import gpufleet.core.lifecycle.Quarantine;
import gpufleet.core.lifecycle.RestartRule;
import gpufleet.core.lifecycle.Run;
import gpufleet.core.perf.CommSlowdown;
import gpufleet.core.sched.Policy;
import gpufleet.core.sched.Quotas;
import gpufleet.core.sched.Scheduler;
import gpufleet.core.state.FleetState;
import gpufleet.core.state.HostStatus;
import gpufleet.core.state.Placement;
import gpufleet.core.topology.ClusterSpec;
import gpufleet.core.topology.FleetSpec;
import gpufleet.core.topology.Topology;
import gpufleet.sim.report.SimReport;
import gpufleet.sim.workload.StreamSpec;
import gpufleet.sim.workload.WorkloadSpec;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * The digital twin: a discrete-event simulation of a fleet on a virtual clock, one of the two drivers
 * of the core's {@link Lifecycle} (the controller is the other). Every job state change goes through
 * the lifecycle, which runs the same {@link Scheduler}, restart rule and lost-work arithmetic as the
 * controller; this class adds the virtual clock, arrival streams, the failure injector, progress of
 * runs toward their work, and its own statistics.
 *
 * <p><b>Events</b> are arrivals, run ends, failures, repairs and samples, ordered by (time, kind,
 * sequence). All events at one instant are applied, then one scheduling cycle runs, so a burst of
 * arrivals costs one cycle.
 *
 * <p><b>Progress</b> is arithmetic, not events: a run spends its restart overhead, then trains in
 * periods of {@code interval} seconds of work followed by a checkpoint write. When a run stops, the
 * work up to the last completed checkpoint is kept and the rest is lost (a planned stop saves first
 * and loses nothing). A run's end is one event, invalidated by a generation counter if the run stops
 * early, so checkpoints cost nothing to simulate.
 *
 * <p><b>Failures</b> are independent Poisson processes, one per cause, over all GPUs or hosts of
 * the fleet (busy or idle), weighted by GPU generation and lemon hosts when the model has them
 * ({@link FailureInjector}). A GPU failure makes that GPU unhealthy until repaired; a host failure
 * takes the host down, interrupts its jobs and swaps in a hot spare of its cluster if one is free;
 * a job-scope failure (software) picks a GPU at random and interrupts the job holding it, if any,
 * which gives each job a rate proportional to its size. Interrupted jobs re-enter the queue and
 * restart from their last checkpoint on healthy hosts.
 *
 * <p>Deterministic: every random draw comes from a named stream of the seed, and nothing reads the
 * wall clock, so the same inputs give the same report.
 */
public final class Simulation {

    /** Everything a run needs. */
    public record Config(FleetSpec fleet, WorkloadSpec workload, Policy policy, FailureModel failures, long seed,
                         double days, Tuning tuning) {
        public Config {
            if (!(days > 0) || days > 3650) throw new IllegalArgumentException("days must be in (0, 3650], got " + days);
            if (tuning == null) tuning = Tuning.DEFAULT;
        }

        public Config(FleetSpec fleet, WorkloadSpec workload, Policy policy, FailureModel failures, long seed, double days) {
            this(fleet, workload, policy, failures, seed, days, Tuning.DEFAULT);
        }
    }

    /**
     * Knobs beyond the scenario.
     *
     * @param preemptionCostSec seconds a preempted job pays when it resumes (saving its state when
     *                          stopped, loading it when restarted); NaN: each job's own checkpoint
     *                          write + restore time
     * @param slowdown          how placement spread stretches run time
     * @param shares            team -> guaranteed GPUs, for fair-share policies
     * @param recordEvents      keep every job's submit, start, preempt, interrupt and finish times
     * @param quarantine        lemon hosts drained for diagnosis after their repair (the rest of the run)
     */
    public record Tuning(double preemptionCostSec, CommSlowdown slowdown, Map<String, Integer> shares,
                         boolean recordEvents, Quarantine quarantine) {
        public static final Tuning DEFAULT = new Tuning(Double.NaN, CommSlowdown.NONE, Map.of(), false);

        public Tuning(double preemptionCostSec, CommSlowdown slowdown, Map<String, Integer> shares, boolean recordEvents) {
            this(preemptionCostSec, slowdown, shares, recordEvents, Quarantine.OFF);
        }

        public Tuning withQuarantine(Quarantine q) {
            return new Tuning(preemptionCostSec, slowdown, shares, recordEvents, q);
        }

        public Tuning {
            if (quarantine == null) quarantine = Quarantine.OFF;
            if (preemptionCostSec < 0 || preemptionCostSec > 86_400)
                throw new IllegalArgumentException("preemption cost must be in [0, 86400] s, got " + preemptionCostSec);
            if (slowdown == null) slowdown = CommSlowdown.NONE;
            shares = Map.copyOf(shares == null ? Map.of() : shares);
        }
    }

    /** One line of the job event log ({@code --trace-events}). */
    public record JobEvent(double time, int job, String name, String group, int gpus, String event, int hosts,
                           int racks, String detail) {}

    /** Called now and then with the fraction of simulated time done. */
    @FunctionalInterface
    public interface Progress {
        void update(double fraction, long events);

        Progress NONE = (f, e) -> {};
    }

    /** Counters a benchmark wants, kept out of the report so that it stays byte-identical. */
    public record Stats(long events, long cycles, long jobs, long placements) {}

    // event kinds, in tie-break order at one instant
    private static final int EV_REPAIR = 0, EV_END = 1, EV_FAILURE = 2, EV_ARRIVAL = 3, EV_SAMPLE = 4, EV_WAKE = 5;

    private record End(Track track, int generation) {}
    private record Fail(int cause) {}
    private record Repair(int host, int gpu, boolean wholeHost) {}
    private record Arrive(JobSpec spec, int stream, boolean crashes) {}
    private record StartBreak(Track track, int generation) {}
    private record Sample() {}
    /** A cycle the policy asked for (a LAS threshold crossed) with no other event then. */
    private record Wake() {}

    private final Config cfg;
    private final Topology topo;
    private final FleetState state;
    private final Lifecycle lifecycle;
    private final EventQueue events = new EventQueue();
    private final Streams streams;
    private final List<FailureCause> causes;
    private final SplittableRandom[] causeRng;
    private final SplittableRandom pickRng;
    private final FailureInjector injector;
    private final JobClasses classes = new JobClasses();
    private final List<StreamGen> gens = new ArrayList<>();
    private final ArrayList<Track> tracks = new ArrayList<>();
    private final int[] sparesWanted;
    /** spares are held for gangs that lost hosts (jobs with recovery parts), not handed out to all */
    private final boolean gangSpares;
    private final double horizon;

    // metrics
    private double lastT;
    private double allocIntegral, unhealthyIntegral;
    private long submitted, completed, failed, rejected, preemptions, interruptions, hwFailures, cycles, eventCount,
            placements;
    private final Map<String, Integer> interruptionsByCause = new TreeMap<>();
    private final List<SimReport.Rejection> rejections = new ArrayList<>();
    private final List<JobEvent> jobEvents = new ArrayList<>();
    private final DoubleList queueDelays = new DoubleList();
    private final Map<String, double[]> groupSlowdown = new TreeMap<>(); // group -> {sum of JCT/duration, count}
    private final List<double[]> bigWaits = new ArrayList<>(); // {gpus, total queue wait} of completed jobs >= 8 GPUs
    private int largestGpus;
    private long multiGpuStarts, oneHostStarts, rackSizedStarts, oneRackStarts;
    private double firstSubmit = Double.NaN, lastCompletion, allocUntilLast, fragIntegral, fragTime;
    private final DoubleList waits = new DoubleList(), jcts = new DoubleList();
    private final Map<String, TeamAcc> teams = new TreeMap<>();
    private final List<SimReport.AllocationPoint> samples = new ArrayList<>();
    private final List<Track> large = new ArrayList<>();
    private double productiveGpuSec, lostGpuSec;
    private Track timelineTrack;
    private final int largeThreshold;

    private static final class TeamAcc {
        long jobs, completed, interruptions;
        double gpuSec, productiveGpuSec, costUsd, energyWh, waitSum;
        long waitCount;
    }

    private final class StreamGen {
        final StreamSpec spec;
        final SplittableRandom arrivals, sizes, durations, teamsRng, outcomes;
        final double[] cumSize, cumTeam;
        final List<StreamSpec.SizeClass> classes;
        final double rate;
        boolean lastCrashes; // whether the job next() returned last will crash

        StreamGen(int index, StreamSpec spec, long reservedGpus) {
            this.spec = spec;
            String p = "stream:" + index + ":" + spec.name();
            arrivals = streams.stream(p + ":arrivals");
            sizes = streams.stream(p + ":sizes");
            durations = streams.stream(p + ":durations");
            teamsRng = streams.stream(p + ":teams");
            outcomes = streams.stream(p + ":outcomes");
            long largest = 0;
            for (ClusterSpec c : topo.clusters()) largest = Math.max(largest, (long) (c.hosts() - c.spareHosts()) * c.gpusPerHost());
            final long cap = largest;
            classes = spec.sizes().stream().filter(s -> s.gpus() <= cap).toList();
            cumSize = cumulative(classes.stream().mapToDouble(StreamSpec.SizeClass::weight).toArray());
            cumTeam = cumulative(spec.teams().stream().mapToDouble(StreamSpec.Weighted::weight).toArray());
            double w = 0, gpuSec = 0;
            for (var s : classes) {
                w += s.weight();
                gpuSec += s.weight() * s.gpus() * s.medianHours() * 3600 * Math.exp(s.sigma() * s.sigma() / 2);
            }
            long pool = 0;
            for (ClusterSpec c : topo.clusters()) pool += (long) (c.hosts() - c.spareHosts()) * c.gpusPerHost();
            pool = Math.max(0, pool - reservedGpus);
            rate = classes.isEmpty() || pool == 0 ? 0 : spec.load() * pool / (gpuSec / w);
        }

        JobSpec next(double t) {
            var sc = classes.get(pick(cumSize, sizes.nextDouble()));
            String team = spec.teams().get(pick(cumTeam, teamsRng.nextDouble())).name();
            double dur = sc.medianHours() * 3600 * Math.exp(sc.sigma() * Streams.gaussian(durations));
            dur = Math.clamp(dur, 1.0, 365 * 86_400.0);
            // a job that will crash for its own reasons runs only until then
            lastCrashes = spec.userFailureShare() > 0 && outcomes.nextDouble() < spec.userFailureShare();
            if (lastCrashes) dur = Math.max(1.0, dur * outcomes.nextDouble());
            return new JobSpec(spec.name() + "-" + sc.gpus() + "g", team, Parallelism.of(sc.gpus(), sc.tp(), 1, 1),
                    new Work.Fixed(dur), new CheckpointPolicy(spec.checkpointIntervalSec(), spec.checkpointWriteSec(),
                    spec.restoreSec()), spec.restartSec(), Priority.parse(sc.priority()), t, null, spec.maxRestarts());
        }
    }

    public Simulation(Config cfg) {
        this.cfg = cfg;
        this.topo = new Topology(cfg.fleet());
        this.state = new FleetState(topo);
        this.lifecycle = new Lifecycle(state, cfg.policy(), new Lifecycle.Options(RestartRule.IMMEDIATE, true,
                cfg.tuning().preemptionCostSec(), cfg.tuning().shares()), new TwinRuns());
        lifecycle.setQuotas(new Quotas(cfg.workload().quotas()));
        lifecycle.setQuarantine(cfg.tuning().quarantine());
        this.streams = new Streams(cfg.seed());
        this.causes = cfg.failures().causes();
        this.causeRng = new SplittableRandom[causes.size()];
        for (int i = 0; i < causes.size(); i++) causeRng[i] = streams.stream("failure:" + causes.get(i).name());
        this.pickRng = streams.stream("failure-pick");
        this.injector = new FailureInjector(topo, cfg.failures(), streams);
        this.horizon = cfg.days() * 86_400;
        sparesWanted = new int[topo.clusterCount()];
        int spareRule = Recovery.FLEET_SPARES;
        boolean recovery = false;
        for (JobSpec j : cfg.workload().jobs()) {
            if (j.recovery() == null) continue;
            recovery = true;
            spareRule = Math.min(spareRule, j.recovery().spares()) == Recovery.AUTO_SPARES ? Recovery.AUTO_SPARES
                    : Math.max(spareRule, j.recovery().spares());
        }
        gangSpares = recovery;
        for (int c = 0; c < topo.clusterCount(); c++) {
            ClusterSpec cs = topo.cluster(c);
            int hosts = topo.endHostOfCluster(c) - topo.firstHostOfCluster(c);
            int n = spareRule == Recovery.FLEET_SPARES ? cs.spareHosts()
                    : spareRule == Recovery.AUTO_SPARES ? SparePool.size(SparePool.meanInRepair(cfg.failures(),
                            cs.gpuType(), hosts, cs.gpusPerHost()), SparePool.COVERAGE)
                    : spareRule;
            n = Math.min(n, hosts);
            sparesWanted[c] = n;
            // the last hosts of a cluster are its spares
            for (int h = topo.endHostOfCluster(c) - n; h < topo.endHostOfCluster(c); h++) {
                lifecycle.setHostStatus(h, HostStatus.SPARE);
            }
        }
        int maxJob = cfg.workload().jobs().stream().mapToInt(JobSpec::gpus).max().orElse(0);
        largeThreshold = Math.max(512, maxJob / 4);
    }

    /** The first 100 jobs refused as impossible, with the reason. */
    public List<SimReport.Rejection> rejections() {
        return List.copyOf(rejections);
    }

    public Stats stats() {
        return new Stats(eventCount, cycles, submitted, placements);
    }

    /**
     * Hosts drained as lemons (and of which the failure model's lemons), restarts that kept the
     * gang's healthy hosts, and hot spares swapped in.
     */
    public record RecoveryStats(long quarantined, long quarantinedLemons, long partialRestarts, long spareSwaps) {}

    public RecoveryStats recoveryStats() {
        long lemons = 0;
        for (int h = 0; h < topo.hostCount(); h++) if (lifecycle.isQuarantined(h) && injector.isLemon(h)) lemons++;
        return new RecoveryStats(lifecycle.quarantined(), lemons, lifecycle.partialRestarts(), lifecycle.spareSwaps());
    }

    /** Runs to the horizon and returns the report. */
    public SimReport run(Progress progress) {
        long reserved = 0;
        for (JobSpec j : cfg.workload().jobs()) {
            reserved += j.gpus();
            if (j.submitTime() < horizon) events.push(j.submitTime(), EV_ARRIVAL, new Arrive(j, -1, false));
        }
        for (int i = 0; i < cfg.workload().streams().size(); i++) {
            var g = new StreamGen(i, cfg.workload().streams().get(i), reserved);
            gens.add(g);
            scheduleArrival(i, 0);
        }
        for (int i = 0; i < causes.size(); i++) scheduleFailure(i, 0);
        double sampleEvery = horizon / 400;
        for (int k = 0; k <= 400; k++) events.push(Math.min(k * sampleEvery, horizon), EV_SAMPLE, new Sample());

        double nextProgress = 0;
        while (!events.isEmpty() && events.peekTime() <= horizon) {
            double t = events.peekTime();
            advance(t);
            boolean dirty = false;
            while (!events.isEmpty() && events.peekTime() == t) {
                Object e = events.pop();
                eventCount++;
                dirty |= handle(e, t);
            }
            if (dirty) cycle(t);
            if (t >= nextProgress) {
                progress.update(t / horizon, eventCount);
                nextProgress = t + horizon / 200;
            }
        }
        advance(horizon);
        progress.update(1.0, eventCount);
        return report();
    }

    // ---- events ---------------------------------------------------------------------------------

    private boolean handle(Object e, double t) {
        return switch (e) {
            case Arrive a -> { arrive(a, t); yield true; }
            case End end -> {
                if (end.generation() != end.track().generation || end.track().job.state() != JobState.RUNNING) yield false;
                finish(end.track(), t);
                yield true;
            }
            case Fail f -> { yield fail(f.cause(), t); }
            case Repair r -> { repair(r, t); yield true; }
            case Sample s -> { sample(t); yield false; }
            case StartBreak b -> {
                if (b.generation() != b.track().generation || b.track().job.state() != JobState.RUNNING) yield false;
                var c = FailureInjector.JOB_START;
                var ev = lifecycle.interrupt(b.track().job.id(), t, c.name(), RestartRule.Fault.HARDWARE, c.planned());
                if (ev != null) interrupted(ev);
                yield true;
            }
            case Wake w -> true;
            default -> throw new IllegalStateException("unknown event " + e);
        };
    }

    private void arrive(Arrive a, double t) {
        JobSpec spec = a.spec().withSubmitTime(t);
        Job job = lifecycle.submit(tracks.size(), spec, t).job();
        Track tr = new Track(job);
        tr.crashes = a.crashes();
        tracks.add(tr);
        classes.submitted(tr);
        submitted++;
        if (Double.isNaN(firstSubmit)) firstSubmit = t;
        largestGpus = Math.max(largestGpus, spec.gpus());
        event(t, tr, "submit", "");
        team(spec.team()).jobs++;
        if (a.stream() < 0 || (spec.gpus() >= largeThreshold && large.size() < 200)) {
            tr.large = true;
            large.add(tr);
            if (timelineTrack == null || spec.gpus() > timelineTrack.job.gpus()) {
                if (timelineTrack != null) timelineTrack.segments = null;
                timelineTrack = tr;
                tr.keepTimeline();
            }
        }
        if (a.stream() >= 0) scheduleArrival(a.stream(), t);
    }

    private void scheduleArrival(int stream, double now) {
        StreamGen g = gens.get(stream);
        if (g.rate <= 0) return;
        double t = now + Streams.exponential(g.arrivals, g.rate);
        if (t <= horizon) {
            JobSpec next = g.next(t);
            events.push(t, EV_ARRIVAL, new Arrive(next, stream, g.lastCrashes));
        }
    }

    private void scheduleFailure(int i, double now) {
        FailureCause c = causes.get(i);
        double rate = injector.ratePerSec(i);
        if (rate <= 0) return;
        double t = now + Streams.exponential(causeRng[i], rate);
        if (t <= horizon) events.push(t, EV_FAILURE, new Fail(i));
    }

    private boolean fail(int i, double t) {
        FailureCause c = causes.get(i);
        scheduleFailure(i, t);
        boolean changed = false;
        switch (c.scope()) {
            case GPU -> {
                int gpu = injector.pickGpu(i, pickRng);
                int h = hostOfGpu(gpu), g = gpu - topo.firstGpu(h);
                if (state.status(h) == HostStatus.DOWN || (state.unhealthyMask(h) & (1L << g)) != 0) return false;
                hwFailures++;
                var ev = lifecycle.gpuFailed(h, g, t, c.name(), RestartRule.Fault.HARDWARE, c.planned());
                if (ev != null) { interrupted(ev); changed = true; }
                events.push(t + c.repairHours() * 3600, EV_REPAIR, new Repair(h, g, false));
            }
            case HOST -> {
                int h = injector.pickHost(i, pickRng);
                if (state.status(h) == HostStatus.DOWN) return false;
                hwFailures++;
                boolean wasSpare = state.status(h) == HostStatus.SPARE;
                for (var ev : lifecycle.hostDown(h, t, c.name(), RestartRule.Fault.HARDWARE, c.planned())) {
                    interrupted(ev);
                    changed = true;
                }
                int cl = topo.clusterOfHost(h);
                if (!wasSpare && !gangSpares && freeSpares(cl) > 0) { activateSpare(cl); changed = true; }
                events.push(t + c.repairHours() * 3600, EV_REPAIR, new Repair(h, -1, true));
            }
            case JOB -> {
                int gpu = injector.pickGpu(i, pickRng);
                int h = hostOfGpu(gpu);
                int owner = state.ownerOf(h, gpu - topo.firstGpu(h));
                if (owner >= 0) {
                    var ev = lifecycle.interrupt(owner, t, c.name(), RestartRule.Fault.HARDWARE, c.planned());
                    if (ev != null) interrupted(ev);
                    changed = true;
                }
            }
        }
        return changed;
    }

    private void activateSpare(int cl) {
        for (int h = topo.endHostOfCluster(cl) - 1; h >= topo.firstHostOfCluster(cl); h--) {
            if (state.status(h) == HostStatus.SPARE) {
                lifecycle.setHostStatus(h, HostStatus.UP);
                return;
            }
        }
    }

    private void repair(Repair r, double t) {
        int h = r.host();
        int cl = topo.clusterOfHost(h);
        if (!r.wholeHost()) {
            if ((state.unhealthyMask(h) & (1L << r.gpu())) == 0) return;
            lifecycle.gpuRepaired(h, r.gpu());
            if (lifecycle.quarantineIfLemon(h, t)) return;
            // a mended host that nobody uses refills the gangs' spare pool
            if (gangSpares && state.status(h) == HostStatus.UP && state.unhealthyMask(h) == 0
                    && state.allocatedMask(h) == 0 && freeSpares(cl) < sparesWanted[cl])
                lifecycle.setHostStatus(h, HostStatus.SPARE);
            return;
        }
        if (state.status(h) != HostStatus.DOWN) return;
        if (lifecycle.quarantineIfLemon(h, t)) return;
        if (freeSpares(cl) < sparesWanted[cl]) {
            lifecycle.setHostStatus(h, HostStatus.SPARE);
        } else {
            lifecycle.setHostStatus(h, HostStatus.UP);
        }
    }

    private int freeSpares(int cl) {
        int n = 0;
        for (int h = topo.firstHostOfCluster(cl); h < topo.endHostOfCluster(cl); h++)
            if (state.status(h) == HostStatus.SPARE) n++;
        return n;
    }

    private int hostOfGpu(int gpu) {
        // hosts have a uniform GPU count within a cluster: find the cluster, then divide
        for (int c = 0; c < topo.clusterCount(); c++) {
            int first = topo.firstHostOfCluster(c), end = topo.endHostOfCluster(c);
            int g0 = topo.firstGpu(first), per = topo.cluster(c).gpusPerHost();
            if (gpu < g0 + (end - first) * per) return first + (gpu - g0) / per;
        }
        throw new IllegalArgumentException("GPU " + gpu + " out of range");
    }

    private void sample(double t) {
        double all = topo.totalGpus();
        samples.add(new SimReport.AllocationPoint(t / 86_400, state.allocatedGpus() / all, state.brokenGpus() / all,
                state.spareGpus() / all));
    }

    private void advance(double t) {
        double dt = t - lastT;
        if (dt > 0) {
            double free = 0, stranded = 0;
            for (int c = 0; c < topo.clusterCount(); c++) {
                int usable = state.clusterUsable(c);
                free += usable;
                stranded += usable - (double) state.clusterHostsWithUsable(c, topo.cluster(c).gpusPerHost())
                        * topo.cluster(c).gpusPerHost();
            }
            if (free > 0) {
                fragIntegral += dt * stranded / free;
                fragTime += dt;
            }
            allocIntegral += dt * state.allocatedGpus();
            unhealthyIntegral += dt * state.brokenGpus();
            lastT = t;
        }
    }

    // ---- scheduling -----------------------------------------------------------------------------

    // the earliest wake-up already queued, so that cycles do not queue one each
    private double nextWake = Double.POSITIVE_INFINITY;

    private void cycle(double t) {
        cycles++;
        for (LifecycleEvent ev : lifecycle.cycle(t)) {
            switch (ev) {
                case LifecycleEvent.Rejected r -> {
                    rejected++;
                    classes.rejected(tracks.get(r.job().id()));
                    if (rejections.size() < 100)
                        rejections.add(new SimReport.Rejection(r.job().id(), r.job().spec().name(), r.job().gpus(), r.reason()));
                    Track tr = tracks.set(r.job().id(), null);
                    if (tr.large) large.remove(tr);
                }
                case LifecycleEvent.Preempted p -> {
                    Track tr = tracks.get(p.job().id());
                    // the scheduler asks the job to save and stop: no work is lost, resuming costs
                    stopped(tr, t, p.end(), "preemption");
                    preemptions++;
                    classes.preempted(tr, lifecycle.pendingStartup(p.job().id()));
                    tr.waitingSince = t;
                    event(t, tr, "preempt", "for job " + p.forJob().id(), null);
                }
                case LifecycleEvent.Started s -> started(tracks.get(s.job().id()), s);
                default -> throw new IllegalStateException("a cycle does not " + ev);
            }
        }
        double wake = lifecycle.wakeAt();
        if (wake < nextWake || nextWake <= t) {
            nextWake = wake;
            if (nextWake <= horizon) events.push(nextWake, EV_WAKE, new Wake());
        }
    }

    /** The twin's side of the lifecycle's runs: work on the GPU type the run got, and checkpoints. */
    private final class TwinRuns implements Lifecycle.Runs {
        @Override
        public double estimate(Job job, int cluster, double now) {
            return Simulation.this.estimate(job, cluster);
        }

        @Override
        public Lifecycle.RunPlan plan(Job job, Placement p, double t, double startup) {
            Track tr = tracks.get(job.id());
            int c = p.cluster(topo);
            tr.cluster = c;
            tr.totalWork = job.spec().work().seconds(topo.cluster(c).type(), job.gpus())
                    * cfg.tuning().slowdown().factor(p, topo);
            tr.interval = job.spec().recovery() != null ? liveInterval(job, p, t) : intervalFor(job, c);
            tr.startup = startup;
            tr.runStart = t;
            tr.computeStart = t + startup;
            double remaining = tr.totalWork * (1 - tr.progress);
            double end = tr.computeStart + remaining + writes(remaining, tr.interval) * job.spec().checkpoint().writeSec();
            return new Lifecycle.RunPlan(tr.interval, job.spec().checkpoint().writeSec(), end,
                    job.spec().checkpoint().persistSec());
        }
    }

    /** Seconds the job would run if started now in cluster c, for backfill. */
    private double estimate(Job job, int c) {
        Track tr = tracks.get(job.id());
        if (c < 0) c = defaultCluster(job);
        var type = topo.cluster(c).type();
        double work = job.spec().work().seconds(type, job.gpus()) * (1 - tr.progress);
        double startup = lifecycle.pendingStartup(job.id());
        double interval = intervalFor(job, c);
        return startup + work + writes(work, interval) * job.spec().checkpoint().writeSec();
    }

    /** Checkpoint writes while training {@code work} seconds: one after every whole interval but the last. */
    private static double writes(double work, double interval) {
        return Double.isInfinite(interval) || work <= interval ? 0 : Math.floor((work - 1e-9) / interval);
    }

    private int defaultCluster(Job job) {
        for (int c = 0; c < topo.clusterCount(); c++) if (lifecycle.scheduler().placer().eligible(job.spec(), c)) return c;
        return 0;
    }

    private void event(double t, Track tr, String kind, String detail) {
        event(t, tr, kind, detail, tr.job.placement());
    }

    private void event(double t, Track tr, String kind, String detail, Placement p) {
        if (!cfg.tuning().recordEvents()) return;
        Job j = tr.job;
        jobEvents.add(new JobEvent(t, j.id(), j.spec().name(), j.team(), j.gpus(), kind,
                p == null ? 0 : p.hostCount(), p == null ? 0 : p.rackCount(topo), detail));
    }

    /** Every job's submit, start, resume, preempt, interrupt and finish, in time order (when recorded). */
    public List<JobEvent> jobEvents() {
        return List.copyOf(jobEvents);
    }

    /** Figures a policy comparison wants, over completed jobs. */
    /**
     * {@code inOneHost}: of multi-GPU jobs small enough for one host, the share whose first placement
     * was on one host; {@code inOneRack}: the same for jobs small enough for one rack.
     */
    public record ReplayStats(long completed, double meanJct, double p50Jct, double p99Jct, double meanQueueDelay,
                              double p99QueueDelay, double makespan, double allocation, double multiGpuJobs,
                              double inOneHost, double inOneRack, double fragmentation, double fairness,
                              double largestJobsMeanWait, double largestJobsMaxWait, int largestJobsGpus,
                              long preemptions) {}

    /**
     * The samples behind {@link #replayStats}, for a replay's report and comparison page, which must
     * say what the table says: each completed job's JCT and time queued (all of it, first wait and
     * after preemptions), sorted, and the window allocation is measured over (first submission to
     * last completion), in seconds.
     */
    public record ReplaySamples(double[] jcts, double[] queueDelays, double windowStart, double windowEnd) {}

    public ReplaySamples replaySamples() {
        return new ReplaySamples(jcts.sorted(), queueDelays.sorted(), Double.isNaN(firstSubmit) ? 0 : firstSubmit, lastCompletion);
    }

    public ReplayStats replayStats() {
        double[] jct = jcts.sorted(), qd = queueDelays.sorted();
        double sumJ = 0, sumQ = 0;
        for (double v : jct) sumJ += v;
        for (double v : qd) sumQ += v;
        double makespan = lastCompletion - firstSubmit;
        double span = Math.max(1e-9, lastCompletion - firstSubmit);
        double fairness = jain(groupSlowdown);
        double bigMean = 0, bigMax = 0;
        int bigN = 0;
        for (double[] w : bigWaits) {
            if (w[0] < largestGpus) continue;
            bigMean += w[1];
            bigMax = Math.max(bigMax, w[1]);
            bigN++;
        }
        if (bigN > 0) bigMean /= bigN;
        return new ReplayStats(completed, jct.length == 0 ? 0 : sumJ / jct.length, DoubleList.percentile(jct, 50),
                DoubleList.percentile(jct, 99), qd.length == 0 ? 0 : sumQ / qd.length, DoubleList.percentile(qd, 99),
                makespan, allocUntilLast / (span * topo.totalGpus()), multiGpuStarts,
                multiGpuStarts == 0 ? 1 : (double) oneHostStarts / multiGpuStarts,
                rackSizedStarts == 0 ? 1 : (double) oneRackStarts / rackSizedStarts,
                fragTime == 0 ? 0 : fragIntegral / fragTime, fairness, bigMean, bigMax, largestGpus, preemptions);
    }

    private static double jain(Map<String, double[]> groups) {
        double sum = 0, sq = 0;
        int n = 0;
        for (double[] g : groups.values()) {
            if (g[1] == 0) continue;
            double x = g[0] / g[1];
            sum += x;
            sq += x * x;
            n++;
        }
        return n == 0 || sq == 0 ? 1 : sum * sum / (n * sq);
    }

    private double intervalFor(Job job, int c) {
        CheckpointPolicy cp = job.spec().checkpoint();
        if (!cp.automatic()) return cp.intervalSec();
        int per = topo.cluster(c).gpusPerHost();
        int hosts = (job.gpus() + per - 1) / per;
        return Checkpointing.interval(cp, cfg.failures().jobMtbfSeconds(job.gpus(), hosts, topo.cluster(c).gpuType()));
    }

    /**
     * A job with recovery parts checkpoints at the Young/Daly interval of the failure rate its hosts
     * show ({@link Lifecycle#liveMtbfSec}), which is what the controller tells a real job.
     */
    private double liveInterval(Job job, Placement p, double t) {
        CheckpointPolicy cp = job.spec().checkpoint();
        if (!cp.automatic()) return cp.intervalSec();
        String type = topo.cluster(p.cluster(topo)).gpuType();
        double host = 0, own = 0;
        for (FailureCause c : causes) {
            if (c.planned()) continue;
            double r = c.jobRatePerDay(job.gpus(), p.hostCount(), type) / 86_400;
            if (c.scope() == FailureCause.Scope.JOB) own += r;
            else host += r;
        }
        return Checkpointing.interval(cp, lifecycle.liveMtbfSec(p, host, own, t));
    }

    /** A run began: the lifecycle has planned it (see {@link TwinRuns#plan}); count it and schedule its end. */
    private void started(Track tr, LifecycleEvent.Started s) {
        Job job = tr.job;
        double t = s.time();
        Placement p = s.placement();
        boolean first = s.first();
        placements++;
        int c = tr.cluster;
        event(t, tr, first ? "start" : "resume", "");
        if (first) {
            ClusterSpec cs = topo.cluster(c);
            if (job.gpus() > 1 && job.gpus() <= cs.gpusPerHost()) {
                multiGpuStarts++;
                if (p.hostCount() == 1) oneHostStarts++;
            }
            if (job.gpus() > 1 && job.gpus() <= cs.gpusPerHost() * cs.hostsPerRack()) {
                rackSizedStarts++;
                if (p.rackCount(topo) == 1) oneRackStarts++;
            }
            double w = t - job.submitTime();
            waits.add(w);
            TeamAcc ta = team(job.team());
            ta.waitSum += w;
            ta.waitCount++;
        } else {
            tr.waitAfterStart += t - tr.waitingSince;
            tr.segment(tr.waitingSince, t, "waiting", "");
        }
        double end = job.estimatedEnd();
        if (end <= horizon) events.push(end, EV_END, new End(tr, tr.generation));
        double brk = injector.startBreak(p.hostCount());
        if (!Double.isNaN(brk) && t + brk <= horizon) events.push(t + brk, EV_FAILURE, new StartBreak(tr, tr.generation));
    }

    private void finish(Track tr, double t) {
        Job job = tr.job;
        if (tr.crashes) lifecycle.fail(job.id(), t, "crashed (the job's own failure)");
        else lifecycle.complete(job.id(), t);
        double remaining = tr.totalWork * (1 - tr.progress);
        double ckpt = t - tr.computeStart - remaining;
        account(tr, t, remaining, Math.max(0, ckpt), 0, tr.startup);
        tr.segment(tr.runStart, tr.computeStart, "restarting", "");
        tr.segment(tr.computeStart, t, "running", "");
        tr.progress = 1;
        if (tr.crashes) {
            event(t, tr, "crash", "");
            failed++;
            classes.crashed(tr);
            if (!tr.large) tracks.set(job.id(), null);
            return;
        }
        classes.completed(tr);
        event(t, tr, "finish", "");
        completed++;
        jcts.add(t - job.submitTime());
        queueDelays.add(job.queueWait());
        lastCompletion = Math.max(lastCompletion, t);
        allocUntilLast = allocIntegral;
        double ideal = job.spec().work().seconds(topo.cluster(tr.cluster).type(), job.gpus());
        double[] g = groupSlowdown.computeIfAbsent(job.team(), k -> new double[2]);
        g[0] += (t - job.submitTime()) / ideal;
        g[1]++;
        if (job.gpus() >= 8) bigWaits.add(new double[] {job.gpus(), job.queueWait()});
        team(job.team()).completed++;
        if (!tr.large) tracks.set(job.id(), null);
    }

    /** The lifecycle stopped a run for a failure: count it. */
    private void interrupted(LifecycleEvent.Interrupted ev) {
        Track tr = tracks.get(ev.job().id());
        Job job = tr.job;
        double t = ev.time();
        event(t, tr, "interrupt", ev.cause(), ev.placement());
        stopped(tr, t, ev.end(), ev.cause());
        interruptions++;
        team(job.team()).interruptions++;
        interruptionsByCause.merge(ev.cause(), 1, Integer::sum);
        if (ev.requeued()) {
            tr.waitingSince = t;
        } else {
            failed++;
            classes.failed(tr);
            if (!tr.large) tracks.set(job.id(), null);
        }
    }

    /** Counts a run the lifecycle ended early: work up to the last checkpoint is kept (all of it if planned). */
    private void stopped(Track tr, double t, Run.End end, String cause) {
        tr.generation++;
        if (t <= tr.computeStart) {
            account(tr, t, 0, 0, 0, t - tr.runStart);
            tr.segment(tr.runStart, t, "restarting", cause);
            return;
        }
        double work = end.work(), ckpt = end.checkpoint(), lost = end.lost();
        work = Math.min(work, tr.totalWork * (1 - tr.progress));
        account(tr, t, work, ckpt, lost, tr.startup);
        tr.progress = Math.min(1, tr.progress + work / tr.totalWork);
        tr.segment(tr.runStart, tr.computeStart, "restarting", "");
        tr.segment(tr.computeStart, t - lost, "running", "");
        tr.segment(t - lost, t, "lost", cause);
    }

    private void account(Track tr, double t, double work, double ckpt, double lost, double restart) {
        Job job = tr.job;
        int g = job.gpus();
        double held = t - tr.runStart;
        tr.productive += work;
        tr.checkpoint += ckpt;
        tr.lost += lost;
        tr.restart += restart;
        productiveGpuSec += work * g;
        lostGpuSec += lost * g;
        ClusterSpec cs = topo.cluster(tr.cluster);
        TeamAcc ta = team(job.team());
        ta.gpuSec += held * g;
        ta.productiveGpuSec += work * g;
        ta.costUsd += held * g / 3600 * cs.gpuHourUsd();
        ta.energyWh += held * g / 3600 * cs.wattsPerGpu();
        classes.account(tr, held, work, ckpt, lost, restart);
    }

    private TeamAcc team(String name) {
        return teams.computeIfAbsent(name, k -> new TeamAcc());
    }

    // ---- report ---------------------------------------------------------------------------------

    private SimReport report() {
        // account the runs still going at the horizon as if saved now, without changing their state
        for (Job j : lifecycle.running().all()) {
            Track tr = tracks.get(j.id());
            double e = Math.max(0, horizon - tr.computeStart);
            double write = j.spec().checkpoint().writeSec();
            double[] split = Checkpointing.split(e, tr.interval, write, 0, true);
            double work = Math.min(split[0], tr.totalWork * (1 - tr.progress));
            double ckpt = Math.max(0, e - work);
            account(tr, horizon, work, ckpt, 0, Math.min(tr.startup, horizon - tr.runStart));
            tr.progress = Math.min(1, tr.progress + work / tr.totalWork);
            tr.segment(tr.runStart, Math.min(tr.computeStart, horizon), "restarting", "");
            tr.segment(tr.computeStart, horizon, "running", "");
        }
        for (Job j : lifecycle.waiting()) {
            Track tr = tracks.get(j.id());
            if (tr != null && j.state() != JobState.PENDING) {
                tr.waitAfterStart += horizon - tr.waitingSince;
                tr.segment(tr.waitingSince, horizon, "waiting", "");
            }
        }
        double allGpuSec = (double) topo.totalGpus() * horizon;
        double availableGpuSec = allGpuSec - unhealthyIntegral;
        double priceWeighted = 0, wattsWeighted = 0;
        for (ClusterSpec c : topo.clusters()) {
            priceWeighted += c.gpus() * c.gpuHourUsd();
            wattsWeighted += c.gpus() * c.wattsPerGpu();
        }
        double price = priceWeighted / topo.totalGpus(), watts = wattsWeighted / topo.totalGpus();

        List<Track> largest = new ArrayList<>(large);
        largest.sort(Comparator.comparingInt((Track x) -> -x.job.gpus()).thenComparingInt(x -> x.job.id()));
        if (largest.size() > 50) largest = largest.subList(0, 50);
        List<SimReport.JobRow> rows = largest.stream().map(this::row).toList();
        double bigEttr = timelineTrack == null ? Double.NaN : ettr(timelineTrack);

        var headline = new SimReport.Headline(submitted, completed, failed, rejected, 0, lifecycle.running().size(),
                lifecycle.waiting().size(), allocIntegral / allGpuSec, productiveGpuSec / Math.max(1, availableGpuSec),
                availableGpuSec / 3600, allocIntegral / 3600, productiveGpuSec / 3600, lostGpuSec / 3600,
                interruptions, preemptions, allGpuSec / 3600 * price, allGpuSec / 3600 * watts / 1e6, hwFailures, bigEttr);
        var fleet = cfg.fleet();
        var scenario = new SimReport.Scenario(fleet.name(), cfg.workload().name(), cfg.policy().name(), cfg.seed(),
                cfg.days(), fleet.gpus(), fleet.hosts(), round(fleet.h100Equivalents(), 1), fleet.clusters().size(),
                cfg.failures().name(), round(price, 4), round(watts, 1));
        List<SimReport.TeamRow> teamRows = new ArrayList<>();
        teams.forEach((name, a) -> teamRows.add(new SimReport.TeamRow(name, a.jobs, a.completed, a.gpuSec / 3600,
                a.productiveGpuSec / 3600, a.costUsd, a.energyWh / 1e6, a.waitCount == 0 ? 0 : a.waitSum / a.waitCount,
                a.interruptions)));
        double[] w = waits.sorted(), j = jcts.sorted();
        return new SimReport(scenario, headline, List.copyOf(samples), Map.copyOf(interruptionsByCause), dist(w), dist(j),
                histogram(w), teamRows, rows,
                timelineTrack == null || timelineTrack.segments == null ? List.of() : List.copyOf(timelineTrack.segments),
                List.copyOf(rejections), classes.rows());
    }

    private SimReport.JobRow row(Track tr) {
        Job j = tr.job;
        double end = j.state().isTerminal() ? j.endTime() : horizon;
        double wall = Double.isNaN(j.firstStart()) ? 0 : end - j.firstStart();
        return new SimReport.JobRow(j.id(), j.spec().name(), j.team(), j.gpus(), j.state().name().toLowerCase(),
                j.submitTime(), Double.isNaN(j.firstStart()) ? -1 : j.firstStart(), end, wall, tr.productive, tr.lost,
                tr.checkpoint, tr.restart, tr.waitAfterStart, tr.progress, j.restarts(), j.preemptions(),
                j.interruptionsByCause(), ettr(tr));
    }

    private double ettr(Track tr) {
        Job j = tr.job;
        if (Double.isNaN(j.firstStart())) return 0;
        double end = j.state().isTerminal() ? j.endTime() : horizon;
        double wall = end - j.firstStart();
        return wall <= 0 ? 0 : tr.productive / wall;
    }

    public static SimReport.Distribution dist(double[] s) {
        if (s.length == 0) return new SimReport.Distribution(0, 0, 0, 0, 0, 0);
        double sum = 0;
        for (double v : s) sum += v;
        return new SimReport.Distribution(s.length, sum / s.length, DoubleList.percentile(s, 50),
                DoubleList.percentile(s, 90), DoubleList.percentile(s, 99), s[s.length - 1]);
    }

    public static SimReport.Histogram histogram(double[] sorted) {
        double[] edges = {0, 60, 300, 900, 3600, 4 * 3600, 12 * 3600, 86_400, 3 * 86_400, 7 * 86_400};
        long[] counts = new long[edges.length];
        for (double v : sorted) {
            int i = edges.length - 1;
            while (i > 0 && v < edges[i]) i--;
            counts[i]++;
        }
        List<Double> e = new ArrayList<>();
        List<Long> c = new ArrayList<>();
        for (int i = 0; i < edges.length; i++) { e.add(edges[i]); c.add(counts[i]); }
        return new SimReport.Histogram(e, c);
    }

    private static double[] cumulative(double[] w) {
        double[] c = new double[w.length];
        double s = 0;
        for (int i = 0; i < w.length; i++) { s += w[i]; c[i] = s; }
        for (int i = 0; i < w.length; i++) c[i] /= s;
        return c;
    }

    private static int pick(double[] cum, double u) {
        for (int i = 0; i < cum.length; i++) if (u < cum[i]) return i;
        return cum.length - 1;
    }

    private static double round(double v, int digits) {
        double f = Math.pow(10, digits);
        return Math.round(v * f) / f;
    }
}
