package gpufleet.core.sched.framework;

import gpufleet.core.job.Job;
import gpufleet.core.sched.Policy;
import gpufleet.core.sched.Quotas;
import gpufleet.core.testkit.Fleets;
import gpufleet.core.testkit.Harness;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static gpufleet.core.testkit.Jobs.job;
import static org.assertj.core.api.Assertions.assertThat;

/** What a cycle hands its plugins. */
class CycleStateTest {

    /** A plugin of a custom profile reads the teams' guaranteed shares the caller gave the cycle. */
    @Test
    void aPluginSeesTheSharesTheCycleWasGiven() {
        List<Map<String, Integer>> seen = new ArrayList<>();
        QueueSort spy = new QueueSort() {
            @Override public String name() { return "spy"; }
            @Override public Iterable<Job> sortWaiting(Iterable<Job> waiting, CycleState s) {
                seen.add(s.shares());
                return waiting;
            }
            @Override public List<Job> sortAll(List<Job> jobs, CycleState s) { return jobs; }
        };
        var h = new Harness(Fleets.lab(1, 1, 1, 1, 8), new Policy("spy", "", false, List.of(spy)));
        var shares = Map.of("a", 3, "b", 5);
        h.scheduler.cycle(0, List.of(job(1).build()), h.running, h.state, Quotas.NONE, Harness.durations(), shares);
        assertThat(seen).containsExactly(shares);
    }
}
