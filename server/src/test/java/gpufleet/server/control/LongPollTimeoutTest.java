package gpufleet.server.control;

import gpufleet.core.job.JobState;
import gpufleet.core.sched.Policy;
import gpufleet.protocol.HeartbeatReply;
import gpufleet.protocol.Registration;
import gpufleet.server.store.HostGpus;
import gpufleet.server.store.HostRecord;
import gpufleet.server.store.JobRecord;
import gpufleet.server.store.SqlStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Long polls that end because their wait ran out. Each must leave the next poll waiting (when polls
 * shared one future per host, a timeout completed it and every later poll of an unchanged host
 * answered at once), and must leave nothing registered behind (else they pile up, and releasing
 * them all at once makes every agent poll in step).
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

    @Test
    void timedOutPollsAreForgottenAndAChangeStillWakesTheNextOne() throws Exception {
        AssignmentBook book = new AssignmentBook(Clock.systemUTC());
        long v = book.of("a").version();
        List<CompletableFuture<Void>> polls = new ArrayList<>();
        for (int i = 0; i < 3; i++) polls.add(book.changeAfter("a", v).completeOnTimeout(null, 10, TimeUnit.MILLISECONDS));
        assertThat(book.waiting("a")).isBetween(1, 3);
        CompletableFuture.allOf(polls.toArray(CompletableFuture[]::new)).get(5, TimeUnit.SECONDS);
        assertThat(book.waiting("a")).as("timed-out polls leave nothing behind").isZero();

        CompletableFuture<Void> next = book.changeAfter("a", v);
        CompletableFuture<Void> other = book.changeAfter("b", book.of("b").version());
        assertThat(book.waiting("a")).isEqualTo(1);
        book.add(running(7, "a"), host -> host);
        assertThat(next).isDone();
        assertThat(other).as("another host's poll keeps waiting").isNotDone();
        assertThat(book.waiting("a")).isZero();
        assertThat(book.changeAfter("a", v)).as("a poll with an old version answers at once").isDone();
    }

    private static JobRecord running(long id, String host) {
        return new JobRecord(id, "j" + id, "default", 8, 8, 1, 1, 1, JobState.RUNNING, 0, List.of("sleep", "1"), 0, null,
                0, "", List.of(new HostGpus(host, List.of(0, 1, 2, 3, 4, 5, 6, 7))), 1, 0.0, null, 0.0, 0, 0, null, null, null, 0);
    }
}
