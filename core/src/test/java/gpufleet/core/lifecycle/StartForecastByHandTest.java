package gpufleet.core.lifecycle;

import gpufleet.core.job.CheckpointPolicy;
import gpufleet.core.job.JobSpec;
import gpufleet.core.job.Parallelism;
import gpufleet.core.job.Work;
import gpufleet.core.lifecycle.StartForecast.Outcome;
import gpufleet.core.lifecycle.StartForecast.Running;
import gpufleet.core.lifecycle.StartForecast.Snapshot;
import gpufleet.core.lifecycle.StartForecast.Waiting;
import gpufleet.core.sched.PolicyRegistry;
import gpufleet.core.sched.Quotas;
import gpufleet.core.state.FleetState;
import gpufleet.core.state.HostStatus;
import gpufleet.core.state.Placement;
import gpufleet.core.testkit.Fleets;
import gpufleet.core.topology.Topology;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The forecast's copy of the fleet, its virtual clock and its words, on snapshots written out by hand
 * (two hosts of 8 GPUs unless said otherwise), so each start time and each reason follows from the
 * policy by arithmetic. {@link StartForecastTest} takes its snapshots from a live lifecycle.
 */
class StartForecastByHandTest {
    private static final Topology TWO_HOSTS = Fleets.labTopology(1, 1, 1, 2, 8);

    private static JobSpec spec(int gpus, int tp) {
        return new JobSpec("j", "t", Parallelism.of(gpus, tp, 1, 1), new Work.Fixed(1e6), CheckpointPolicy.NONE, 0, 1, 0,
                null, 0);
    }

    private static Running running(int id, int gpus, int host, int firstGpu, double end) {
        long mask = ((1L << gpus) - 1) << firstGpu;
        return new Running(id, spec(gpus, 1), new Placement(new int[] {host}, new long[] {mask}), 0, end, 0, 0, 0);
    }

    private static Waiting waiting(int id, int gpus, int tp, double limit, double retryAt) {
        return new Waiting(id, spec(gpus, tp), 0, 0, 0, 0, limit, retryAt, 0);
    }

    private static Snapshot snapshot(Topology topo, String policy, double now, byte[] status, long[] unhealthy,
                                     List<Running> running, List<Waiting> waiting, Quotas quotas) {
        return new Snapshot(topo, PolicyRegistry.get(policy), now, status, unhealthy, running, waiting, quotas, Map.of());
    }

    private static Snapshot snapshot(String policy, double now, List<Running> running, List<Waiting> waiting) {
        return snapshot(TWO_HOSTS, policy, now, new byte[2], new long[2], running, waiting, Quotas.NONE);
    }

    /**
     * Job 1 holds both hosts until 160; jobs 2 and 3 (16 GPUs, 5 s each) follow in strict order. Job 2
     * starts at 160 and ends at 165. Past the first step the clock moves at least a sixteenth of the time
     * already forecast: from 160 that is 160 + 160 / 16 = 170 > 165, so job 3 is seen to start at 170.
     * With no overshoot allowed it starts at 165, exactly.
     */
    @Test
    void pastTheFirstStepTheClockOvershootsByASixteenthOfTheDistance() {
        var s = snapshot("fifo", 0, List.of(new Running(1, spec(16, 1), new Placement(new int[] {0, 1},
                new long[] {0xFF, 0xFF}), 0, 160, 0, 0, 0)), List.of(waiting(2, 16, 1, 5, Double.NaN),
                waiting(3, 16, 1, 5, Double.NaN)));

        var coarse = StartForecast.run(s);
        assertThat(coarse.of(2).start()).isEqualTo(160);
        assertThat(coarse.of(3).start()).isEqualTo(170);
        // cycles at 0, 160 and 170
        assertThat(coarse.cycles()).isEqualTo(3);

        var exact = StartForecast.run(s, StartForecast.DEFAULT_HORIZON_SEC, 0, t -> "t=" + t);
        assertThat(exact.of(3).start()).isEqualTo(165);
        assertThat(exact.of(3).reason()).isEqualTo("behind a blocked job (strict order): needs 16 GPUs, 0 free,"
                + " behind job 2 (starts t=160.0)");
    }

    /**
     * Jobs backing off after quick failures may start at 50 and 80 on an empty fleet: the clock stops at
     * each retry time, and only there (cycles at 0, 50 and 80).
     */
    @Test
    void jobsBackingOffStartAtTheirRetryTimes() {
        var s = snapshot("fifo-backfill", 0, List.of(), List.of(waiting(1, 8, 1, 1000, 50), waiting(2, 8, 1, 1000, 80)));
        var r = StartForecast.run(s);
        assertThat(r.of(1).start()).isEqualTo(50);
        assertThat(r.of(2).start()).isEqualTo(80);
        assertThat(r.cycles()).isEqualTo(3);
    }

    /** A run already past its expected end (5 < now = 10) ends before the first cycle, which starts job 2. */
    @Test
    void aRunPastItsEndIsEndedBeforeTheFirstCycle() {
        var s = snapshot("fifo", 10, List.of(running(1, 8, 0, 0, 5)), List.of(waiting(2, 16, 1, 60, Double.NaN)));
        var r = StartForecast.run(s);
        assertThat(r.of(2).outcome()).isEqualTo(Outcome.STARTS);
        assertThat(r.of(2).start()).isEqualTo(10);
        assertThat(r.of(2).reason()).isEmpty();
        assertThat(r.cycles()).isEqualTo(1);
    }

    /**
     * Host 0 is draining under job 1 (4 GPUs, until 100), and GPU 3 of host 1 is bad. Now: host 0 gives
     * nothing (draining), host 1 gives 7. With job 1 ended the drained host still gives nothing, so a job
     * of 16 never fits and at most 7 GPUs are usable. Were the drain applied before the job was restored
     * the copy would refuse the job's GPUs; were it not applied, 4 + 7 GPUs would look free now and 15
     * after job 1.
     */
    @Test
    void theCopyKeepsDrainedHostsAndBadGpusAroundRunningJobs() {
        byte[] status = {(byte) HostStatus.DRAINING.ordinal(), 0};
        long[] unhealthy = {0, 1L << 3};
        var s = snapshot(TWO_HOSTS, "fifo-backfill", 10, status, unhealthy, List.of(running(1, 4, 0, 0, 100)),
                List.of(waiting(2, 16, 1, 60, Double.NaN), waiting(3, 4, 1, 60, Double.NaN)), Quotas.NONE);
        var r = StartForecast.run(s);
        assertThat(r.of(2).outcome()).isEqualTo(Outcome.NEVER);
        assertThat(r.of(2).reason()).isEqualTo("waiting for free GPUs (holds the reservation): needs 16 GPUs, 7 free;"
                + " never fits: at most 7 usable GPUs with every job ended");
        // 4 of host 1's 7 good GPUs: at once
        assertThat(r.of(3).start()).isEqualTo(10);
    }

    /**
     * A bad GPU under a running job (host 0, GPU 2, job 1 on all 8 until 100) is marked once the job is
     * restored: after job 1 ends host 0 gives 7, so a job of 16 never fits.
     */
    @Test
    void aGpuFoundBadUnderARunningJobStaysBadAfterItEnds() {
        var s = snapshot(TWO_HOSTS, "fifo", 10, new byte[2], new long[] {1L << 2, 0}, List.of(running(1, 8, 0, 0, 100)),
                List.of(waiting(2, 16, 1, 60, Double.NaN)), Quotas.NONE);
        var r = StartForecast.run(s);
        assertThat(r.of(2).outcome()).isEqualTo(Outcome.NEVER);
        assertThat(r.of(2).reason()).endsWith("needs 16 GPUs, 8 free; never fits: at most 15 usable GPUs with every job ended");
    }

    /**
     * The words: one GPU in the singular; a tensor-parallel group named; the reservation holder's own
     * reason names no other holder. Job 1 holds both hosts until 100 (now 10); job 2 (1 GPU) holds the
     * reservation; job 3 (8 GPUs in groups of 4) waits for free GPUs; both start at 100.
     */
    @Test
    void reasonsWordTheGpusAJobNeeds() {
        var s = snapshot("fifo-backfill", 10, List.of(new Running(1, spec(16, 1), new Placement(new int[] {0, 1},
                new long[] {0xFF, 0xFF}), 0, 100, 0, 0, 0)), List.of(waiting(2, 1, 1, 60, Double.NaN),
                waiting(3, 8, 4, 60, Double.NaN)));
        var r = StartForecast.run(s);
        assertThat(r.of(2).reason()).isEqualTo("waiting for free GPUs (holds the reservation): needs 1 GPU, 0 free,"
                + " reserved for now+90s");
        assertThat(r.of(3).reason()).startsWith("waiting for free GPUs")
                .contains(": needs 8 GPUs in groups of 4 on one host, 0 free");
        assertThat(r.of(2).start()).isEqualTo(100);
        assertThat(r.of(3).start()).isEqualTo(100);
    }

    /**
     * Two clusters of one 8-GPU host: job 1 holds all of c0 until 100, job 2 half of c1 until 300. Job 3
     * (8 GPUs) must fit in one cluster: at most 4 are free in one (c1), and it starts at 100 on c0. In
     * strict order the head of the queue holds the reservation.
     */
    @Test
    void onSeveralClustersTheFreeCountIsTheBestCluster() {
        Topology two = Fleets.labTopology(2, 1, 1, 1, 8);
        var s = snapshot(two, "fifo", 10, new byte[2], new long[2],
                List.of(running(1, 8, 0, 0, 100), running(2, 4, 1, 0, 300)), List.of(waiting(3, 8, 1, 60, Double.NaN)),
                Quotas.NONE);
        var r = StartForecast.run(s);
        assertThat(r.of(3).reason()).isEqualTo("waiting for free GPUs (holds the reservation): needs 8 GPUs in one cluster,"
                + " 4 free, reserved for now+90s");
        assertThat(r.of(3).start()).isEqualTo(100);
    }

    /** Team t may hold 8 GPUs and holds them until 100: the quota's own words, nothing added; then it starts. */
    @Test
    void aJobOverItsTeamsQuotaKeepsTheQuotasWords() {
        var s = snapshot(TWO_HOSTS, "fifo-backfill", 10, new byte[2], new long[2], List.of(running(1, 8, 0, 0, 100)),
                List.of(waiting(2, 8, 1, 60, Double.NaN)), new Quotas(Map.of("t", 8)));
        var r = StartForecast.run(s);
        assertThat(r.of(2).reason()).isEqualTo("team quota (t: 8 + 8 > 8 GPUs)");
        assertThat(r.of(2).start()).isEqualTo(100);
    }

    /** Two runs without a limit hold the fleet: the count is worded in the plural. */
    @Test
    void severalRunsWithoutALimitAreCounted() {
        var s = snapshot("fifo", 10, List.of(running(1, 8, 0, 0, Double.POSITIVE_INFINITY),
                running(2, 8, 1, 0, Double.POSITIVE_INFINITY)), List.of(waiting(3, 8, 1, 60, Double.NaN)));
        var r = StartForecast.run(s);
        assertThat(r.of(3).outcome()).isEqualTo(Outcome.NO_ESTIMATE);
        assertThat(r.of(3).reason()).isEqualTo("waiting for free GPUs (holds the reservation): needs 8 GPUs, 0 free;"
                + " no estimate: 2 jobs run without a time limit");
    }

    /**
     * The horizon ends at 160 (now 10, horizon 150), exactly when job 1 ends: job 2 starts there, at the
     * horizon's last moment. Then job 4 and job 2 hold the fleet without limits, so job 3 has no
     * estimate: the forecast ran out of events within the horizon, not out of horizon.
     */
    @Test
    void aStartAtTheHorizonsLastMomentCounts() {
        var s = snapshot("fifo", 10, List.of(running(1, 8, 0, 0, 160), running(4, 8, 1, 0, Double.POSITIVE_INFINITY)),
                List.of(waiting(2, 8, 1, Double.NaN, Double.NaN), waiting(3, 16, 1, 60, Double.NaN)));
        var r = StartForecast.run(s, 150, t -> "t=" + t);
        assertThat(r.of(2).outcome()).isEqualTo(Outcome.STARTS);
        assertThat(r.of(2).start()).isEqualTo(160);
        assertThat(r.of(3).outcome()).isEqualTo(Outcome.NO_ESTIMATE);
        assertThat(r.of(3).reason()).endsWith("; no estimate: 2 jobs run without a time limit");
    }

    /**
     * Shortest remaining time first, over running and waiting jobs, reads a running job's remaining
     * time from its expected end. At 100 job 1 (the whole fleet, ending at 150) has 50 s left, less than
     * job 2's 100: job 2 waits until 150. At 10 job 1 (ending at 1000) has 990 s left: job 2 preempts it.
     */
    @Test
    void aRunningJobsRemainingTimeIsItsExpectedEndLessNow() {
        var whole = new Placement(new int[] {0, 1}, new long[] {0xFF, 0xFF});
        var soon = snapshot("srtf", 100, List.of(new Running(1, spec(16, 1), whole, 0, 150, 0, 0, 0)),
                List.of(waiting(2, 16, 1, 100, Double.NaN)));
        assertThat(StartForecast.run(soon).of(2).start()).isEqualTo(150);
        var late = snapshot("srtf", 10, List.of(new Running(1, spec(16, 1), whole, 0, 1000, 0, 0, 0)),
                List.of(waiting(2, 16, 1, 100, Double.NaN)));
        assertThat(StartForecast.run(late).of(2).start()).isEqualTo(10);
    }

    /** A horizon of 1.5 h is worded rounded, as 2 h. */
    @Test
    void theHorizonIsWordedInWholeHours() {
        var s = snapshot("fifo", 0, List.of(running(1, 8, 0, 0, 10_000), running(2, 8, 1, 0, 10_000)),
                List.of(waiting(3, 8, 1, 60, Double.NaN)));
        var r = StartForecast.run(s, 5400, t -> "t=" + t);
        assertThat(r.of(3).outcome()).isEqualTo(Outcome.BEYOND_HORIZON);
        assertThat(r.of(3).reason()).endsWith("; not within 2 h");
    }

    /** The copy of a live lifecycle: limits, host states, and no quotas or shares when none are given. */
    @Test
    void aSnapshotCopiesTheLifecycle() {
        TimeLimitRuns limits = new TimeLimitRuns();
        var lc = new Lifecycle(new FleetState(TWO_HOSTS), PolicyRegistry.get("fifo"),
                TimeLimitRuns.options(RestartRule.IMMEDIATE), limits);
        limits.set(1, 100L);
        lc.submit(1, spec(8, 1), 0);
        lc.cycle(0);
        lc.submit(2, spec(16, 1), 5);
        lc.setHostStatus(1, HostStatus.DRAINING);
        var s = StartForecast.snapshot(lc, limits::limit, null, null, 20);
        assertThat(s.now()).isEqualTo(20);
        assertThat(s.hostStatus()).containsExactly(0, (byte) HostStatus.DRAINING.ordinal());
        assertThat(s.running()).extracting(Running::id, Running::estimatedEnd).containsExactly(
                org.assertj.core.groups.Tuple.tuple(1, 100.0));
        assertThat(s.waiting()).hasSize(1);
        assertThat(s.waiting().getFirst().limitSec()).isNaN();
        assertThat(s.quotas().limit("t")).isEqualTo(new Quotas(Map.of()).limit("t"));
        assertThat(s.shares()).isEmpty();
        var given = StartForecast.snapshot(lc, limits::limit, new Quotas(Map.of("t", 8)), Map.of("t", 3), 20);
        assertThat(given.quotas().limit("t")).isEqualTo(8);
        assertThat(given.shares()).containsExactly(Map.entry("t", 3));
    }
}
