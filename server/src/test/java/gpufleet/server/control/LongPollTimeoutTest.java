package gpufleet.server.control;

import gpufleet.core.sched.Policy;
import gpufleet.protocol.HeartbeatReply;
import gpufleet.protocol.Registration;
import gpufleet.server.store.HostRecord;
import gpufleet.server.store.SqlStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A long poll that ends because its wait ran out must leave the next poll waiting too. Polls of one
 * host share a future per host; if a timeout completed that shared future, every later poll on a
 * host whose work never changes would answer at once, and agents would spin instead of waiting.
 */
class LongPollTimeoutTest {
    @TempDir
    Path dir;

    @Test
    void aPollAfterATimedOutPollStillWaits() throws Exception {
        try (Controller c = new Controller(SqlStore.sqlite(dir), Clock.systemUTC(), Policy.GPUFLEET)) {
            HostRecord h = c.registerHost(new Registration("node-a", 8, "r1", "z1", null, List.of()), "127.0.0.1");
            long version = c.awaitAssignments(h.id(), h.generation(), -1, 0).get(5, TimeUnit.SECONDS).version();

            HeartbeatReply first = c.awaitAssignments(h.id(), h.generation(), version, 50).get(5, TimeUnit.SECONDS);
            assertThat(first.version()).as("nothing changed: the first poll times out").isEqualTo(version);

            CompletableFuture<HeartbeatReply> second = c.awaitAssignments(h.id(), h.generation(), version, 2_000);
            Thread.sleep(300);
            assertThat(second).as("the second poll waits for a change or its own timeout").isNotDone();
            assertThat(second.get(5, TimeUnit.SECONDS).version()).isEqualTo(version);
        }
    }
}
