package gpufleet.bench;

import com.netflix.fenzo.SchedulingResult;
import com.netflix.fenzo.TaskAssignmentResult;
import com.netflix.fenzo.TaskScheduler;
import com.netflix.fenzo.VMAssignmentResult;
import com.netflix.fenzo.VirtualMachineLease;
import com.netflix.fenzo.plugins.BinPackingFitnessCalculators;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/** Fenzo runs on this JDK, packs GPUs the way the comparison says, and the harness keeps its books right. */
class FenzoFleetTest {

    @Test
    void fenzoPicksTheTightestHostAndScoresAPerfectFitAsAssumed() {
        TaskScheduler s = new TaskScheduler.Builder().withLeaseRejectAction(l -> {})
                .withFitnessCalculator(BinPackingFitnessCalculators.cpuMemBinPacker).build();
        try {
            s.getTaskAssigner().call(new GpuTask("old-1", 5), "h1");
            s.getTaskAssigner().call(new GpuTask("old-2", 6), "h2");
            long now = System.currentTimeMillis();
            List<VirtualMachineLease> leases = List.of(new GpuLease("a", "h0", 8, now),
                    new GpuLease("b", "h1", 3, now), new GpuLease("c", "h2", 2, now));
            SchedulingResult r = s.scheduleOnce(List.of(new GpuTask("t", 2)), leases);
            assertThat(r.getResultMap()).containsOnlyKeys("h2");
            VMAssignmentResult a = r.getResultMap().get("h2");
            TaskAssignmentResult t = a.getTasksAssigned().iterator().next();
            assertThat(t.getFitness()).isEqualTo(FenzoFleet.PERFECT_FIT, org.assertj.core.data.Offset.offset(1e-9));
        } finally {
            s.shutdown();
        }
    }

    @Test
    void harnessPlacesEveryTaskWithoutOvercommittingAHost() {
        Fixtures.Filled f = Fixtures.singleHost(300);
        int[] sizes = Fixtures.singleHostSizes(1 << 10, 1);
        try (FenzoFleet fleet = new FenzoFleet(f, false)) {
            assertThat(fleet.held()).isEqualTo(f.state().allocatedGpus());
            SplittableRandom rng = new SplittableRandom(2);
            int placed = 0, at = 0;
            for (int round = 0; round < 20; round++) {
                if (fleet.held() >= 0.85 * fleet.total()) fleet.releaseDownTo((long) (0.75 * fleet.total()), rng);
                placed += fleet.schedule(sizes, at, 16);
                at += 16;
            }
            assertThat(placed).isEqualTo(20 * 16);
            assertThat(fleet.unplaced()).isZero();
            assertThat(fleet.rejectedLeases()).isZero();
            long free = 0;
            for (int h = 0; h < 300; h++) {
                assertThat(fleet.freeOn(h)).isBetween(0, 8);
                free += fleet.freeOn(h);
            }
            assertThat(fleet.held()).isEqualTo(fleet.total() - free);
        }
    }
}
