package gpufleet.server.control;

import gpufleet.core.sched.PolicyRegistry;
import gpufleet.protocol.Assignment;
import gpufleet.protocol.Heartbeat;
import gpufleet.protocol.HeartbeatReply;
import gpufleet.protocol.Registration;
import gpufleet.server.store.HostRecord;
import gpufleet.server.store.NewJob;
import gpufleet.testkit.ManualClock;
import gpufleet.testkit.TestDatabases;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Agents order a controller's answers by (leader epoch, version); each controller counts versions from its
 * own start, so a controller that takes over must say so in every answer, or agents that heard a
 * later-started leader would ignore it (jobs left RUNNING on paper, never started).
 */
class LeaderEpochTest {
    @TempDir
    Path dir;

    @Test
    void answersCarryTheEpochTheControllerLeadsWithFromItsTakeOverOn() {
        ManualClock clock = new ManualClock(Instant.parse("2026-12-01T00:00:00Z"));
        try (var db = TestDatabases.fresh(TestDatabases.Kind.SQLITE, dir)) {
            Controller c = new Controller(db.open(), clock, ControllerOptions.DEFAULTS.withPolicy(PolicyRegistry.get("fifo")));
            HostRecord h = c.registerHost(new Registration("h1", 8, "r1", "z1", null, List.of()), "10.0.0.1");
            long job = c.submit(new NewJob("a", "default", 8, 1, 1, 1, 1, List.of("train"), 3, "/shared/a", null)).id();
            c.cycle();
            HeartbeatReply alone = c.heartbeat(h.id(), new Heartbeat(h.generation(), List.of(), List.of()));
            assertThat(alone.epoch()).as("one controller").isZero();
            assertThat(alone.assignments()).extracting(Assignment::job).containsExactly(job);

            c.rebuild(true, 9);
            HeartbeatReply led = c.heartbeat(h.id(), new Heartbeat(h.generation(), List.of(), List.of()));
            assertThat(led.epoch()).isEqualTo(9);
            assertThat(led.assignments()).extracting(Assignment::job).containsExactly(job);
            // an agent that applied the version-less-ordered answer of epoch 9 takes it over any of epoch 0
            assertThat(led.notOlderThan(0, Long.MAX_VALUE)).isTrue();
            assertThat(alone.notOlderThan(9, 0)).isFalse();

            c.rebuild(false);
            assertThat(c.heartbeat(h.id(), new Heartbeat(h.generation(), List.of(), List.of())).epoch())
                    .as("a standby's periodic rebuild keeps the epoch").isEqualTo(9);
        }
    }
}
