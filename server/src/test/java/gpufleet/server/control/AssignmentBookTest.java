package gpufleet.server.control;

import gpufleet.core.job.JobState;
import gpufleet.protocol.Assignment;
import gpufleet.protocol.RankSlot;
import gpufleet.server.store.HostGpus;
import gpufleet.server.store.JobRecord;
import gpufleet.testkit.ManualClock;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

class AssignmentBookTest {

    static JobRecord running(long id, long generation, int restarts, List<HostGpus> where) {
        int gpus = where.stream().mapToInt(h -> h.gpus().size()).sum();
        return new JobRecord(id, "j" + id, "default", gpus, 2, 1, 1, 1, JobState.RUNNING, 0, List.of("python", "t.py"), 3,
                "/ckpt", restarts, "", where, generation, 10.0, null, 10.0, 0, 0, null, null, null, 0);
    }

    @Test
    void ranksAreNumberedHostByHostInPlacementOrder() {
        JobRecord r = running(42, 7, 1, List.of(new HostGpus("b", List.of(4, 5, 6, 7)), new HostGpus("a", List.of(0, 1))));
        var split = AssignmentBook.split(r, h -> "10.0.0." + (h.equals("b") ? 2 : 1));
        Assignment onB = split.get("b");
        Assignment onA = split.get("a");
        assertThat(onB.ranks()).containsExactly(new RankSlot(0, 0, 4), new RankSlot(1, 1, 5), new RankSlot(2, 2, 6),
                new RankSlot(3, 3, 7));
        assertThat(onA.ranks()).containsExactly(new RankSlot(4, 0, 0), new RankSlot(5, 1, 1));
        // rank 0 lives on b, so every host rendezvouses there
        assertThat(onA.masterAddr()).isEqualTo("10.0.0.2").isEqualTo(onB.masterAddr());
        assertThat(onA.masterPort()).isEqualTo(onB.masterPort()).isBetween(20_000, 49_999);
        assertThat(onB.groupRank()).isZero();
        assertThat(onA.groupRank()).isEqualTo(1);
        assertThat(onA.worldSize()).isEqualTo(6);
        assertThat(onA.generation()).isEqualTo(7);
        assertThat(onA.restart()).isEqualTo(1);
    }

    @Test
    void aRestartRendezvousesOnAnotherPort() {
        assertThat(AssignmentBook.masterPort(42, 1)).isNotEqualTo(AssignmentBook.masterPort(42, 0));
    }

    @Test
    void aRebuildWithTheSameWorkChangesNoVersionAndWakesNoPoll() {
        AssignmentBook book = new AssignmentBook(Clock.systemUTC());
        JobRecord r = running(1, 1, 0, List.of(new HostGpus("a", List.of(0, 1))));
        book.rebuild(List.of(r), h -> h);
        long before = book.of("a").version();
        CompletableFuture<Void> poll = book.changeAfter("a", before);
        book.rebuild(List.of(r), h -> h);
        assertThat(book.of("a").version()).isEqualTo(before);
        assertThat(book.of("a").assignments()).hasSize(1);
        assertThat(poll).isNotDone();
    }

    @Test
    void aChangeWakesThePollOfThatHostOnly() {
        AssignmentBook book = new AssignmentBook(Clock.systemUTC());
        long a0 = book.of("a").version();
        long b0 = book.of("b").version();
        CompletableFuture<Void> onA = book.changeAfter("a", a0);
        CompletableFuture<Void> onB = book.changeAfter("b", b0);
        book.add(running(1, 1, 0, List.of(new HostGpus("a", List.of(0, 1)))), h -> h);
        assertThat(onA).isDone();
        assertThat(onB).isNotDone();
        assertThat(book.of("a").version()).isGreaterThan(a0);
        book.remove(1, List.of(new HostGpus("a", List.of(0, 1))));
        assertThat(book.of("a").assignments()).isEmpty();
    }

    @Test
    void versionsOfALaterControllerAreNewerThanAnyOfAnEarlierOne() {
        ManualClock clock = new ManualClock(Instant.parse("2026-11-23T10:00:00Z"));
        AssignmentBook first = new AssignmentBook(clock);
        for (int i = 0; i < 100; i++) first.add(running(i + 1, 1, 0, List.of(new HostGpus("a", List.of(0, 1)))), h -> h);
        long last = first.of("a").version();
        clock.advance(Duration.ofMillis(1));
        AssignmentBook second = new AssignmentBook(clock);
        // agents drop replies older than what they hold: the restarted controller's must not look older
        assertThat(second.of("a").version()).isGreaterThan(last);
    }
}
