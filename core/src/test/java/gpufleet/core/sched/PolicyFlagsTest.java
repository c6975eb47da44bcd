package gpufleet.core.sched;

import gpufleet.core.job.Job;
import gpufleet.core.sched.framework.CycleState;
import gpufleet.core.sched.framework.Memory;
import gpufleet.core.sched.framework.Profile;
import gpufleet.core.sched.framework.QueueSort;
import gpufleet.core.sched.framework.Status;
import gpufleet.core.sched.plugin.OrderSort;
import gpufleet.core.sched.plugin.TiresiasLas;
import gpufleet.core.testkit.Fleets;
import gpufleet.core.testkit.Harness;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static gpufleet.core.testkit.Jobs.job;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A policy built from the classic flags has the plugins they select, and reads the flags back from its
 * profile. Built here rather than taken from the registry, whose policies exist before any test runs.
 */
class PolicyFlagsTest {

    private static Policy policy(Policy.Mode mode, boolean preemption, Policy.RankPreemption rank) {
        return new Policy("p", QueueOrder.FIFO, mode, preemption, rank, false, 0, "a test policy");
    }

    @Test
    void theFlagsSelectThePluginsAndAreReadBack() {
        Policy strict = policy(Policy.Mode.STRICT, false, null);
        assertThat(strict.mode()).isEqualTo(Policy.Mode.STRICT);
        assertThat(strict.preemption()).isFalse();
        assertThat(strict.rank()).isNull();
        assertThat(strict.backfill()).isFalse();

        Policy backfill = policy(Policy.Mode.BACKFILL, true, new Policy.RankPreemption(60, 600));
        assertThat(backfill.mode()).isEqualTo(Policy.Mode.BACKFILL);
        assertThat(backfill.preemption()).isTrue();
        assertThat(backfill.rank()).isEqualTo(new Policy.RankPreemption(60, 600));

        assertThat(policy(Policy.Mode.GREEDY, false, null).mode()).isEqualTo(Policy.Mode.GREEDY);
        assertThat(Policy.GPUFLEET.rank()).isEqualTo(new Policy.RankPreemption(60, 600));
    }

    @Test
    void theRegistryGivesAPolicyWithTheThresholdsAsked() {
        Policy p = PolicyRegistry.get("tiresias-las", new double[] {100, 200});
        assertThat(p.name()).isEqualTo("tiresias-las");
        assertThat(p.profile().find(TiresiasLas.class).limits()).containsExactly(100, 200);
    }

    /** A second plugin that gives an order, as a plugin of another project might. */
    private record AnotherOrder(QueueOrder order) implements QueueSort, Profile.Ordered {
        @Override public String name() { return "another-order"; }
        @Override public Iterable<Job> sortWaiting(Iterable<Job> waiting, CycleState s) { return waiting; }
        @Override public List<Job> sortAll(List<Job> jobs, CycleState s) { return jobs; }
    }

    /** Of two plugins that give an order, the first gives the profile its order; the plugins are kept as given. */
    @Test
    void theFirstOrderPluginGivesTheProfileItsOrder() {
        // not FIFO first: a profile without any order plugin falls back to FIFO
        var first = new OrderSort(QueueOrder.PRIORITY_FIFO);
        var second = new AnotherOrder(QueueOrder.FIFO);
        Profile p = new Profile(List.of(first, second));
        assertThat(p.order()).isSameAs(QueueOrder.PRIORITY_FIFO);
        assertThat(p.plugins()).containsExactly(first, second);
    }

    /** A job larger than any cluster is rejected with the reason; one that fits somewhere passes. */
    @Test
    void admissionRejectsAJobNoClusterCanHold() {
        var h = new Harness(Fleets.lab(1, 1, 1, 2, 8), Policy.FIFO);
        var r = h.cycle(0, job(1).gpus(32).build());
        assertThat(r.decisions()).hasSize(1);
        assertThat(r.decisions().getFirst()).isInstanceOf(Decision.Reject.class);
        var f = new Harness(Fleets.lab(1, 1, 1, 2, 8), Policy.FIFO);
        assertThat(Harness.started(f.cycle(0, job(2).gpus(16).build()))).hasSize(1);
        // a job that waits for GPUs may still be started by a rank pass; one held by its quota may not
        assertThat(Status.Code.NO_FREE_GPUS.rankCandidate()).isTrue();
        assertThat(Status.Code.TEAM_QUOTA.rankCandidate()).isFalse();
    }

    /** A scheduler rebuilt by a driver carries on from the memory it is given; none is an empty one. */
    @Test
    void aSchedulerResumesFromTheMemoryItIsGiven() {
        var h = new Harness(Fleets.lab(1, 1, 1, 1, 8), Policy.FIFO);
        var remembered = Memory.EMPTY.with(Map.of("x", 1.0));
        h.scheduler.resume(remembered);
        assertThat(h.scheduler.memory()).isSameAs(remembered);
        h.scheduler.resume(null);
        assertThat(h.scheduler.memory()).isSameAs(Memory.EMPTY);
    }
}
