package gpufleet.core.sched.plugin;

import gpufleet.core.job.Job;
import gpufleet.core.sched.Decision;
import gpufleet.core.sched.QueueOrder;
import gpufleet.core.sched.framework.Memory;
import gpufleet.core.sched.framework.Status;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static gpufleet.core.job.Priority.HIGH;
import static gpufleet.core.job.Priority.LOW;
import static gpufleet.core.job.Priority.NORMAL;
import static gpufleet.core.testkit.Jobs.job;
import static org.assertj.core.api.Assertions.assertThat;

/** EASY backfill, preemption by priority and the rank pass, each called on its own. */
class BackfillAndPreemptionPluginsTest {

    /**
     * One host of 8 GPUs; a running job holds {@code running} GPUs until t = 100; a head job of
     * {@code head} GPUs is blocked at t = 10 and reserves; then a candidate asks.
     */
    @ParameterizedTest(name = "running {0}, head {1}: candidate of {2} GPUs for {3} s -> {4}")
    @CsvSource(delimiter = '|', textBlock = """
            6 | 8 | 2 | 50  | OK
            6 | 8 | 2 | 90  | OK
            6 | 8 | 2 | 91  | WOULD_DELAY_RESERVATION
            4 | 6 | 2 | 500 | OK
            4 | 6 | 3 | 500 | WOULD_DELAY_RESERVATION
            """)
    void easyBackfillLetsOnlyJobsThatCannotDelayTheReservedOne(int running, int head, int gpus, int seconds,
                                                               Status.Code code) {
        var f = Fixture.hosts(1).run(job(100).gpus(running).duration(100).build(), 0);
        var plugin = new EasyBackfill();
        var s = f.state(10, new GpuCount(), new GangPlacement(), plugin);
        assertThat(plugin.unschedulable(s, job(1).gpus(head).build())).isEqualTo(Status.HOLDS_RESERVATION);
        assertThat(plugin.unschedulable(s, job(2).gpus(head).build())).isEqualTo(Status.NO_FREE_GPUS);
        Job cand = job(3).gpus(gpus).duration(seconds).build();
        Status before = plugin.beforePlace(s, cand);
        assertThat(before.code()).isEqualTo(code);
        if (code == Status.Code.OK) {
            var p = s.placer().place(cand.spec(), s.fleet());
            assertThat(plugin.permit(s, cand, p)).isSameAs(p);
        }
    }

    @Test
    void aBackfilledJobUsesUpTheExtraGpus() {
        var f = Fixture.hosts(1).run(job(100).gpus(4).duration(100).build(), 0);
        var plugin = new EasyBackfill();
        var s = f.state(10, new GpuCount(), new GangPlacement(), plugin);
        plugin.unschedulable(s, job(1).gpus(6).build()); // shadow 100, 2 GPUs to spare then
        Job first = job(2).gpus(2).duration(500).build(), second = job(3).gpus(2).duration(500).build();
        var p = s.placer().place(first.spec(), s.fleet());
        assertThat(plugin.permit(s, first, p)).isSameAs(p);
        s.start(first, p);
        assertThat(plugin.beforePlace(s, second)).isEqualTo(Status.WOULD_DELAY_RESERVATION);
        // asked with a placement in the reserved cluster anyway, it refuses it: there is no other cluster
        assertThat(plugin.permit(s, second, s.placer().place(second.spec(), s.fleet()))).isNull();
        assertThat(plugin.denied()).isEqualTo(Status.WOULD_DELAY_RESERVATION);
    }

    /** One host of 8 GPUs: A (LOW, 4 GPUs, started at 0) and B (NORMAL, 4 GPUs, started at 5). */
    @ParameterizedTest(name = "a job of priority {0} and {1} GPUs preempts {2}")
    @CsvSource(delimiter = '|', textBlock = """
            2 | 4 | A
            2 | 8 | A B
            1 | 4 | A
            1 | 8 | -
            0 | 4 | -
            """)
    void priorityPreemptionStopsOnlyStrictlyLowerPriorityLowestFirst(int priority, int gpus, String victims) {
        assertThat(List.of(LOW, NORMAL, HIGH)).containsExactly(0, 1, 2);
        var f = Fixture.hosts(1);
        Job a = job(1).priority(LOW).gpus(4).build(), b = job(2).priority(NORMAL).gpus(4).build();
        f.run(a, 0).run(b, 5);
        var plugin = new PriorityPreemption();
        var s = f.state(10, plugin);
        Job j = job(3).priority(priority).gpus(gpus).build();
        boolean started = plugin.makeRoom(s, j);
        var expected = victims.equals("-") ? List.<String>of() : Arrays.asList(victims.split(" "));
        assertThat(started).isEqualTo(!expected.isEmpty());
        assertThat(s.decisions().stream().filter(d -> d instanceof Decision.Preempt)
                .map(d -> d.job() == a ? "A" : "B").toList()).containsExactlyInAnyOrderElementsOf(expected);
        if (started) assertThat(s.decisions().getLast()).isInstanceOf(Decision.Start.class);
    }

    @Test
    void priorityPreemptionTakesTheMostRecentlyStartedAmongEqualsAndNotBehindABlockedJob() {
        var f = Fixture.hosts(1);
        Job old = job(1).priority(LOW).gpus(4).build(), recent = job(2).priority(LOW).gpus(4).build();
        f.run(old, 0).run(recent, 5);
        var plugin = new PriorityPreemption();
        var s = f.state(10, plugin);
        assertThat(plugin.makeRoom(s, job(3).priority(HIGH).gpus(4).build())).isTrue();
        assertThat(s.decisions().getFirst()).isEqualTo(new Decision.Preempt(recent, s.decisions().getLast().job()));
        var blocked = f.state(10, plugin);
        blocked.block(job(9).build());
        assertThat(plugin.makeRoom(blocked, job(4).priority(HIGH).gpus(4).build())).isFalse();
    }

    /**
     * One host of 8 GPUs held since t = 0 by a job submitted at 50; a job submitted at 0 waits. In
     * arrival order it ranks first, so a pass preempts the running job for it.
     */
    @ParameterizedTest(name = "interval {0} s, min run {1} s, last pass {2}, now {3} -> pass {4}")
    @CsvSource(delimiter = '|', textBlock = """
            60 | 0   | -   | 100 | true
            60 | 0   | 50  | 100 | false
            60 | 0   | 40  | 100 | true
            0  | 0   | 100 | 100 | true
            60 | 600 | -   | 100 | false
            """)
    void rankPreemptionRunsAtMostOncePerIntervalAndRemembersWhen(double interval, double minRun, String last,
                                                                 double now, boolean passes) {
        var f = Fixture.hosts(1);
        Job runningJob = job(1).submit(50).gpus(8).build();
        f.run(runningJob, 0);
        Job waiting = job(2).submit(0).gpus(8).build();
        var plugin = new RankPreemption(interval, minRun);
        Memory memory = last.equals("-") ? Memory.EMPTY : Memory.EMPTY.with(Map.of(plugin.name(), Double.parseDouble(last)));
        var s = f.state(now, memory, new OrderSort(QueueOrder.FIFO), plugin);
        s.candidates().add(waiting);
        plugin.postCycle(s);
        if (passes) {
            assertThat(s.decisions()).containsExactly(new Decision.Start(waiting, ((Decision.Start) s.decisions().getFirst()).placement()),
                    new Decision.Preempt(runningJob, waiting));
        } else {
            assertThat(s.decisions()).isEmpty();
        }
        boolean interval0k = last.equals("-") || now - Double.parseDouble(last) >= interval;
        Object remembered = s.nextMemory().get(plugin.name());
        assertThat(remembered).isEqualTo(interval0k ? (Object) now : (last.equals("-") ? null : Double.parseDouble(last)));
    }
}
