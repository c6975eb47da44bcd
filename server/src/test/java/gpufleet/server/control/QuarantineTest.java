package gpufleet.server.control;

import gpufleet.core.job.JobState;
import gpufleet.core.lifecycle.Quarantine;
import gpufleet.core.state.HostStatus;
import gpufleet.protocol.GpuHealth;
import gpufleet.protocol.Heartbeat;
import gpufleet.protocol.Registration;
import gpufleet.server.store.HostRecord;
import gpufleet.server.store.NewJob;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Lemon-host quarantine in the controller, with the twin's rule ({@code --quarantine 2/7d}): a host
 * that fails twice within the window (lost, or a GPU fault) is drained for diagnosis, comes back from
 * a loss drained rather than UP, keeps its state and its failure count across a controller restart, and
 * returns to service only when an admin resumes it. On both databases, since each writes the new columns.
 */
class QuarantineTest extends ControllerOnBothDatabases {
    static final ControllerOptions TWO_IN_A_WEEK = ControllerOptions.DEFAULTS.withQuarantine(Quarantine.parse("2/7d"));

    private static HostRecord register(Controller c, String name) {
        return c.registerHost(new Registration(name, 8, "r1", "z1", null, List.of()), "10.0.0.1");
    }

    private static HostRecord host(Controller c, String name) {
        return c.store().hostByName(name).orElseThrow();
    }

    /** {@code lost} stays silent past the heartbeat timeout while {@code alive} keeps beating: it is declared lost. */
    private void loseHost(Controller c, HostRecord lost, HostRecord alive) {
        clock.advance(Controller.DEFAULT_HEARTBEAT_TIMEOUT.plusSeconds(1));
        c.heartbeat(alive.id(), new Heartbeat(alive.generation(), List.of(), List.of()));
        c.checkLiveness();
        assertThat(host(c, lost.name()).status()).isEqualTo(HostStatus.DOWN);
    }

    /** The host's agent is heard again after a loss. */
    private static void back(Controller c, HostRecord h) {
        c.heartbeat(h.id(), new Heartbeat(h.generation(), List.of(), List.of()));
    }

    private static void xid(Controller c, HostRecord h, int gpu) {
        c.heartbeat(h.id(), new Heartbeat(h.generation(), List.of(),
                List.of(new GpuHealth(gpu, false, 79, "XID 79: GPU has fallen off the bus"))));
    }

    @Test
    void aSecondFailureWithinTheWindowQuarantinesTheHostWhichStaysOutUntilAnAdminResumesIt() {
        try (Controller c = controller(TWO_IN_A_WEEK)) {
            HostRecord h1 = register(c, "h1");
            HostRecord h2 = register(c, "h2");
            loseHost(c, h1, h2);
            back(c, h1);
            assertThat(host(c, "h1").status()).as("one failure: back in service").isEqualTo(HostStatus.UP);
            assertThat(host(c, "h1").quarantined()).isFalse();

            clock.advance(Duration.ofDays(3));
            c.heartbeat(h2.id(), new Heartbeat(h2.generation(), List.of(), List.of()));
            xid(c, h1, 3);
            HostRecord q = host(c, "h1");
            assertThat(q.quarantined()).isTrue();
            assertThat(q.quarantine()).contains("2 failures within 7d").contains("XID 79").contains("gpufleet resume h1");
            assertThat(q.status()).isEqualTo(HostStatus.DRAINING);

            // lost again and back: a quarantined host comes back drained, with the quarantine's reason
            loseHost(c, h1, h2);
            back(c, h1);
            assertThat(host(c, "h1").status()).isEqualTo(HostStatus.DRAINING);
            assertThat(host(c, "h1").statusReason()).isEqualTo(q.quarantine());

            // no work lands there: an 8-GPU job takes h2, a second one waits
            long a = c.submit(new NewJob("a", "default", 8, 1, 1, 1, 1, List.of("train"), 3, "/ck")).id();
            long b = c.submit(new NewJob("b", "default", 8, 1, 1, 1, 1, List.of("train"), 3, "/ck")).id();
            c.cycle();
            assertThat(c.store().job(a).orElseThrow().placement()).allSatisfy(p -> assertThat(p.host()).isEqualTo("h2"));
            assertThat(c.store().job(b).orElseThrow().state()).isEqualTo(JobState.PENDING);

            // the admin resumes it once diagnosed (its GPU reset, so reported healthy): back in service,
            // and its count starts afresh, so one more failure does not quarantine it again
            back(c, h1);
            c.setHostStatus("h1", HostStatus.UP, null);
            HostRecord released = host(c, "h1");
            assertThat(released.quarantined()).isFalse();
            assertThat(released.status()).isEqualTo(HostStatus.UP);
            c.cycle();
            assertThat(c.store().job(b).orElseThrow().state()).isEqualTo(JobState.RUNNING);
            xid(c, h1, 5);
            assertThat(host(c, "h1").quarantined()).isFalse();
            assertThat(host(c, "h1").status()).isEqualTo(HostStatus.DRAINING);
        }
    }

    @Test
    void failuresFurtherApartThanTheWindowDoNotQuarantine() {
        try (Controller c = controller(TWO_IN_A_WEEK)) {
            HostRecord h1 = register(c, "h1");
            HostRecord h2 = register(c, "h2");
            loseHost(c, h1, h2);
            back(c, h1);
            clock.advance(Duration.ofDays(8));
            c.heartbeat(h2.id(), new Heartbeat(h2.generation(), List.of(), List.of()));
            loseHost(c, h1, h2);
            back(c, h1);
            assertThat(host(c, "h1").quarantined()).isFalse();
            assertThat(host(c, "h1").status()).isEqualTo(HostStatus.UP);
        }
    }

    @Test
    void theFailureCountAndTheQuarantineOutliveAControllerRestart() {
        HostRecord h1, h2;
        try (Controller c = controller(TWO_IN_A_WEEK)) {
            h1 = register(c, "h1");
            h2 = register(c, "h2");
            loseHost(c, h1, h2);
            back(c, h1);
        }
        try (Controller c = controller(TWO_IN_A_WEEK)) {
            c.rebuild(true);
            clock.advance(Duration.ofHours(1));
            xid(c, h1, 0);
            assertThat(host(c, "h1").quarantined()).as("the failure before the restart counted").isTrue();
        }
        try (Controller c = controller(TWO_IN_A_WEEK)) {
            HostRecord h = host(c, "h1");
            assertThat(h.quarantined()).isTrue();
            assertThat(h.status()).isEqualTo(HostStatus.DRAINING);
        }
    }

    @Test
    void offByDefault() {
        try (Controller c = controller(ControllerOptions.DEFAULTS)) {
            HostRecord h1 = register(c, "h1");
            HostRecord h2 = register(c, "h2");
            for (int i = 0; i < 3; i++) {
                loseHost(c, h1, h2);
                back(c, h1);
            }
            assertThat(host(c, "h1").quarantined()).isFalse();
            assertThat(host(c, "h1").status()).isEqualTo(HostStatus.UP);
        }
    }

    @Test
    void theRuleReadsAsTheTwinWritesIt() {
        assertThat(Quarantine.parse("2/7d")).isEqualTo(new Quarantine(2, 7 * 86_400));
        assertThat(Quarantine.parse("3/36h").describe()).isEqualTo("3/36h");
        assertThat(Quarantine.parse("off")).isEqualTo(Quarantine.OFF);
        for (String bad : List.of("2", "x/7d", "0/7d", "2/7y", "2/-1d"))
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> Quarantine.parse(bad))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("quarantine");
    }
}
