package gpufleet.bench;

import gpufleet.core.job.Job;
import gpufleet.core.sched.GangPlacer;
import gpufleet.core.state.FleetState;
import gpufleet.core.state.HostStatus;
import gpufleet.core.state.Placement;
import gpufleet.core.topology.Topology;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The benchmark fixtures are what the benchmarks claim: 80% full, fragmented, and placements in them are real. */
class FixturesTest {
    private static final Fixtures.Filled FLEET = Fixtures.fragmented("fleet-600k");

    @Test
    void fleet600kIsEightyPercentFullAndFragmented() {
        Topology t = FLEET.topology();
        FleetState st = FLEET.state();
        assertThat(FLEET.fill()).isBetween(0.795, 0.805);
        assertThat(FLEET.running().stream().mapToLong(Job::gpus).sum()).isEqualTo(st.allocatedGpus());

        int partial = 0, empty = 0, down = 0, spare = 0;
        for (int h = 0; h < t.hostCount(); h++) {
            switch (st.status(h)) {
                case DOWN -> { down++; assertThat(st.allocatedMask(h)).isZero(); }
                case SPARE -> { spare++; assertThat(st.allocatedMask(h)).isZero(); }
                default -> {}
            }
            if (st.status(h) != HostStatus.UP) continue;
            if (st.allocatedMask(h) == 0) empty++;
            else if (st.usable(h) > 0) partial++;
        }
        int racksWithFree = 0;
        for (int r = 0; r < t.rackCount(); r++) if (st.rackUsable(r) > 0) racksWithFree++;
        int clustersWithFree = 0;
        for (int c = 0; c < t.clusterCount(); c++) if (st.clusterUsable(c) > 0) clustersWithFree++;

        // holes of every size, everywhere: partly used hosts, whole free hosts, in many racks of every cluster
        assertThat(partial).as("hosts partly used").isGreaterThan(t.hostCount() / 100);
        assertThat(empty).as("hosts entirely free").isGreaterThan(t.hostCount() / 20);
        assertThat(racksWithFree).as("racks with a free GPU").isGreaterThan(t.rackCount() / 10);
        assertThat(clustersWithFree).isEqualTo(t.clusterCount());
        assertThat(down).isPositive();
        assertThat(spare).isPositive();
        // and the mix is there: single-host jobs and gangs of many hosts
        assertThat(FLEET.running()).anyMatch(j -> j.gpus() == 1).anyMatch(j -> j.gpus() >= 1024);
    }

    @Test
    void gangPlacementsInTheFixtureAreWholeAndValid() {
        Topology t = FLEET.topology();
        FleetState st = FLEET.state();
        GangPlacer placer = new GangPlacer(t);
        int before = st.allocatedGpus();
        for (int gpus : new int[] {8, 1024, 16_384}) {
            Placement p = placer.place(Fixtures.gang(gpus, 8), st);
            assertThat(p).as("a gang of %d fits", gpus).isNotNull();
            assertThat(p.gpus()).isEqualTo(gpus);
            int cluster = p.cluster(t);
            for (int i = 0; i < p.hostCount(); i++) {
                int h = p.hosts()[i];
                long m = p.masks()[i];
                assertThat(t.clusterOfHost(h)).as("one cluster").isEqualTo(cluster);
                assertThat(m & ~st.usableMask(h)).as("only usable GPUs of host %d", h).isZero();
                assertThat(Long.bitCount(m) % 8).as("whole TP groups on host %d", h).isZero();
            }
            st.allocate(Fixtures.BENCH_IDS, p);
            assertThat(st.allocatedGpus()).isEqualTo(before + gpus);
            st.release(Fixtures.BENCH_IDS, p);
            assertThat(st.allocatedGpus()).isEqualTo(before);
        }
        // all or nothing: a gang larger than any cluster's free capacity gets nothing
        assertThat(placer.place(Fixtures.gang(65_536, 8), st)).isNull();
        assertThat(st.allocatedGpus()).isEqualTo(before);
    }

    @Test
    void singleHostFleetIsEightyPercentFullOfSingleHostJobs() {
        Fixtures.Filled f = Fixtures.singleHost(2_000);
        assertThat(f.topology().hostCount()).isEqualTo(2_000);
        assertThat(f.fill()).isBetween(0.795, 0.805);
        assertThat(f.running()).allMatch(j -> j.placement().hostCount() == 1 && j.gpus() <= 8);
        int partial = 0;
        for (int h = 0; h < 2_000; h++) if (f.state().allocatedMask(h) != 0 && f.state().usable(h) > 0) partial++;
        assertThat(partial).as("hosts partly used").isGreaterThan(100);
    }
}
