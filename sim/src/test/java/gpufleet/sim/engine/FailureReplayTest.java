package gpufleet.sim.engine;

import gpufleet.core.failure.FailureCause;
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
import gpufleet.sim.report.SimReport;
import gpufleet.sim.workload.WorkloadSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Failures, repairs and hot spares on fleets of one or two single-GPU hosts, worked out on paper.
 * The only thing taken from the engine is where its random draws come from, which the class
 * documents: failures of a cause arrive as a Poisson process drawn from the seed's
 * {@code failure:NAME} stream (one exponential gap per failure, the next drawn when one lands), and
 * each failure picks its GPU or host uniformly from the {@code failure-pick} stream. The test draws
 * the same numbers, then follows the documented rules by hand (a {@link PaperJob}): a broken GPU or
 * a down host ignores further failures until its repair; a host failure swaps in a free hot spare;
 * a repaired host refills the spare pool first; an interrupted run keeps its completed checkpoint
 * periods and loses the rest, and its next run first pays restart overhead plus restore.
 */
class FailureReplayTest {
    static final double WORK = 30 * 3600, INTERVAL = 3600, WRITE = 300, RESTORE = 600, RESTART = 900;
    static final double DAYS = 3, HORIZON = DAYS * 86_400, REPAIR_H = 5, REPAIR = REPAIR_H * 3600;
    static final double USD = 2.0, WATTS = 700;
    static final FailureModel GPU_FAILURES = new FailureModel("gpu",
            List.of(new FailureCause("xid", FailureCause.Scope.GPU, 1, REPAIR_H, false, "test")));

    static FleetSpec singleGpuHosts(int hosts, int spares) {
        return new FleetSpec("tiny", "", List.of(
                new ClusterSpec("c0", "dc", "H100-SXM", hosts, 1, hosts, 1, 400, 1, spares, USD, WATTS)));
    }

    static WorkloadSpec oneJob(int maxRestarts) {
        return oneJob(1, maxRestarts);
    }

    static WorkloadSpec oneJob(int gpus, int maxRestarts) {
        var spec = new JobSpec("solo", "t", Parallelism.of(gpus, gpus, 1, 1), new Work.Fixed(WORK),
                new CheckpointPolicy(INTERVAL, WRITE, RESTORE), RESTART, Priority.NORMAL, 0, null, maxRestarts);
        return new WorkloadSpec("w", "", DAYS, List.of(spec), List.of(), Map.of());
    }

    /** The failure times the engine draws for one cause at {@code perSec} over the fleet, up to the horizon. */
    static List<Double> failureTimes(long seed, String cause, double perSec) {
        SplittableRandom r = new Streams(seed).stream("failure:" + cause);
        List<Double> out = new ArrayList<>();
        for (double t = Streams.exponential(r, perSec); t <= HORIZON; t += Streams.exponential(r, perSec)) out.add(t);
        return out;
    }

    /** The unit (GPU or host index) each successive failure hits, of {@code n}. */
    static int[] picks(long seed, int count, int n) {
        SplittableRandom r = new Streams(seed).stream("failure-pick");
        int[] out = new int[count];
        for (int i = 0; i < count; i++) out[i] = r.nextInt(n);
        return out;
    }

    /** The documented account of one job's runs, kept by hand. */
    static final class PaperJob {
        double kept, ckpt, lost, restart, held;
        double runStart = Double.NaN, startup, finish = Double.NaN;
        boolean running, started, failed;
        int interrupts, inWrite, inStartup;
        final int maxRestarts;

        PaperJob(int maxRestarts) {
            this.maxRestarts = maxRestarts;
        }
        final List<Double> resumes = new ArrayList<>();

        void start(double t) {
            if (started) resumes.add(t);
            startup = started ? RESTART + RESTORE : 0;
            started = true;
            running = true;
            runStart = t;
        }

        boolean waiting() {
            return started && !running && !failed && Double.isNaN(finish);
        }

        /** When the current run ends if nothing stops it: the rest of the work, a write after every whole period but the last. */
        double end() {
            if (!running) return Double.POSITIVE_INFINITY;
            double rest = WORK - kept;
            return runStart + startup + rest + (Math.ceil(rest / INTERVAL) - 1) * WRITE;
        }

        void finish(double t) {
            double rest = WORK - kept;
            kept = WORK;
            ckpt += t - runStart - startup - rest;
            restart += startup;
            held += t - runStart;
            running = false;
            finish = t;
        }

        void interrupt(double t) {
            interrupts++;
            failed = interrupts > maxRestarts; // restarted maxRestarts times already: no more
            held += t - runStart;
            running = false;
            double computeStart = runStart + startup;
            if (t <= computeStart) {
                inStartup++;
                restart += t - runStart;
                return;
            }
            restart += startup;
            var cut = ByHand.interruptedAfter(t - computeStart, INTERVAL, WRITE);
            if (cut.inWrite()) inWrite++;
            kept += cut.kept();
            ckpt += cut.written();
            lost += cut.lost();
        }

        /** A run still going at the horizon counts as if it saved then. */
        void horizon() {
            if (!running) return;
            held += HORIZON - runStart;
            restart += Math.min(startup, HORIZON - runStart);
            double e = Math.max(0, HORIZON - runStart - startup);
            double periods = Math.floor(e / (INTERVAL + WRITE));
            double tail = e - periods * (INTERVAL + WRITE);
            double work = periods * INTERVAL + Math.min(tail, INTERVAL);
            kept += work;
            ckpt += e - work;
        }
    }

    static Simulation sim(FleetSpec fleet, FailureModel fm, long seed, int maxRestarts) {
        var tuning = new Simulation.Tuning(Double.NaN, CommSlowdown.NONE, Map.of(), true);
        return new Simulation(new Simulation.Config(fleet, oneJob(maxRestarts), Policy.FIFO, fm, seed, DAYS, tuning));
    }

    /**
     * One host with one GPU, GPU failures at 1 a GPU-day repaired in 5 h: the job runs on the only
     * GPU, every failure of a healthy GPU interrupts it, the GPU is out of service for 5 h (a failure
     * then finds it broken and is no failure at all), and the job resumes the moment it is mended.
     */
    @ParameterizedTest
    @ValueSource(longs = {32, 50, 84})
    void aBrokenGpuIgnoresFailuresUntilRepairedAndTheJobResumesThen(long seed) {
        Paper p = paperGpu(seed, 1000);
        var job = p.job();
        // the seeds are ones where a failure lands on the broken GPU and one in a checkpoint write
        assertThat(p.ignored()).isPositive();
        assertThat(job.inWrite).isPositive();
        assertThat(job.interrupts).isGreaterThanOrEqualTo(2);

        var s = sim(singleGpuHosts(1, 0), GPU_FAILURES, seed, 1000);
        SimReport r = s.run(Simulation.Progress.NONE);
        assertThat(events(s, "resume")).as("resumes at the repairs").containsExactlyElementsOf(job.resumes);
        for (int i = 0; i < job.resumes.size(); i++)
            assertThat(job.resumes.get(i) - events(s, "interrupt").get(i)).isCloseTo(REPAIR, within(1e-6));
        assertAccount(r, job, p.hw(), p.brokenSec(), 1);
        assertThat(s.stats().cycles()).isEqualTo(p.cycles());
        assertThat(s.stats().placements()).isEqualTo(1 + job.resumes.size());
    }

    /**
     * Two single-GPU hosts, the second a hot spare, host failures at 1 a host-day repaired in 5 h.
     * A failure of the job's host brings the spare up and the job resumes on it at once; a failure
     * of the spare takes it away; a repaired host goes back to being the spare when the pool is empty,
     * and comes up as a working host otherwise (then the waiting job starts on it).
     */
    @ParameterizedTest
    @ValueSource(longs = {20, 22, 64})
    void aHostFailureSwapsInTheSpareAndARepairedHostRefillsThePool(long seed) {
        var hostFailures = new FailureModel("host", List.of(new FailureCause("psu", FailureCause.Scope.HOST, 1, REPAIR_H, false, "test")));
        Paper p = paperHosts(seed);
        var job = p.job();
        // every branch: a swap, a failure of a down host, a repair into the pool and one into service
        assertThat(p.swaps()).isPositive();
        assertThat(p.ignored()).isPositive();
        assertThat(p.repairedToSpare()).isPositive();
        assertThat(p.repairedToUp()).isPositive();

        var s = sim(singleGpuHosts(2, 1), hostFailures, seed, 1000);
        SimReport r = s.run(Simulation.Progress.NONE);
        assertThat(events(s, "resume")).as("resumes").containsExactlyElementsOf(job.resumes);
        assertThat(s.recoveryStats().spareSwaps()).isZero(); // the lifecycle's gang swaps: no gang here
        assertAccount(r, job, p.hw(), p.brokenSec(), 2);
        assertThat(s.stats().cycles()).isEqualTo(p.cycles());
    }

    /**
     * The same single GPU with a job that may restart once: its second interruption fails it (the
     * lifecycle's restart rule), and nothing more of it runs.
     */
    @ParameterizedTest
    @ValueSource(longs = {32, 84})
    void aJobOutOfRestartsFailsAtItsNextInterruption(long seed) {
        Paper p = paperGpu(seed, 1);
        var job = p.job();
        assertThat(job.failed).isTrue();
        assertThat(job.interrupts).isEqualTo(2);
        var s = sim(singleGpuHosts(1, 0), GPU_FAILURES, seed, 1);
        SimReport r = s.run(Simulation.Progress.NONE);
        assertThat(events(s, "resume")).containsExactlyElementsOf(job.resumes);
        assertAccount(r, job, p.hw(), p.brokenSec(), 1);
    }

    /**
     * Job-scope (software) failures pick a GPU of the whole fleet and interrupt the job holding it;
     * they break nothing, so the job restarts at once. Two clusters with different host sizes: two
     * hosts of one GPU (GPUs 0 and 1), then one host of four (GPUs 2 - 5) where the 4-GPU job must
     * run (its tensor-parallel group of 4 fits no other host). A failure interrupts it exactly when it
     * picks GPU 2 or above while the job runs.
     */
    @ParameterizedTest
    @ValueSource(longs = {1, 2})
    void aSoftwareFailureInterruptsTheJobHoldingThePickedGpuInAFleetOfMixedHosts(long seed) {
        var fleet = new FleetSpec("mixed", "", List.of(
                new ClusterSpec("ones", "dc", "H100-SXM", 2, 1, 2, 1, 400, 1, 0, USD, WATTS),
                new ClusterSpec("fours", "dc", "H100-SXM", 1, 4, 1, 1, 400, 1, 0, USD, WATTS)));
        var software = new FailureModel("sw", List.of(new FailureCause("sw", FailureCause.Scope.JOB, 1, 0, false, "test")));
        List<Double> fails = failureTimes(seed, "sw", 6.0 / 86_400);
        int[] hit = picks(seed, fails.size(), 6);

        var job = new PaperJob(1000);
        job.start(0);
        var changed = new java.util.TreeSet<Double>(List.of(0.0));
        int k = 0, missed = 0;
        while (true) {
            double fail = k < fails.size() ? fails.get(k) : Double.POSITIVE_INFINITY;
            double end = job.end();
            double t = Math.min(end, fail);
            if (t > HORIZON) break;
            if (t == end) { job.finish(t); changed.add(t); continue; }
            int gpu = hit[k++];
            if (!job.running || gpu < 2) { missed++; continue; }
            changed.add(t);
            job.interrupt(t);
            job.start(t);
        }
        job.horizon();
        assertThat(missed).as("some failures pick the idle GPUs").isPositive();
        assertThat(job.interrupts).isGreaterThan(3);

        var tuning = new Simulation.Tuning(Double.NaN, CommSlowdown.NONE, Map.of(), true);
        var s = new Simulation(new Simulation.Config(fleet, oneJob(4, 1000), Policy.FIFO, software, seed, DAYS, tuning));
        SimReport r = s.run(Simulation.Progress.NONE);
        assertThat(events(s, "interrupt")).containsExactlyElementsOf(job.resumes);
        var row = r.largeJobs().getFirst();
        assertThat(row.restarts()).isEqualTo(job.interrupts);
        assertThat(row.productiveTime()).isCloseTo(job.kept, within(1e-6));
        assertThat(row.lostTime()).isCloseTo(job.lost, within(1e-6));
        assertThat(row.restartTime()).isCloseTo(job.restart, within(1e-6));
        assertThat(r.headline().hardwareFailures()).isZero();
        assertThat(r.headline().lostGpuHours()).isCloseTo(4 * job.lost / 3600, within(1e-6));
        assertThat(r.headline().availableGpuHours()).isCloseTo(6 * HORIZON / 3600, within(1e-6));
        // one scheduling cycle for each instant at which something changed; a miss changes nothing
        assertThat(s.stats().cycles()).isEqualTo(changed.size());
    }

    /**
     * GPU failures on one idle host of 8 GPUs, 48 h repairs: a failure counts only when it hits a
     * healthy GPU, and each GPU that failed is out of service until its repair or the horizon.
     */
    @Test
    void aFailureOfAnAlreadyBrokenGpuOfAnEightGpuHostIsNoFailure() {
        var fleet = new FleetSpec("eight", "", List.of(new ClusterSpec("c0", "dc", "H100-SXM", 1, 8, 1, 1, 400, 1, 0, USD, WATTS)));
        var fm = new FailureModel("gpu", List.of(new FailureCause("xid", FailureCause.Scope.GPU, 1, 48, false, "test")));
        long seed = 3;
        List<Double> fails = failureTimes(seed, "xid", 8.0 / 86_400);
        int[] hit = picks(seed, fails.size(), 8);
        double[] brokenUntil = new double[8];
        int hw = 0, repeatsAboveZero = 0;
        double brokenSec = 0;
        for (int i = 0; i < fails.size(); i++) {
            double t = fails.get(i);
            int g = hit[i];
            if (t < brokenUntil[g]) { if (g > 0) repeatsAboveZero++; continue; }
            hw++;
            brokenUntil[g] = t + 48 * 3600;
            brokenSec += Math.min(48 * 3600, HORIZON - t);
        }
        assertThat(repeatsAboveZero).as("a broken GPU other than the first fails again").isPositive();
        var w = new WorkloadSpec("w", "", DAYS, List.of(new JobSpec("later", "t", Parallelism.of(1, 1, 1, 1),
                new Work.Fixed(60), CheckpointPolicy.NONE, 0, Priority.NORMAL, HORIZON + 1, null, 0)), List.of(), Map.of());
        var r = new Simulation(new Simulation.Config(fleet, w, Policy.FIFO, fm, seed, DAYS)).run(Simulation.Progress.NONE);
        assertThat(r.headline().hardwareFailures()).isEqualTo(hw);
        assertThat(r.headline().availableGpuHours()).isCloseTo((8 * HORIZON - brokenSec) / 3600, within(1e-6));
    }

    /**
     * A start that breaks (the model's start risk, 0.3 per host, within 600 s) interrupts the run it
     * belongs to inside that window after its start, and what the job books for it is the restart it
     * had paid until then: never a negative time, never more than the window.
     */
    @Test
    void aStartBreakLandsWithinItsWindowAfterTheStart() {
        var risky = new FailureModel("risky", "", List.of(), new FailureModel.Heterogeneity(0, 1, 0.3, 600, "test"));
        var tuning = new Simulation.Tuning(Double.NaN, CommSlowdown.NONE, Map.of(), true);
        int all = 0;
        for (long seed = 1; seed <= 8; seed++) {
            var s = new Simulation(new Simulation.Config(singleGpuHosts(1, 0), oneJob(1000), Policy.FIFO, risky, seed, DAYS, tuning));
            var r = s.run(Simulation.Progress.NONE);
            double lastStart = Double.NaN;
            int breaks = 0;
            for (var e : s.jobEvents()) {
                switch (e.event()) {
                    case "start", "resume" -> lastStart = e.time();
                    case "interrupt" -> {
                        breaks++;
                        assertThat(e.detail()).isEqualTo("job-start");
                        assertThat(e.time() - lastStart).isBetween(0.0, 600.0);
                    }
                    default -> {}
                }
            }
            all += breaks;
            var row = r.largeJobs().getFirst();
            assertThat(row.state()).isEqualTo("completed");
            assertThat(row.restarts()).isEqualTo(breaks);
            assertThat(row.lostTime()).isBetween(0.0, 600.0 * breaks);
            assertThat(row.restartTime()).isBetween(0.0, (RESTART + RESTORE) * breaks);
        }
        assertThat(all).isPositive();
    }

    /** What the paper account gives: the job, failures counted and ignored, GPU-seconds out of service. */
    record Paper(PaperJob job, int hw, int ignored, double brokenSec, int swaps, int repairedToSpare, int repairedToUp,
                 int cycles) {}

    /** One GPU, GPU failures: see {@link #aBrokenGpuIgnoresFailuresUntilRepairedAndTheJobResumesThen}. */
    static Paper paperGpu(long seed, int maxRestarts) {
        List<Double> fails = failureTimes(seed, "xid", 1.0 / 86_400);

        var job = new PaperJob(maxRestarts);
        job.start(0);
        // instants at which something changed, each followed by one scheduling cycle: the arrival,
        // interruptions, repairs and the finish (a failure of a broken GPU changes nothing)
        var changed = new java.util.TreeSet<Double>(List.of(0.0));
        double brokenUntil = Double.NaN, brokenSec = 0;
        int hw = 0, ignored = 0, k = 0;
        while (true) {
            double repair = Double.isNaN(brokenUntil) ? Double.POSITIVE_INFINITY : brokenUntil;
            double fail = k < fails.size() ? fails.get(k) : Double.POSITIVE_INFINITY;
            double end = job.end();
            double t = Math.min(repair, Math.min(end, fail));
            if (t > HORIZON) break;
            if (t == repair) {            // repairs come first at an instant, then ends, then failures
                changed.add(t);
                brokenUntil = Double.NaN;
                if (job.waiting()) job.start(t);
            } else if (t == end) {
                changed.add(t);
                job.finish(t);
            } else {
                k++;
                if (!Double.isNaN(brokenUntil)) { ignored++; continue; }
                hw++;
                brokenUntil = t + REPAIR;
                brokenSec += Math.min(REPAIR, HORIZON - t);
                if (job.running) { job.interrupt(t); changed.add(t); }
            }
        }
        job.horizon();
        return new Paper(job, hw, ignored, brokenSec, 0, 0, 0, changed.size());
    }

    /** Two hosts, one a spare, host failures: see {@link #aHostFailureSwapsInTheSpareAndARepairedHostRefillsThePool}. */
    static Paper paperHosts(long seed) {
        List<Double> fails = failureTimes(seed, "psu", 2.0 / 86_400);
        int[] hit = picks(seed, fails.size(), 2);

        final int up = 0, spare = 1, down = 2;
        int[] status = {up, spare};
        double[] repairAt = {Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY};
        var job = new PaperJob(1000);
        job.start(0);
        // as above; a failure changes something when it interrupts the job or brings the spare up
        var changed = new java.util.TreeSet<Double>(List.of(0.0));
        int jobHost = 0, hw = 0, ignored = 0, swaps = 0, k = 0, repairedToSpare = 0, repairedToUp = 0;
        double downSec = 0;
        while (true) {
            int rh = repairAt[0] <= repairAt[1] ? 0 : 1;
            double fail = k < fails.size() ? fails.get(k) : Double.POSITIVE_INFINITY;
            double end = job.end();
            double t = Math.min(repairAt[rh], Math.min(end, fail));
            if (t > HORIZON) break;
            if (t == repairAt[rh]) {
                changed.add(t);
                repairAt[rh] = Double.POSITIVE_INFINITY;
                boolean poolEmpty = status[0] != spare && status[1] != spare;
                status[rh] = poolEmpty ? spare : up;
                if (poolEmpty) repairedToSpare++; else repairedToUp++;
            } else if (t == end) {
                changed.add(t);
                job.finish(t);
                jobHost = -1;
            } else {
                int h = hit[k++];
                if (status[h] == down) { ignored++; continue; }
                hw++;
                boolean wasSpare = status[h] == spare;
                status[h] = down;
                repairAt[h] = t + REPAIR;
                downSec += Math.min(REPAIR, HORIZON - t);
                if (jobHost == h) { job.interrupt(t); jobHost = -1; changed.add(t); }
                int other = 1 - h;
                if (!wasSpare && status[other] == spare) { status[other] = up; swaps++; changed.add(t); }
            }
            if (job.waiting()) {
                for (int h = 0; h < 2; h++) if (status[h] == up) { jobHost = h; job.start(t); break; }
            }
        }
        job.horizon();
        return new Paper(job, hw, ignored, downSec, swaps, repairedToSpare, repairedToUp, changed.size());
    }

    private static List<Double> events(Simulation s, String kind) {
        return s.jobEvents().stream().filter(e -> e.event().equals(kind)).map(Simulation.JobEvent::time).toList();
    }

    private static void assertAccount(SimReport r, PaperJob job, int hw, double brokenSec, int gpus) {
        var h = r.headline();
        var row = r.largeJobs().getFirst();
        assertThat(h.hardwareFailures()).isEqualTo(hw);
        assertThat(h.interruptions()).isEqualTo(job.interrupts);
        // the interruption that fails the job is not followed by a restart
        assertThat(row.restarts()).isEqualTo(job.interrupts - (job.failed ? 1 : 0));
        assertThat(row.state()).isEqualTo(job.failed ? "failed"
                : Double.isNaN(job.finish) ? (job.running ? "running" : "restarting") : "completed");
        assertThat(h.jobsFailed()).isEqualTo(job.failed ? 1 : 0);
        assertThat(r.jobClasses().getFirst().failed()).isEqualTo(job.failed ? 1 : 0);
        if (!Double.isNaN(job.finish)) assertThat(row.endTime()).isCloseTo(job.finish, within(1e-6));
        assertThat(row.productiveTime()).isCloseTo(job.kept, within(1e-6));
        assertThat(row.lostTime()).isCloseTo(job.lost, within(1e-6));
        assertThat(row.checkpointTime()).isCloseTo(job.ckpt, within(1e-6));
        assertThat(row.restartTime()).isCloseTo(job.restart, within(1e-6));
        // the fleet's GPU-hours less the time its GPU (or host) was out of service
        double available = (gpus * HORIZON - brokenSec) / 3600;
        assertThat(h.availableGpuHours()).isCloseTo(available, within(1e-6));
        assertThat(h.productiveGpuHours()).isCloseTo(job.kept / 3600, within(1e-6));
        assertThat(h.goodput()).isCloseTo(job.kept / 3600 / available, within(1e-9));
        assertThat(h.lostGpuHours()).isCloseTo(job.lost / 3600, within(1e-6));
        assertThat(h.allocatedGpuHours()).isCloseTo(job.held / 3600, within(1e-6));
        assertThat(h.meanAllocation()).isCloseTo(job.held / (gpus * HORIZON), within(1e-9));
        var team = r.teams().getFirst();
        assertThat(team.gpuHours()).isCloseTo(job.held / 3600, within(1e-6));
        assertThat(team.productiveGpuHours()).isCloseTo(job.kept / 3600, within(1e-6));
        assertThat(team.costUsd()).isCloseTo(job.held / 3600 * USD, within(1e-6));
        assertThat(team.energyMWh()).isCloseTo(job.held / 3600 * WATTS / 1e6, within(1e-9));
        assertThat(team.interruptions()).isEqualTo(job.interrupts);
        var cls = r.jobClasses().getFirst();
        assertThat(cls.gpuHours()).isCloseTo(job.held / 3600, within(1e-6));
        assertThat(cls.checkpointGpuHours()).isCloseTo(job.ckpt / 3600, within(1e-6));
        assertThat(cls.lostToFailuresGpuHours()).isCloseTo((job.lost + job.restart) / 3600, within(1e-6));
        // every second the job held its GPU is one of: kept work, a write, lost work, restarting
        assertThat(job.kept + job.ckpt + job.lost + job.restart).isCloseTo(job.held, within(1e-6));
    }
}
