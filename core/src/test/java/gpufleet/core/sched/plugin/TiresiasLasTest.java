package gpufleet.core.sched.plugin;

import gpufleet.core.job.Job;
import gpufleet.core.sched.Decision;
import gpufleet.core.sched.Policy;
import gpufleet.core.sched.framework.Memory;
import gpufleet.core.testkit.Fleets;
import gpufleet.core.testkit.Harness;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static gpufleet.core.testkit.Harness.preempted;
import static gpufleet.core.testkit.Harness.started;
import static gpufleet.core.testkit.Jobs.job;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The Tiresias simulator's dlas-gpu rules, where they differ from plain {@code las}. */
class TiresiasLasTest {
    private static final double[] BIG = {100_000, 200_000};

    @ParameterizedTest(name = "thresholds {0}, {1} queues -> limits {2}")
    @CsvSource(delimiter = '|', textBlock = """
            3250 7200 18000 | 3 | 3250 7200
            3250 7200 18000 | 4 | 3250 7200 18000
            3250 7200 18000 | 9 | 3250 7200 18000
            3250            | 3 | 3250
            3250 7200       | 1 | -
            """)
    void onlyTheFirstQueuesMinusOneThresholdsAreLimits(String thresholds, int queues, String limits) {
        var t = new TiresiasLas(Arrays.stream(thresholds.split(" ")).mapToDouble(Double::parseDouble).toArray(), queues,
                TiresiasLas.Wake.SIMULATOR);
        double[] expected = limits.equals("-") ? new double[0]
                : Arrays.stream(limits.split(" ")).mapToDouble(Double::parseDouble).toArray();
        assertThat(t.limits()).containsExactly(expected);
        assertThat(t.queues()).isEqualTo(expected.length + 1);
    }

    @Test
    void badArgumentsAreRefusedInWords() {
        assertThatThrownBy(() -> new TiresiasLas(new double[] {7200, 3250}, 3, TiresiasLas.Wake.SIMULATOR))
                .hasMessage("LAS thresholds must be positive and increasing, got [7200.0, 3250.0]");
        assertThatThrownBy(() -> new TiresiasLas(BIG, 0, TiresiasLas.Wake.SIMULATOR)).hasMessageContaining("at least one queue");
    }

    /**
     * One host of 8 GPUs. S (4 GPUs) and P (4 GPUs) run; Q (8 GPUs), which arrived between them,
     * waits. When S ends, plain las (arrival order over running and waiting) preempts P to start Q;
     * Tiresias keeps P: a running job keeps its place ahead of waiting jobs of its queue.
     */
    @Test
    void aRunningJobIsNotDisplacedByAnEarlierWaitingJobOfItsQueue() {
        for (Policy policy : List.of(Policy.las(BIG), Policy.tiresiasLas(BIG))) {
            var h = new Harness(Fleets.lab(1, 1, 1, 1, 8), policy);
            Job s = job(1).gpus(4).submit(0).build(), q = job(2).gpus(8).submit(1).build(), p = job(3).gpus(4).submit(2).build();
            assertThat(started(h.cycle(2, s, q, p))).as(policy.name()).containsExactlyInAnyOrder(s, p);
            h.complete(s, 50);
            var r = h.cycle(50, q);
            if (policy.name().equals("las")) {
                assertThat(started(r)).containsExactly(q);
                assertThat(preempted(r)).containsExactly(p);
            } else {
                assertThat(r.decisions()).isEmpty();
            }
        }
    }

    /**
     * One host of 8 GPUs. R (submitted first) runs and crosses the first limit; W, submitted later,
     * already waits in the second queue. Plain las ranks R first (same queue, earlier arrival);
     * Tiresias puts the demoted R at the end of the second queue, behind W, so W takes the GPUs.
     */
    @Test
    void aDemotedJobJoinsTheEndOfTheNextQueue() {
        var f = Fixture.hosts(1);
        Job r = job(1).gpus(8).submit(0).build();
        f.run(r, 0);
        Job w = job(2).gpus(8).submit(5).build();
        w.addAttained(150);
        var plugin = new TiresiasLas(new double[] {100, 1000}, 3, TiresiasLas.Wake.CROSSING);
        Memory memory = Memory.EMPTY.with(Map.of(plugin.name(), new TiresiasLas.Queues(
                Map.of(r.id(), new TiresiasLas.Slot(0, 1), w.id(), new TiresiasLas.Slot(1, 2)), 3)));
        // at t = 20, R has 160 GPU-seconds: it leaves queue 0 this cycle
        var s = f.state(20, memory, plugin);
        s.candidates().add(w);
        plugin.postCycle(s);
        assertThat(s.decisions()).hasSize(2);
        assertThat(s.decisions().getFirst()).isInstanceOf(Decision.Start.class).extracting(Decision::job).isEqualTo(w);
        assertThat(s.decisions().getLast()).isEqualTo(new Decision.Preempt(r, w));
        var next = (TiresiasLas.Queues) s.nextMemory().get(plugin.name());
        assertThat(next.slots().get(r.id()).queue()).isEqualTo(1);
        assertThat(next.slots().get(w.id()).pos()).isLessThan(next.slots().get(r.id()).pos());
    }

    /**
     * A job preempted for a job of a higher queue keeps its place in its own queue, ahead of a job
     * that has waited there longer (and arrived earlier).
     */
    @Test
    void aPreemptedJobGoesAheadOfTheJobsThatWereAlreadyWaiting() {
        var f = Fixture.hosts(1);
        Job running = job(1).gpus(8).submit(10).build();
        running.addAttained(200);
        f.run(running, 30);
        Job older = job(2).gpus(8).submit(0).build();
        older.addAttained(300);
        Job fresh = job(3).gpus(8).submit(40).build();
        var plugin = new TiresiasLas(new double[] {100, 100_000}, 3, TiresiasLas.Wake.CROSSING);
        Memory memory = Memory.EMPTY.with(Map.of(plugin.name(), new TiresiasLas.Queues(
                Map.of(running.id(), new TiresiasLas.Slot(1, 1), older.id(), new TiresiasLas.Slot(1, 2)), 3)));
        var s = f.state(40, memory, plugin);
        s.candidates().add(older);
        s.candidates().add(fresh);
        plugin.postCycle(s);
        assertThat(s.decisions()).extracting(Decision::job).containsExactly(fresh, running);
        var slots = ((TiresiasLas.Queues) s.nextMemory().get(plugin.name())).slots();
        assertThat(slots.get(running.id()).pos()).isLessThan(slots.get(older.id()).pos());
        assertThat(slots.get(fresh.id()).queue()).isZero();
    }

    /** A 4-GPU job that ran 10 s before (40 GPU-seconds) restarts at t = 100, limit 100 GPU-seconds. */
    @ParameterizedTest(name = "{0}: next cycle at {1}")
    @CsvSource(delimiter = '|', textBlock = """
            CROSSING  | 115
            SIMULATOR | 122
            """)
    void itAsksForACycleAtTheNextDemotion(TiresiasLas.Wake wake, double at) {
        var f = Fixture.hosts(1);
        Job j = job(1).gpus(4).submit(0).build();
        j.addAttained(40);
        f.run(j, 100);
        var plugin = new TiresiasLas(new double[] {100, 1000}, 3, wake);
        var s = f.state(100, plugin);
        plugin.postCycle(s);
        assertThat(s.decisions()).isEmpty();
        assertThat(s.wakeAt()).isEqualTo(at);
    }

    @Test
    void theSchedulerCarriesTheQueuesFromCycleToCycleAndSaysWhenToWake() {
        var h = new Harness(Fleets.lab(1, 1, 1, 1, 8), Policy.tiresiasLas(new double[] {800, 100_000}, TiresiasLas.Wake.CROSSING));
        Job a = job(1).gpus(8).submit(0).build(), b = job(2).gpus(8).submit(1).build();
        var r0 = h.cycle(1, a, b);
        assertThat(started(r0)).containsExactly(a);
        assertThat(r0.wakeAt()).isEqualTo(101); // 800 GPU-seconds at 8 GPUs
        assertThat(r0.memory()).isEqualTo(h.scheduler.memory());
        var r1 = h.cycle(101, b);
        assertThat(started(r1)).containsExactly(b);
        assertThat(preempted(r1)).containsExactly(a);
    }
}
