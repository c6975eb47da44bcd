package gpufleet.core.sched.plugin;

import gpufleet.core.job.Job;
import gpufleet.core.sched.QueueOrder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static gpufleet.core.job.Priority.HIGH;
import static gpufleet.core.job.Priority.LOW;
import static gpufleet.core.job.Priority.NORMAL;
import static gpufleet.core.testkit.Jobs.job;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class QueueSortPluginsTest {
    // id, priority, submit (= waiting since), duration
    private static final int[][] JOBS = {{1, LOW, 0, 500}, {2, HIGH, 40, 900}, {3, NORMAL, 10, 100}, {4, NORMAL, 20, 300}};

    private static List<Job> jobs() {
        List<Job> out = new ArrayList<>();
        for (int[] j : JOBS) out.add(job(j[0]).priority(j[1]).submit(j[2]).duration(j[3]).build());
        return out;
    }

    static Stream<Arguments> orders() {
        return Stream.of(
                Arguments.of(QueueOrder.FIFO, List.of(1, 3, 4, 2)),
                Arguments.of(QueueOrder.PRIORITY_FIFO, List.of(2, 3, 4, 1)),
                Arguments.of(QueueOrder.SHORTEST_REMAINING, List.of(3, 4, 1, 2)));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @MethodSource("orders")
    void orderSortPutsWaitingAndAllJobsInTheOrder(QueueOrder order, List<Integer> ids) {
        var f = Fixture.hosts(1);
        var plugin = new OrderSort(order);
        var s = f.state(100, plugin);
        var waiting = jobs();
        if (!order.dynamic()) waiting.sort(order.comparator());
        assertThat(plugin.sortWaiting(waiting, s)).extracting(Job::id).containsExactlyElementsOf(ids);
        assertThat(plugin.sortAll(jobs(), s)).extracting(Job::id).containsExactlyElementsOf(ids);
    }

    @Test
    void aStaticOrderTakesTheCallersQueueAsItIs() {
        var f = Fixture.hosts(1);
        var plugin = new OrderSort(QueueOrder.FIFO);
        var waiting = jobs();
        assertThat(plugin.sortWaiting(waiting, f.state(0, plugin))).isSameAs(waiting);
    }

    static Stream<Arguments> starvation() {
        // bound, now -> order; waiting since = submit time
        return Stream.of(
                Arguments.of(1000.0, 100.0, List.of(1, 2, 3, 4)),      // nobody has waited 1000 s
                Arguments.of(85.0, 100.0, List.of(3, 1, 2, 4)),        // job 3 (100-10 >= 85) goes first in its priority
                Arguments.of(90.0, 100.0, List.of(3, 1, 2, 4)),        // job 3 has waited exactly the bound
                Arguments.of(75.0, 100.0, List.of(3, 4, 1, 2)),        // 3 and 4 starved, oldest wait first
                Arguments.of(55.0, 100.0, List.of(3, 4, 1, 2)));       // all starved: a LOW job stays behind NORMAL ones
    }

    @ParameterizedTest(name = "bound {0} s at {1} s -> {2}")
    @MethodSource("starvation")
    void starvedJobsGoAheadOfTheirPriorityClass(double bound, double now, List<Integer> ids) {
        var f = Fixture.hosts(1);
        var plugin = new StarvationFirst(bound);
        // priorities: 1 NORMAL@30, 2 LOW@40, 3 NORMAL@10, 4 NORMAL@20: queue order given as 1,2,3,4
        List<Job> queue = List.of(job(1).priority(NORMAL).submit(30).build(), job(2).priority(LOW).submit(40).build(),
                job(3).priority(NORMAL).submit(10).build(), job(4).priority(NORMAL).submit(20).build());
        var s = f.state(now, plugin);
        assertThat(plugin.sortWaiting(queue, s)).extracting(Job::id).containsExactlyElementsOf(ids);
        assertThat(plugin.sortAll(new ArrayList<>(queue), s)).extracting(Job::id).containsExactlyElementsOf(ids);
    }

    @Test
    void aStarvationBoundMustBePositive() {
        assertThatThrownBy(() -> new StarvationFirst(0)).hasMessageContaining("must be > 0");
    }
}
