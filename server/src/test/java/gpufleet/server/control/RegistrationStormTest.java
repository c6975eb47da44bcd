package gpufleet.server.control;

import gpufleet.core.job.JobState;
import gpufleet.core.sched.Policy;
import gpufleet.core.state.HostStatus;
import gpufleet.protocol.GpuHealth;
import gpufleet.protocol.Heartbeat;
import gpufleet.protocol.Registration;
import gpufleet.server.store.HostRecord;
import gpufleet.server.store.JobRecord;
import gpufleet.server.store.NewJob;
import gpufleet.server.store.SqlStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Many agents joining at once. A registration must not rebuild the layout (O(hosts) each, so a fleet
 * joining at once was quadratic); hosts that joined since the last rebuild must still be fenced,
 * drained, failed and scheduled onto exactly like the others.
 */
class RegistrationStormTest {
    @TempDir
    Path dir;

    private static Registration host(int i) {
        return new Registration("node-" + i, 8, "r" + (i / 16), "z" + (i / 256), null, List.of());
    }

    private static NewJob job(String name, int gpus) {
        return new NewJob(name, "default", gpus, 8, 1, 1, 1, List.of("true"), 3, null);
    }

    @Test
    void hostsJoiningAtOnceDoNotRebuildTheLayoutEachAndAllGetWork() throws Exception {
        int n = 400;
        try (Controller c = new Controller(SqlStore.sqlite(dir), Clock.systemUTC(), Policy.GPUFLEET);
             var pool = Executors.newFixedThreadPool(16)) {
            int before = c.layoutBuilds();
            List<Future<HostRecord>> joined = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int k = i;
                joined.add(pool.submit(() -> c.registerHost(host(k), "10.0.0." + (k % 250))));
            }
            List<HostRecord> hosts = new ArrayList<>();
            for (var f : joined) hosts.add(f.get());
            assertThat(c.layoutBuilds() - before).as("no job waited, so no registration needed the layout").isLessThanOrEqualTo(1);

            // each host is known (its heartbeats are fenced by generation) before the layout has it
            for (HostRecord h : hosts) assertThat(c.heartbeat(h.id(), new Heartbeat(h.generation(), List.of(), List.of())).hostId()).isEqualTo(h.id());

            // a job only the whole fleet can hold is admitted and placed on every host
            JobRecord all = c.submit(job("all", n * 8));
            c.cycle();
            assertThat(c.store().job(all.id()).orElseThrow().state()).isEqualTo(JobState.RUNNING);
            assertThat(c.gpuOwners()).hasSize(n);
            assertThat(c.gpuOwners().values()).allSatisfy(gpus -> assertThat(gpus.values()).hasSize(8).containsOnly((int) all.id()));
        }
    }

    @Test
    void whileJobsWaitTheLayoutIsRebuiltAsTheFleetGrowsNotPerHost() throws Exception {
        try (Controller c = new Controller(SqlStore.sqlite(dir), Clock.systemUTC(), Policy.GPUFLEET);
             var pool = Executors.newFixedThreadPool(16)) {
            // a fleet of 64 hosts, all busy, and a job waiting for more
            for (int i = 0; i < 64; i++) c.registerHost(host(i), "10.0.0.1");
            c.submit(job("busy", 64 * 8));
            c.cycle();
            JobRecord waits = c.submit(job("waits", 64 * 8));
            c.cycle();
            assertThat(c.store().job(waits.id()).orElseThrow().state()).isEqualTo(JobState.PENDING);

            int before = c.layoutBuilds();
            List<Future<HostRecord>> joined = new ArrayList<>();
            for (int i = 64; i < 128; i++) {
                int k = i;
                joined.add(pool.submit(() -> c.registerHost(host(k), "10.0.0.2")));
            }
            for (var f : joined) f.get();
            c.cycle();
            assertThat(c.store().job(waits.id()).orElseThrow().state()).as("the new hosts took the waiting job")
                    .isEqualTo(JobState.RUNNING);
            assertThat(c.layoutBuilds() - before).as("64 registrations, rebuilt as the fleet grew by an eighth at a time")
                    .isBetween(1, 12);
        }
    }

    @Test
    void aHostThatJoinedSinceTheLastRebuildCanBeDrainedFailedAndLost() throws Exception {
        try (Controller c = new Controller(SqlStore.sqlite(dir), Clock.systemUTC(), Policy.GPUFLEET)) {
            c.registerHost(host(0), "10.0.0.1");
            c.submit(job("first", 8));
            c.cycle();

            HostRecord drained = c.registerHost(host(1), "10.0.0.2");
            assertThat(c.setHostStatus(drained.name(), HostStatus.DRAINING, "maintenance").status()).isEqualTo(HostStatus.DRAINING);

            HostRecord failing = c.registerHost(host(2), "10.0.0.3");
            c.heartbeat(failing.id(), new Heartbeat(failing.generation(), List.of(), List.of(new GpuHealth(3, false, 79, null))));
            assertThat(c.knownHost(failing.id()).status()).isEqualTo(HostStatus.DRAINING);
            assertThat(c.knownHost(failing.id()).unhealthyGpus()).containsExactly(3);

            HostRecord lost = c.registerHost(host(3), "10.0.0.4");
            c.fenceHost(lost.name(), "credential revoked");
            assertThat(c.knownHost(lost.id()).status()).isEqualTo(HostStatus.DOWN);

            // none of the three may take the next job: it waits, though the layout now has all four hosts
            JobRecord next = c.submit(job("next", 8));
            c.cycle();
            assertThat(c.store().job(next.id()).orElseThrow().state()).isEqualTo(JobState.PENDING);
            HostRecord fresh = c.registerHost(host(4), "10.0.0.5");
            c.cycle();
            assertThat(c.store().job(next.id()).orElseThrow().placement()).singleElement()
                    .satisfies(p -> assertThat(p.host()).isEqualTo(fresh.name()));
        }
    }

    @Test
    void aJobThatOnlyFitsOnHostsThatJustJoinedIsAdmitted() throws Exception {
        try (Controller c = new Controller(SqlStore.sqlite(dir), Clock.systemUTC(), Policy.GPUFLEET)) {
            c.registerHost(host(0), "10.0.0.1");
            c.submit(job("first", 8)); // builds the layout with one host
            c.registerHost(host(1), "10.0.0.2");
            assertThat(c.submit(job("two hosts", 16)).state()).isEqualTo(JobState.PENDING);
            assertThatThrownBy(() -> c.submit(job("three hosts", 24))).hasMessageContaining("at most 16");
        }
    }

    @Test
    void theSlotCountOfAJoiningHostIsTheSizeOfTheLayoutItWouldMake() {
        Random rnd = new Random(7);
        for (int trial = 0; trial < 200; trial++) {
            List<HostRecord> hosts = new ArrayList<>();
            int n = 1 + rnd.nextInt(60);
            for (int i = 0; i < n; i++)
                hosts.add(new HostRecord(i + 1, "h" + rnd.nextInt(80), "r" + rnd.nextInt(6), "z" + rnd.nextInt(3),
                        rnd.nextBoolean() ? 8 : 4, HostStatus.UP));
            // names are unique in a fleet
            List<HostRecord> fleet = new ArrayList<>(hosts.stream().collect(java.util.stream.Collectors.toMap(
                    HostRecord::name, h -> h, (a, b) -> a, java.util.LinkedHashMap::new)).values());
            HostRecord joining = fleet.get(rnd.nextInt(fleet.size()));
            joining = new HostRecord(0, rnd.nextBoolean() ? joining.name() : "new", "r" + rnd.nextInt(9),
                    "z" + rnd.nextInt(4), rnd.nextBoolean() ? 8 : 2, HostStatus.UP);
            List<HostRecord> after = new ArrayList<>();
            for (HostRecord h : fleet) if (!h.name().equals(joining.name())) after.add(h);
            after.add(joining);
            assertThat(FleetLayout.slotCountWith(fleet, joining)).as("trial %d", trial)
                    .isEqualTo(FleetLayout.of(after).topology().hostCount());
        }
    }
}
