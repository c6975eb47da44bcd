package gpufleet.sim.replay;

import gpufleet.core.perf.CommSlowdown;
import gpufleet.core.sched.Policy;
import gpufleet.core.sched.PolicyRegistry;
import gpufleet.sim.engine.Simulation;
import gpufleet.sim.trace.TraceFormats;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Each policy's semantics on hand-made traces, with the right answer worked out by hand in the
 * comments. Flat pools and no slowdown, so only the policy decides.
 */
class PolicySemanticsTest {

    @TempDir
    Path tmp;

    /** Job id -> completion time, and the run's stats. */
    record Outcome(Map<Integer, Double> finish, Simulation.ReplayStats stats) {}

    Outcome run(String csv, String fleet, Policy policy) throws Exception {
        Path f = tmp.resolve("t.csv");
        Files.writeString(f, "id,submit_time,duration,gpus,group\n" + csv);
        var replay = new Replay(TraceFormats.read(f, "gpufleet"), ReplayFleets.parse(fleet),
                new Replay.Options(0, CommSlowdown.NONE, 0, 1, true));
        var r = replay.run(policy);
        Map<Integer, Double> finish = new LinkedHashMap<>();
        for (var e : r.events()) if (e.event().equals("finish")) finish.put(e.job(), e.time());
        assertThat(r.unfinished()).isZero();
        return new Outcome(finish, r.stats());
    }

    // A: a long 4-GPU job, then two short 2-GPU jobs, on 4 GPUs
    static final String A = """
            0,0,100,4,g
            1,10,10,2,g
            2,20,10,2,g
            """;

    @Test
    void fifoRunsInArrivalOrderWithoutPreemption() throws Exception {
        // j0 0-100; j1 and j2 both start at 100 (2 + 2 GPUs) and end at 110
        var o = run(A, "gpus:4", Policy.FIFO);
        assertThat(o.finish()).containsExactly(Map.entry(0, 100.0), Map.entry(1, 110.0), Map.entry(2, 110.0));
        assertThat(o.stats().meanJct()).isCloseTo((100 + 100 + 90) / 3.0, within(1e-9));
        assertThat(o.stats().preemptions()).isZero();
    }

    @Test
    void srtfPreemptsTheLongJobForShorterOnes() throws Exception {
        // t=10: j1 (10 s left) outranks j0 (90 s left), needs 2 of 4 GPUs, j0 needs all 4: j0 is preempted,
        // j1 runs 10-20. t=20: j1 ends, j2 arrives and (10 s) outranks j0: runs 20-30. j0 resumes at 30
        // with 90 s left (no work lost, zero preemption cost) and ends at 120.
        var o = run(A, "gpus:4", Policy.SRTF);
        assertThat(o.finish()).containsEntry(1, 20.0).containsEntry(2, 30.0).containsEntry(0, 120.0);
        assertThat(o.stats().meanJct()).isCloseTo((120 + 10 + 10) / 3.0, within(1e-9));
        assertThat(o.stats().preemptions()).isEqualTo(1);
    }

    @Test
    void lasDemotesByAttainedGpuTimeAtItsThresholds() throws Exception {
        // default thresholds (3,250 GPU-s): j0 has only 40 GPU-s at t=10, all jobs share queue 0, arrival
        // order holds, nothing is preempted: same as fifo
        var tiresias = run(A, "gpus:4", Policy.LAS);
        assertThat(tiresias.finish()).containsEntry(0, 100.0).containsEntry(1, 110.0).containsEntry(2, 110.0);
        // threshold 30 GPU-s: at t=10 j0 (40 GPU-s) is in queue 1, j1 in queue 0: j0 is preempted as under srtf
        var low = run(A, "gpus:4", PolicyRegistry.get("las", new double[] {30}));
        assertThat(low.finish()).containsEntry(1, 20.0).containsEntry(2, 30.0).containsEntry(0, 120.0);
    }

    @Test
    void gpufleetNeverPreemptsAJobThatStartedUnderTenMinutesAgo() throws Exception {
        // j0 started at 0; at t=10 and t=20 it has run under 600 s, so it keeps its GPUs: as fifo
        var o = run(A, "gpus:4", Policy.GPUFLEET);
        assertThat(o.finish()).containsEntry(0, 100.0).containsEntry(1, 110.0).containsEntry(2, 110.0);
        assertThat(o.stats().preemptions()).isZero();
    }

    // B: j0 holds 2 of 4 GPUs until 100; j1 needs all 4; j2 is short, j3 long
    static final String B = """
            0,0,100,2,g
            1,1,50,4,g
            2,2,50,2,g
            3,3,200,2,g
            """;

    @Test
    void strictFifoBlocksBehindTheFirstJobThatDoesNotFit() throws Exception {
        // j1 blocks: j1 100-150; then j2 150-200 and j3 150-350 together
        var o = run(B, "gpus:4", Policy.FIFO);
        assertThat(o.finish()).containsEntry(0, 100.0).containsEntry(1, 150.0).containsEntry(2, 200.0).containsEntry(3, 350.0);
        assertThat(o.stats().meanJct()).isCloseTo((100 + 149 + 198 + 347) / 4.0, within(1e-9));
    }

    @Test
    void easyBackfillStartsWhatEndsBeforeTheReservationAndNothingThatWouldDelayIt() throws Exception {
        // j1 reserves t=100 (when j0 ends); j2 ends at 52 <= 100: backfilled 2-52. j3 would end at 203 and
        // there are no spare GPUs at 100 (2 free + 2 from j0 - 4 = 0): it waits. j1 100-150, j3 150-350.
        var o = run(B, "gpus:4", Policy.FIFO_BACKFILL);
        assertThat(o.finish()).containsEntry(0, 100.0).containsEntry(2, 52.0).containsEntry(1, 150.0).containsEntry(3, 350.0);
        assertThat(o.stats().meanJct()).isCloseTo((100 + 149 + 50 + 347) / 4.0, within(1e-9));
    }

    @Test
    void sjfStartsTheShortestWaitingJobThatFitsWithoutReserving() throws Exception {
        // t=1: j1 (4 GPUs) does not fit. t=2: j2 fits, starts 2-52. t=3: j3 does not fit (0 free).
        // t=52: j2 ends, 2 free: waiting j1 (50 s, 4 GPUs) and j3 (200 s, 2 GPUs): j1 first but does
        // not fit, j3 fits: 52-252 (no reservation). t=100: j0 ends, 2 free, j1 still needs 4: waits
        // until 252; runs 252-302.
        var o = run(B, "gpus:4", Policy.SJF);
        assertThat(o.finish()).containsEntry(2, 52.0).containsEntry(0, 100.0).containsEntry(3, 252.0).containsEntry(1, 302.0);
    }

    // C: two groups on 4 GPUs; group a floods first, b arrives later
    static final String C = """
            0,0,100,2,a
            1,0,100,2,a
            2,1,100,2,a
            3,5,100,2,b
            """;

    @Test
    void fairShareReclaimsBorrowedGpusForTheGroupBelowItsShare() throws Exception {
        // shares: 2 GPUs each (4 GPUs, 2 groups). a runs j0 and j1 (borrowing b's share); j2 waits.
        // t=5: b's j3 ranks first (b has 0 of its 2), then a's j0 (2 of 2), then j1 (borrowing):
        // j1 is preempted and j3 starts. j0 ends 100, j2 (a, arrived first among a's waiting... j1 and j2)
        // then a's j1 resumes first (arrival order within a) 100-195 (95 s left), j3 ends 105, j2 105-205.
        var o = run(C, "gpus:4", Policy.FAIR);
        assertThat(o.finish()).containsEntry(0, 100.0).containsEntry(3, 105.0).containsEntry(1, 195.0).containsEntry(2, 205.0);
        assertThat(o.stats().preemptions()).isEqualTo(1);
    }
}
