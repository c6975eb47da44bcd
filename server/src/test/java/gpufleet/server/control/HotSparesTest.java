package gpufleet.server.control;

import gpufleet.core.job.JobState;
import gpufleet.core.state.HostStatus;
import gpufleet.protocol.GpuHealth;
import gpufleet.protocol.Heartbeat;
import gpufleet.protocol.Registration;
import gpufleet.server.store.HostGpus;
import gpufleet.server.store.HostRecord;
import gpufleet.server.store.JobRecord;
import gpufleet.server.store.NewJob;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Hot spares in the controller ({@code --spares N}): N idle hosts per pool that ordinary jobs are not
 * given, and a gang that loses a host keeps its healthy ones and takes a spare in the failed one's place;
 * the pool is refilled from hosts that become idle and healthy.
 */
class HotSparesTest extends ControllerOnBothDatabases {
    private static Map<String, HostStatus> statuses(Controller c) {
        return c.store().hosts().stream().collect(Collectors.toMap(HostRecord::name, HostRecord::status, (a, b) -> a, TreeMap::new));
    }

    private static Set<String> hostsOf(JobRecord r) {
        return r.placement().stream().map(HostGpus::host).collect(Collectors.toSet());
    }

    private static NewJob job(String name, int gpus) {
        return new NewJob(name, "default", gpus, 8, 1, 1, 1, List.of("train"), 5, "/ck");
    }

    @Test
    void aGangThatLosesAHostKeepsItsHealthyOneAndTakesTheSpare() {
        try (Controller c = controller(ControllerOptions.DEFAULTS.withSpares(1))) {
            Map<String, HostRecord> hosts = new TreeMap<>();
            for (String n : List.of("h1", "h2", "h3"))
                hosts.put(n, c.registerHost(new Registration(n, 8, "r1", "z1", null, List.of()), "10.0.0.1"));
            long a = c.submit(job("a", 16)).id();
            c.cycle();
            // submitted after a runs: the policy places fewer GPUs first, and b would take a's place
            long b = c.submit(job("b", 8)).id();
            c.cycle();
            Map<String, HostStatus> st = statuses(c);
            List<String> spares = st.entrySet().stream().filter(e -> e.getValue() == HostStatus.SPARE).map(Map.Entry::getKey).toList();
            assertThat(spares).as("one spare kept").hasSize(1);
            String spare = spares.getFirst();
            JobRecord ra = c.store().job(a).orElseThrow();
            assertThat(ra.state()).as("%s; hosts %s", ra.reason(), c.store().hosts()).isEqualTo(JobState.RUNNING);
            assertThat(hostsOf(ra)).doesNotContain(spare).hasSize(2);
            assertThat(c.store().job(b).orElseThrow().state()).as("the spare is not given to an ordinary job")
                    .isEqualTo(JobState.PENDING);

            // a GPU of one of a's hosts fails: a keeps its other host and takes the spare
            String failed = ra.placement().getFirst().host();
            String healthy = ra.placement().get(1).host();
            HostRecord f = hosts.get(failed);
            c.heartbeat(f.id(), new Heartbeat(f.generation(), List.of(),
                    List.of(new GpuHealth(2, false, 79, "XID 79: GPU has fallen off the bus"))));
            c.cycle();
            JobRecord again = c.store().job(a).orElseThrow();
            assertThat(again.state()).isEqualTo(JobState.RUNNING);
            assertThat(again.restarts()).isEqualTo(1);
            assertThat(hostsOf(again)).containsExactlyInAnyOrder(healthy, spare);
            st = statuses(c);
            assertThat(st.get(spare)).as("the spare is in service now").isEqualTo(HostStatus.UP);
            assertThat(st.get(failed)).isEqualTo(HostStatus.DRAINING);
            assertThat(c.store().job(b).orElseThrow().state()).isEqualTo(JobState.PENDING);

            // the failed host, reset and resumed, idle and healthy again: it refills the pool
            c.heartbeat(f.id(), new Heartbeat(f.generation(), List.of(), List.of()));
            c.setHostStatus(failed, HostStatus.UP, null);
            c.cycle();
            assertThat(statuses(c).get(failed)).isEqualTo(HostStatus.SPARE);
            assertThat(c.store().job(b).orElseThrow().state()).isEqualTo(JobState.PENDING);
        }
    }

    @Test
    void withoutSparesABrokenGangIsPlacedAfreshAndEveryHostTakesWork() {
        try (Controller c = controller(ControllerOptions.DEFAULTS)) {
            for (String n : List.of("h1", "h2", "h3"))
                c.registerHost(new Registration(n, 8, "r1", "z1", null, List.of()), "10.0.0.1");
            long a = c.submit(job("a", 16)).id();
            long b = c.submit(job("b", 8)).id();
            c.cycle();
            assertThat(statuses(c).values()).containsOnly(HostStatus.UP);
            assertThat(c.store().job(a).orElseThrow().state()).isEqualTo(JobState.RUNNING);
            assertThat(c.store().job(b).orElseThrow().state()).isEqualTo(JobState.RUNNING);
        }
    }

    @Test
    void aSpareStaysASpareAcrossAControllerRestart() {
        String spare;
        try (Controller c = controller(ControllerOptions.DEFAULTS.withSpares(1))) {
            for (String n : List.of("h1", "h2"))
                c.registerHost(new Registration(n, 8, "r1", "z1", null, List.of()), "10.0.0.1");
            c.submit(job("x", 8));
            c.cycle();
            spare = statuses(c).entrySet().stream().filter(e -> e.getValue() == HostStatus.SPARE).findFirst().orElseThrow().getKey();
        }
        try (Controller c = controller(ControllerOptions.DEFAULTS.withSpares(1))) {
            long a = c.submit(job("a", 8)).id();
            c.cycle();
            assertThat(statuses(c).get(spare)).isEqualTo(HostStatus.SPARE);
            assertThat(c.store().job(a).orElseThrow().state()).isEqualTo(JobState.PENDING);
        }
        // lowered to none: the spare goes back into service
        try (Controller c = controller(ControllerOptions.DEFAULTS)) {
            c.cycle();
            assertThat(statuses(c).values()).containsOnly(HostStatus.UP);
        }
    }
}
