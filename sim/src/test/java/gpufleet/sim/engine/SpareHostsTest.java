package gpufleet.sim.engine;

import gpufleet.core.failure.FailureModel;
import gpufleet.core.failure.SparePool;
import gpufleet.core.job.CheckpointPolicy;
import gpufleet.core.job.JobSpec;
import gpufleet.core.job.Parallelism;
import gpufleet.core.job.Priority;
import gpufleet.core.job.Recovery;
import gpufleet.core.job.Work;
import gpufleet.core.sched.Policy;
import gpufleet.core.topology.ClusterSpec;
import gpufleet.core.topology.FleetSpec;
import gpufleet.sim.workload.WorkloadSpec;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * How many hot spares each cluster holds: the fleet's own number, unless a job with recovery parts
 * asks for more (the largest ask wins; "auto" wins over any number), never more than the cluster's
 * hosts. Read from the first allocation sample (time 0), whose spare share is spare GPUs over all.
 */
class SpareHostsTest {
    /** 4 hosts of 8 GPUs, of which the fleet file names 1 a spare. */
    static final FleetSpec FOUR = new FleetSpec("four", "", List.of(
            new ClusterSpec("c0", "dc", "H100-SXM", 4, 8, 4, 1, 400, 1, 1, 2.0, 700)));

    /** Llama 3's rates ten times over, so that "auto" holds spares on so small a cluster; the sample at 0 precedes every failure. */
    static final FailureModel FAILURES = FailureModel.LLAMA3.scaled(10);

    static double spareShareAtStart(Integer... spares) {
        List<JobSpec> jobs = new ArrayList<>();
        for (Integer s : spares) {
            Recovery rec = s == null ? null : new Recovery(30, 60, 10, 1, 20, true, s);
            jobs.add(new JobSpec("j" + jobs.size(), "t", Parallelism.of(8, 8, 1, 1), new Work.Fixed(3600),
                    new CheckpointPolicy(600, 10, 10), rec == null ? 60 : 0, Priority.NORMAL, 0, null, 10, null, rec));
        }
        var w = new WorkloadSpec("w", "", 1, jobs, List.of(), Map.of());
        var r = new Simulation(new Simulation.Config(FOUR, w, Policy.FIFO, FAILURES, 1, 1)).run(Simulation.Progress.NONE);
        return r.allocation().getFirst().spare();
    }

    @Test
    void theLargestAskWinsAutoWinsOverANumberAndNoClusterHoldsMoreThanItsHosts() {
        // no recovery parts: the fleet's 1 spare host, 8 of 32 GPUs
        assertThat(spareShareAtStart((Integer) null)).isCloseTo(8 / 32.0, within(1e-12));
        // the fleet's number asked for explicitly
        assertThat(spareShareAtStart(Recovery.FLEET_SPARES)).isCloseTo(8 / 32.0, within(1e-12));
        // asks of 0 and 2 (and a job without recovery parts): 2 hosts
        assertThat(spareShareAtStart(0, null, 2)).isCloseTo(16 / 32.0, within(1e-12));
        assertThat(spareShareAtStart(2, 0)).isCloseTo(16 / 32.0, within(1e-12));
        assertThat(spareShareAtStart(Recovery.FLEET_SPARES, 0)).isCloseTo(0, within(1e-12));
        // 9 asked of a 4-host cluster: all 4 (nothing else can run)
        assertThat(spareShareAtStart(9)).isCloseTo(1, within(1e-12));
        // auto, before or after a number: the pool size the failure rate asks for
        int auto = SparePool.size(SparePool.meanInRepair(FAILURES, "H100-SXM", 4, 8), SparePool.COVERAGE);
        assertThat(auto).as("neither none nor the 3 asked").isIn(1, 2);
        assertThat(spareShareAtStart(3, Recovery.AUTO_SPARES)).isCloseTo(auto * 8 / 32.0, within(1e-12));
        assertThat(spareShareAtStart(Recovery.AUTO_SPARES, 3)).isCloseTo(auto * 8 / 32.0, within(1e-12));
    }

    /** "auto" sizes each cluster's pool for that cluster's own hosts: here 4 and 6 hosts of 8 GPUs. */
    @Test
    void autoSizesEachClustersPoolForItsOwnHosts() {
        var fleet = new FleetSpec("two", "", List.of(
                new ClusterSpec("c0", "dc", "H100-SXM", 4, 8, 4, 1, 400, 1, 0, 2.0, 700),
                new ClusterSpec("c1", "dc", "H100-SXM", 6, 8, 6, 1, 400, 1, 0, 2.0, 700)));
        var rec = new Recovery(30, 60, 10, 1, 20, true, Recovery.AUTO_SPARES);
        var w = new WorkloadSpec("w", "", 1, List.of(new JobSpec("g", "t", Parallelism.of(8, 8, 1, 1), new Work.Fixed(3600),
                new CheckpointPolicy(600, 10, 10), 0, Priority.NORMAL, 0, null, 10, null, rec)), List.of(), Map.of());
        int a0 = SparePool.size(SparePool.meanInRepair(FAILURES, "H100-SXM", 4, 8), SparePool.COVERAGE);
        int a1 = SparePool.size(SparePool.meanInRepair(FAILURES, "H100-SXM", 6, 8), SparePool.COVERAGE);
        int wrong = SparePool.size(SparePool.meanInRepair(FAILURES, "H100-SXM", 4 + 10, 8), SparePool.COVERAGE);
        assertThat(a1).as("the pool for 6 hosts differs from the pool for 14").isNotEqualTo(wrong).isLessThan(6);
        var r = new Simulation(new Simulation.Config(fleet, w, Policy.FIFO, FAILURES, 1, 1)).run(Simulation.Progress.NONE);
        assertThat(r.allocation().getFirst().spare()).isCloseTo((a0 + a1) * 8 / 80.0, within(1e-12));
    }

    /**
     * A job with recovery parts checkpoints at the Young/Daly interval of the failure rate its hosts
     * and its own software show; before any failure that is the model's rate. One host's 8 GPUs at
     * 0.002 GPU failures and 0.001 software failures a GPU-day: 8 x 0.003 = 0.024 a day, an MTBF
     * of 86,400 / 0.024 = 3,600,000 s, and with a 50 s write sqrt(2 x 50 x 3,600,000) = 18,973.7 s.
     * 40,000 s of work is two whole intervals and a part: two writes, ending at 40,100. A job with an
     * interval of its own (600 s) keeps it: 3,600 s of work and 5 writes of 10 s end at 3,650.
     */
    @Test
    void aRecoveryJobsIntervalIsYoungDalyForItsHostsAndItsOwnFailures() {
        var fm = new FailureModel("mixed", List.of(
                new gpufleet.core.failure.FailureCause("xid", gpufleet.core.failure.FailureCause.Scope.GPU, 0.002, 24, false, "test"),
                new gpufleet.core.failure.FailureCause("sw", gpufleet.core.failure.FailureCause.Scope.JOB, 0.001, 0, false, "test")));
        var rec = new Recovery(30, 60, 10, 1, 20, true, 0);
        var auto = new JobSpec("auto", "t", Parallelism.of(8, 8, 1, 1), new Work.Fixed(40_000), new CheckpointPolicy(0, 50, 0),
                0, Priority.NORMAL, 0, null, 10, null, rec);
        var fixed = new JobSpec("fixed", "t", Parallelism.of(8, 8, 1, 1), new Work.Fixed(3600), new CheckpointPolicy(600, 10, 0),
                0, Priority.NORMAL, 0, null, 10, null, rec);
        var r = new Simulation(new Simulation.Config(FOUR, new WorkloadSpec("w", "", 1, List.of(auto, fixed), List.of(), Map.of()),
                Policy.FIFO, fm, 2, 1)).run(Simulation.Progress.NONE);
        assertThat(Math.sqrt(2 * 50 * 3_600_000.0)).isCloseTo(18_973.7, within(0.1));
        var a = r.largeJobs().stream().filter(j -> j.name().equals("auto")).findFirst().orElseThrow();
        var f = r.largeJobs().stream().filter(j -> j.name().equals("fixed")).findFirst().orElseThrow();
        assertThat(a.restarts() + f.restarts()).as("no failure hits either job").isZero();
        assertThat(a.endTime()).isCloseTo(40_100, within(1e-6));
        assertThat(a.checkpointTime()).isCloseTo(100, within(1e-6));
        assertThat(f.endTime()).isCloseTo(3650, within(1e-6));
    }
}
