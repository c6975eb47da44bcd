package gpufleet.core.sched.plugin;

import gpufleet.core.job.Job;
import gpufleet.core.job.JobState;
import gpufleet.core.sched.Policy;
import gpufleet.core.sched.Quotas;
import gpufleet.core.sched.framework.Memory;
import gpufleet.core.testkit.Fleets;
import gpufleet.core.testkit.Harness;
import gpufleet.core.testkit.Placements;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;
import java.util.Map;

import static gpufleet.core.testkit.Harness.preempted;
import static gpufleet.core.testkit.Harness.started;
import static gpufleet.core.testkit.Jobs.job;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Tiresias walk's budget, team counts and memory, worked out by hand. Limits are 100 and 100,000
 * GPU-seconds (three queues) unless said otherwise; a job's attained service is what it brought plus
 * GPUs times the seconds it has run.
 */
class TiresiasWalkByHandTest {
    private static final double[] LIMITS = {100, 100_000};
    private static final String T = "tiresias-las";

    private static Harness harness(int hosts) {
        return new Harness(Fleets.lab(1, 1, 1, hosts, 8), Policy.tiresiasLas(LIMITS, TiresiasLas.Wake.CROSSING));
    }

    private static Job attained(Job j, double gpuSeconds) {
        j.addAttained(gpuSeconds);
        return j;
    }

    /**
     * One host of 8 GPUs. R (8 GPUs, 16 GPU-seconds at t = 2: queue 0) runs; W (8 GPUs, queue 0, arrived
     * after R) waits. The walk's budget is the host's 8 GPUs, all of which R needs: R keeps them, W waits.
     */
    @Test
    void aRunningJobThatNeedsTheWholeBudgetKeepsIt() {
        var h = harness(1);
        Job r = h.run(job(1).gpus(8).submit(0).build(), 0);
        Job w = job(2).gpus(8).submit(1).build();
        assertThat(h.cycle(2, w).decisions()).isEmpty();
        assertThat(r.state()).isEqualTo(JobState.RUNNING);
    }

    /**
     * One host of 8 GPUs. R1 (4 GPUs, queue 0) and R2 (4 GPUs, 200 GPU-seconds brought: queue 1) run; W
     * (4 GPUs, queue 0, after R1) waits. Walk: R1 keeps 4 of the 8, W takes the other 4, nothing is left
     * for R2: W starts on R2's GPUs and R2 is preempted for it.
     */
    @Test
    void aWaitingJobOfAHigherQueueTakesWhatARunningJobAheadOfItLeaves() {
        var h = harness(1);
        Job r1 = h.run(job(1).gpus(4).submit(0).build(), 0);
        Job r2 = h.run(attained(job(2).gpus(4).submit(0.5).build(), 200), 0);
        Job w = job(3).gpus(4).submit(1).build();
        var r = h.cycle(2, w);
        assertThat(started(r)).containsExactly(w);
        assertThat(preempted(r)).containsExactly(r2);
        assertThat(r1.state()).isEqualTo(JobState.RUNNING);
    }

    /**
     * Two hosts of 8 GPUs; team t may hold 12. R (t, 8 GPUs) runs. W (t, 4 GPUs) brings t to exactly 12
     * and starts; W' (t, 1 GPU, behind W) would make 13 and waits, though it passed the gate (at the gate
     * t held 8).
     */
    @Test
    void aTeamMayFillItsQuotaExactlyAndNoFurther() {
        var h = harness(2).quotas(new Quotas(Map.of("t", 12)));
        h.run(job(1).team("t").gpus(8).submit(0).build(), 0);
        Job w = job(2).team("t").gpus(4).submit(1).build(), w1 = job(3).team("t").gpus(1).submit(2).build();
        var r = h.cycle(3, w, w1);
        assertThat(started(r)).containsExactly(w);
    }

    /**
     * Two hosts of 8 GPUs. F (team u, 8 GPUs, queue 0) and R (team t, 8 GPUs, 208 GPU-seconds at t = 1:
     * queue 1) run. W0 (u, 4 GPUs, queue 0) and W2 (t, 4 GPUs, 150 GPU-seconds: queue 1, behind R) wait.
     * Walk, budget 16: F keeps 8, W0 takes 4, R (8) does not fit in the 4 left and is a victim, W2 takes
     * the 4. With t's quota at 12, W2 passed the gate (8 held + 4) and, R gone, t holds 4: W2 starts. With
     * the quota at 8, the gate held W2 back (8 + 4 > 8), and a job held back at the gate is no candidate
     * of the walk, though R's preemption leaves t holding nothing.
     */
    @ParameterizedTest(name = "quota of t {0}: W2 starts {1}")
    @CsvSource({"12, true", "8, false"})
    void aVictimsTeamCountsWithoutItsGpusForTheJobsWalkedAfterIt(int quota, boolean w2Starts) {
        var h = harness(2).quotas(new Quotas(Map.of("t", quota)));
        h.run(job(1).team("u").gpus(8).submit(0).build(), 0);
        Job r = h.run(attained(job(2).team("t").gpus(8).submit(0).build(), 200), 0);
        Job w0 = job(3).team("u").gpus(4).submit(0.5).build();
        Job w2 = attained(job(4).team("t").gpus(4).submit(0.6).build(), 150);
        var res = h.cycle(1, w0, w2);
        assertThat(started(res)).containsExactlyElementsOf(w2Starts ? List.of(w0, w2) : List.of(w0));
        assertThat(preempted(res)).containsExactly(r);
    }

    /**
     * A job another plugin started this cycle runs on: it takes the first place of its queue in the
     * next memory, ahead of W, which waits there; and the plugin asks for a cycle when it will cross
     * the first limit: 4 GPUs from t = 10, 100 GPU-seconds, so at 35.
     */
    @Test
    void aJobStartedByAnotherPluginIsRememberedAheadOfTheWaitingOnes() {
        var f = Fixture.hosts(1);
        var plugin = new TiresiasLas(LIMITS, 3, TiresiasLas.Wake.CROSSING);
        Job w = job(1).gpus(8).submit(0).build(), p = job(2).gpus(4).submit(5).build();
        Memory memory = Memory.EMPTY.with(Map.of(T, new TiresiasLas.Queues(Map.of(w.id(), new TiresiasLas.Slot(0, 1)), 2)));
        var s = f.state(10, memory, plugin);
        plugin.sortWaiting(List.of(w, p), s);
        s.start(p, Placements.first(0, 4));
        s.candidates().add(w);
        plugin.postCycle(s);
        assertThat(s.decisions()).hasSize(1);
        var next = (TiresiasLas.Queues) s.nextMemory().get(T);
        assertThat(next.slots()).containsOnly(Map.entry(p.id(), new TiresiasLas.Slot(0, 2)),
                Map.entry(w.id(), new TiresiasLas.Slot(0, 3)));
        assertThat(next.next()).isEqualTo(4);
        assertThat(s.wakeAt()).isEqualTo(35);
    }

    /** A running job in the last queue has no limit to cross: no cycle is asked for. */
    @Test
    void aJobInTheLastQueueAsksForNoCycle() {
        var f = Fixture.hosts(1);
        Job j = attained(job(1).gpus(4).build(), 200_000);
        f.run(j, 100);
        var plugin = new TiresiasLas(LIMITS, 3, TiresiasLas.Wake.CROSSING);
        var s = f.state(110, plugin);
        plugin.postCycle(s);
        assertThat(s.decisions()).isEmpty();
        assertThat(((TiresiasLas.Queues) s.nextMemory().get(T)).slots().get(j.id()).queue()).isEqualTo(2);
        assertThat(s.wakeAt()).isInfinite();
    }

    /**
     * A 4-GPU job brought 40 GPU-seconds and has run since t = 100; limit 100. At the cycle at t = 110 it
     * has 40 + 4 x 10 = 80. CROSSING: the 20 left take 5 s, so 115, the same moment a cycle at 100 asks
     * for. SIMULATOR: now + floor((limit - seconds run) / GPUs), seconds run = 80 / 4 = 20:
     * 110 + floor(80 / 4) = 130.
     */
    @ParameterizedTest(name = "{0}: next cycle at {1}")
    @CsvSource(delimiter = '|', textBlock = """
            CROSSING  | 115
            SIMULATOR | 130
            """)
    void aJobThatHasRunAWhileIsWokenForItsCrossingFromWhatItHasNow(TiresiasLas.Wake wake, double at) {
        var f = Fixture.hosts(1);
        f.run(attained(job(1).gpus(4).submit(0).build(), 40), 100);
        var plugin = new TiresiasLas(LIMITS, 3, wake);
        var s = f.state(110, plugin);
        plugin.postCycle(s);
        assertThat(s.decisions()).isEmpty();
        assertThat(s.wakeAt()).isEqualTo(at);
    }

    /**
     * One host of 8 GPUs, team t may hold 4. R (t, 4 GPUs) runs at place 0 of queue 0; B (t, 4 GPUs) waits
     * at place 1. The gate holds B back (4 + 4 > 4), so the walk never sees it: B keeps place 1, while R,
     * which runs on, takes the next free place, 2.
     */
    @Test
    void aJobHeldBackByItsQuotaKeepsItsPlace() {
        var h = harness(1);
        Job r = h.run(job(1).team("t").gpus(4).submit(0).build(), 0);
        Job b = job(2).team("t").gpus(4).submit(1).build();
        Memory memory = Memory.EMPTY.with(Map.of(T, new TiresiasLas.Queues(
                Map.of(r.id(), new TiresiasLas.Slot(0, 0), b.id(), new TiresiasLas.Slot(0, 1)), 2)));
        var res = h.scheduler.cycle(memory, 10, List.of(b), h.running, h.state, new Quotas(Map.of("t", 4)),
                Harness.durations(), Map.of());
        assertThat(res.decisions()).isEmpty();
        var next = (TiresiasLas.Queues) res.memory().get(T);
        assertThat(next.slots()).containsOnly(Map.entry(r.id(), new TiresiasLas.Slot(0, 2)),
                Map.entry(b.id(), new TiresiasLas.Slot(0, 1)));
    }
}
