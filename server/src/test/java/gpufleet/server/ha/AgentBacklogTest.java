package gpufleet.server.ha;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AgentBacklogTest {

    /** Calls started so far, by their index, with the futures the test completes for them. */
    private final List<Integer> started = new ArrayList<>();
    private final List<CompletableFuture<String>> answers = new ArrayList<>();

    private CompletableFuture<String> submit(AgentBacklog b, String host, int i) {
        return b.run(host, () -> {
            synchronized (started) {
                started.add(i);
                var f = new CompletableFuture<String>();
                answers.add(f);
                return f;
            }
        });
    }

    @Test
    void runsAtMostTheLimitAtATimeInArrivalOrder() {
        var b = new AgentBacklog(2, Runnable::run);
        var results = new ArrayList<CompletableFuture<String>>();
        for (int i = 0; i < 5; i++) results.add(submit(b, "h" + i, i));
        assertThat(started).containsExactly(0, 1);
        assertThat(b.waiting()).isEqualTo(3);
        answers.get(1).complete("one");
        assertThat(started).containsExactly(0, 1, 2);
        assertThat(results.get(1)).isCompletedWithValue("one");
        answers.get(0).complete("zero");
        answers.get(2).complete("two");
        assertThat(started).containsExactly(0, 1, 2, 3, 4);
        assertThat(b.waiting()).isZero();
    }

    @Test
    void aHostWhoseAssignmentsChangedGoesNext() {
        var b = new AgentBacklog(1, Runnable::run);
        for (int i = 0; i < 4; i++) submit(b, "h" + i, i);
        b.changed("h3");
        b.changed("h9"); // no call of its own waiting: nothing moves
        answers.get(0).complete("");
        answers.get(1).complete("");
        answers.get(2).complete("");
        assertThat(started).containsExactly(0, 3, 1, 2);
        assertThat(b.waiting()).isZero();
    }

    @Test
    void aCallThatFailsGivesItsPlaceUpAndReportsItsFailure() {
        var b = new AgentBacklog(1, Runnable::run);
        CompletableFuture<String> failed = b.run("h0", () -> {
            throw new IllegalStateException("no such host");
        });
        submit(b, "h1", 1);
        assertThat(failed).isCompletedExceptionally();
        assertThatThrownBy(failed::join).hasRootCauseMessage("no such host");
        assertThat(started).containsExactly(1);
    }

    @Test
    void aPollStillWaitingGivesItsPlaceUpAfterTheHold() throws InterruptedException {
        try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
            var b = new AgentBacklog(1, pool);
            CountDownLatch second = new CountDownLatch(1);
            CompletableFuture<String> waitingPoll = b.run("h0", CompletableFuture::new); // never answered
            b.run("h1", () -> {
                second.countDown();
                return CompletableFuture.completedFuture("");
            });
            assertThat(second.await(AgentBacklog.HOLD_MS * 20, TimeUnit.MILLISECONDS)).isTrue();
            assertThat(waitingPoll).isNotDone();
        }
    }

    @Test
    void onceClosedItDropsWhatWaitsAndRunsNothingMore() {
        var b = new AgentBacklog(1, Runnable::run);
        submit(b, "h0", 0);
        CompletableFuture<String> queued = submit(b, "h1", 1);
        b.close();
        answers.get(0).complete("");
        CompletableFuture<String> late = submit(b, "h2", 2);
        assertThat(started).containsExactly(0);
        assertThat(queued).isNotDone();
        assertThat(late).isNotDone();
        assertThat(b.waiting()).isZero();
    }

    @Test
    void refusesALimitBelowOne() {
        assertThatThrownBy(() -> new AgentBacklog(0, Runnable::run)).hasMessage("limit must be at least 1, got 0");
    }
}
