package gpufleet.server.ha;

import org.junit.jupiter.api.Test;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The backlog with an executor the test runs by hand: a call holds its place from the moment it is handed
 * to the executor until it has run, so the test decides when each place is given up.
 */
class AgentBacklogTest {

    /** Calls handed to the executor and not yet run. */
    private final ArrayDeque<Runnable> handed = new ArrayDeque<>();
    /** Calls run so far, by their index. */
    private final List<Integer> ran = new ArrayList<>();

    private AgentBacklog backlog(int limit) {
        return new AgentBacklog(limit, handed::add);
    }

    private CompletableFuture<String> submit(AgentBacklog b, String host, int i) {
        return b.run(host, () -> {
            ran.add(i);
            return CompletableFuture.completedFuture("answer " + i);
        });
    }

    private void runNext() {
        handed.poll().run();
    }

    @Test
    void runsAtMostTheLimitAtATimeInArrivalOrder() {
        var b = backlog(2);
        var answers = new ArrayList<CompletableFuture<String>>();
        for (int i = 0; i < 5; i++) answers.add(submit(b, "h" + i, i));
        assertThat(handed).hasSize(2);
        assertThat(b.waiting()).isEqualTo(3);
        runNext();
        assertThat(ran).containsExactly(0);
        assertThat(answers.get(0)).isCompletedWithValue("answer 0");
        assertThat(handed).hasSize(2); // call 0's place went to call 2
        while (!handed.isEmpty()) runNext();
        assertThat(ran).containsExactly(0, 1, 2, 3, 4);
        assertThat(answers).allMatch(f -> f.isDone() && !f.isCompletedExceptionally());
        assertThat(b.waiting()).isZero();
    }

    @Test
    void aHostWhoseAssignmentsChangedGoesNext() {
        var b = backlog(1);
        for (int i = 0; i < 4; i++) submit(b, "h" + i, i);
        b.changed("h3");
        b.changed("h9"); // no call of its own waiting: nothing moves
        while (!handed.isEmpty()) runNext();
        assertThat(ran).containsExactly(0, 3, 1, 2);
        assertThat(b.waiting()).isZero();
    }

    @Test
    void aCallOfAHostWithNewsThatArrivesWhileOthersWaitGoesAheadOfThem() {
        var b = backlog(1);
        for (int i = 0; i < 3; i++) submit(b, "h" + i, i);
        b.changed("h7"); // no call of its own yet
        submit(b, "h7", 7);
        while (!handed.isEmpty()) runNext();
        assertThat(ran).containsExactly(0, 7, 1, 2);
        // nothing waits any more: the news is forgotten, and h7's next call takes its turn
        for (int i = 3; i < 5; i++) submit(b, "h" + i, i);
        submit(b, "h7", 8);
        while (!handed.isEmpty()) runNext();
        assertThat(ran).containsExactly(0, 7, 1, 2, 3, 4, 8);
    }

    @Test
    void aCallThatFailsGivesItsPlaceUpAndReportsItsFailure() {
        var b = backlog(1);
        CompletableFuture<String> failed = b.run("h0", () -> {
            throw new IllegalStateException("no such host");
        });
        submit(b, "h1", 1);
        runNext();
        assertThat(failed).isCompletedExceptionally();
        assertThatThrownBy(failed::join).hasRootCauseMessage("no such host");
        runNext();
        assertThat(ran).containsExactly(1);
    }

    @Test
    void aPollThatWaitsForNewsHoldsNoPlaceAndIsAnsweredWhenTheNewsComes() {
        var b = backlog(1);
        var news = new CompletableFuture<String>();
        CompletableFuture<String> poll = b.run("h0", () -> news);
        submit(b, "h1", 1);
        runNext();
        assertThat(poll).isNotDone();
        assertThat(handed).hasSize(1); // the next call has the place while the poll waits
        runNext();
        assertThat(ran).containsExactly(1);
        news.complete("assignments");
        assertThat(poll).isCompletedWithValue("assignments");
    }

    @Test
    void onceClosedItDropsWhatWaitsAndRunsNothingMore() {
        var b = backlog(1);
        submit(b, "h0", 0);
        CompletableFuture<String> queued = submit(b, "h1", 1);
        b.close();
        runNext();
        CompletableFuture<String> late = submit(b, "h2", 2);
        assertThat(handed).isEmpty();
        assertThat(ran).containsExactly(0);
        assertThat(queued).isNotDone();
        assertThat(late).isNotDone();
        assertThat(b.waiting()).isZero();
    }

    @Test
    void refusesALimitBelowOne() {
        assertThatThrownBy(() -> new AgentBacklog(0, Runnable::run)).hasMessage("limit must be at least 1, got 0");
    }
}
