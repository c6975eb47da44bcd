package gpufleet.core.lifecycle;

import gpufleet.core.job.CheckpointPolicy;
import gpufleet.core.job.JobSpec;
import gpufleet.core.job.Parallelism;
import gpufleet.core.job.Recovery;
import gpufleet.core.job.Work;
import gpufleet.core.lifecycle.LifecycleEvent.Started;
import gpufleet.core.sched.PolicyRegistry;
import gpufleet.core.state.FleetState;
import gpufleet.core.state.HostStatus;
import gpufleet.core.state.Placement;
import gpufleet.core.testkit.Fleets;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Restarting only what failed, with hot spares: a 4-host gang (TP 8) on a fleet of 4 racks of 2
 * hosts of 8 GPUs. Recovery: 30 s detection, 60 s to launch on cold hosts, 20 s on warm ones, 2 s +
 * 1 s per host of initialisation; restore 5 s.
 */
class GangRepairTest {
    private static final Recovery PARTIAL = new Recovery(30, 60, 2, 1, 20, true, Recovery.FLEET_SPARES);

    private static Lifecycle lifecycle(int racks) {
        FleetState st = new FleetState(Fleets.labTopology(1, 1, racks, 2, 8));
        return new Lifecycle(st, PolicyRegistry.get("fifo"), TimeLimitRuns.options(RestartRule.IMMEDIATE),
                new TimeLimitRuns());
    }

    private static JobSpec gang(Recovery r) {
        return new JobSpec("big", "t", Parallelism.of(32, 8, 1, 1), new Work.Fixed(1e6),
                new CheckpointPolicy(Double.POSITIVE_INFINITY, 0, 5), 600, 1, 0, null, 100, null, r);
    }

    private static Placement start(Lifecycle lc, JobSpec spec) {
        lc.submit(1, spec, 0);
        List<LifecycleEvent> evs = lc.cycle(0);
        assertThat(evs).singleElement().isInstanceOf(Started.class);
        return ((Started) evs.getFirst()).placement();
    }

    @Test
    void aHotSpareReplacesAHostThatLostOneGpuAndTheHealthyHostsStay() {
        Lifecycle lc = lifecycle(4);
        lc.setHostStatus(7, HostStatus.SPARE);
        Placement before = start(lc, gang(PARTIAL));
        int victim = before.hosts()[1];

        lc.gpuFailed(victim, 3, 100, "gpu", RestartRule.Fault.HARDWARE, false);
        assertThat(lc.pendingStartup(1)).as("a fresh placement is priced in case the gang cannot be mended")
                .isCloseTo(30 + 60 + 2 + 4 + 5, within(1e-9));
        List<LifecycleEvent> evs = lc.cycle(100);

        Started s = (Started) evs.getFirst();
        assertThat(s.first()).isFalse();
        int[] kept = Arrays.stream(before.hosts()).filter(h -> h != victim).toArray();
        assertThat(s.placement().hosts()).contains(kept).contains(7).doesNotContain(victim);
        assertThat(s.startup()).as("detection + warm restart + init over 4 hosts + restore")
                .isCloseTo(30 + 20 + 2 + 4 + 5, within(1e-9));
        assertThat(lc.fleet().status(7)).isEqualTo(HostStatus.UP);
        assertThat(lc.fleet().ownerOf(7, 0)).isEqualTo(1);
        assertThat(lc.spareSwaps()).isEqualTo(1);
        assertThat(lc.partialRestarts()).isEqualTo(1);
    }

    @Test
    void withoutSparesAFreeHostOfTheNearestRackReplacesAHostThatWentDown() {
        Lifecycle lc = lifecycle(4);
        Placement before = start(lc, gang(PARTIAL));
        assertThat(before.hosts()).containsExactly(0, 1, 2, 3);

        lc.hostDown(3, 50, "host", RestartRule.Fault.HARDWARE, false);
        Started s = (Started) lc.cycle(50).getFirst();

        assertThat(s.placement().hosts()).as("host 4 is one rack from host 3; hosts 5-7 are further or as far")
                .containsExactly(0, 1, 2, 4);
        assertThat(s.startup()).as("a cold host joins: launch time, not the warm restart")
                .isCloseTo(30 + 60 + 2 + 4 + 5, within(1e-9));
        assertThat(lc.spareSwaps()).isZero();
    }

    @Test
    void aSoftwareFailureRestartsTheGangInPlace() {
        Lifecycle lc = lifecycle(4);
        Placement before = start(lc, gang(PARTIAL));
        lc.interrupt(1, 10, "software", RestartRule.Fault.HARDWARE, false);
        Started s = (Started) lc.cycle(10).getFirst();
        assertThat(s.placement()).isEqualTo(before);
        assertThat(s.startup()).isCloseTo(30 + 20 + 2 + 4 + 5, within(1e-9));
    }

    @Test
    void aGangTheClusterCannotMendWaitsForAFreshPlacement() {
        Lifecycle lc = lifecycle(2); // exactly the gang's four hosts
        start(lc, gang(PARTIAL));
        lc.gpuFailed(2, 0, 10, "gpu", RestartRule.Fault.HARDWARE, false);
        assertThat(lc.cycle(10)).as("no host can take host 2's place").isEmpty();
        assertThat(lc.partialRestarts()).isZero();

        lc.gpuRepaired(2, 0);
        Started s = (Started) lc.cycle(20).getFirst();
        assertThat(s.startup()).as("placed afresh: the fresh price").isCloseTo(30 + 60 + 2 + 4 + 5, within(1e-9));
    }

    @Test
    void withoutRecoveryPartsTheWholeGangIsPlacedAfreshAtTheJobsRestartOverhead() {
        Lifecycle lc = lifecycle(4);
        lc.setHostStatus(7, HostStatus.SPARE);
        start(lc, gang(null));
        lc.gpuFailed(1, 0, 10, "gpu", RestartRule.Fault.HARDWARE, false);
        Started s = (Started) lc.cycle(10).getFirst();
        assertThat(s.startup()).isCloseTo(600 + 5, within(1e-9));
        assertThat(lc.fleet().status(7)).as("spares are not the scheduler's").isEqualTo(HostStatus.SPARE);
        assertThat(lc.spareSwaps()).isZero();
    }

    @Test
    void aGangThatBreaksAgainAfterAMendIsMendedOnceMore() {
        Lifecycle lc = lifecycle(8);
        assertThat(start(lc, gang(PARTIAL)).hosts()).containsExactly(0, 1, 2, 3);
        lc.hostDown(3, 50, "host", RestartRule.Fault.HARDWARE, false);
        Started first = (Started) lc.cycle(50).getFirst();
        assertThat(first.placement().hosts()).containsExactly(0, 1, 2, 4);

        lc.hostDown(2, 60, "host", RestartRule.Fault.HARDWARE, false);
        List<LifecycleEvent> evs = lc.cycle(60);
        assertThat(evs).as("one start, the repair of the second break only").singleElement().isInstanceOf(Started.class);
        assertThat(((Started) evs.getFirst()).placement().hosts()).containsExactly(0, 1, 4, 5);
        assertThat(lc.partialRestarts()).isEqualTo(2);
        assertThat(lc.fleet().allocatedGpus()).isEqualTo(32);
    }
}
