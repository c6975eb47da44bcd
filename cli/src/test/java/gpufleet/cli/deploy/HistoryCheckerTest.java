package gpufleet.cli.deploy;

import gpufleet.cli.deploy.HistoryChecker.FinalJob;
import gpufleet.cli.deploy.HistoryChecker.Op;
import gpufleet.cli.deploy.HistoryChecker.Outcome;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The fault-injection checker finds each kind of anomaly, and finds none in a clean run. */
class HistoryCheckerTest {
    private static final List<String> DONE = List.of("SUBMITTED", "STARTED", "COMPLETED");

    private static Op submit(String name, long job, Outcome o) {
        return new Op("c0", "submit", name, job, 1, 2, o, "");
    }

    @Test
    void aCleanRunHasNoAnomalies() {
        var r = HistoryChecker.check(List.of(submit("a", 1, Outcome.ok), submit("b", 0, Outcome.fail), submit("c", 0, Outcome.info)),
                List.of(new FinalJob(1, "a", "COMPLETED", DONE), new FinalJob(2, "c", "CANCELLED", List.of("CANCELLED"))),
                List.of("start h1 0,1 1 1 0 100 10.0", "beat h1 0,1 1 1 0 100 11.0", "stop h1 0,1 1 1 0 100 11.5",
                        "start h1 0,1 2 1 0 101 11.6", "start h1 2 3 1 0 102 11.0"));
        assertThat(r.anomalies()).isEmpty();
        assertThat(r.acknowledged()).isEqualTo(1);
        assertThat(r.refused()).isEqualTo(1);
        assertThat(r.unanswered()).isEqualTo(1);
        assertThat(r.rankRuns()).isEqualTo(3);
    }

    @Test
    void aLostAcknowledgedSubmissionARefusedOneThatHappenedAndAStuckJobAreFound() {
        var r = HistoryChecker.check(List.of(submit("a", 1, Outcome.ok), submit("b", 0, Outcome.fail)),
                List.of(new FinalJob(2, "b", "RUNNING", List.of("SUBMITTED"))), List.of());
        assertThat(r.anomalies()).hasSize(3)
                .anyMatch(a -> a.contains("acknowledged submission a (job 1) exists 0 times"))
                .anyMatch(a -> a.contains("refused submission b"))
                .anyMatch(a -> a.contains("stuck in RUNNING"));
    }

    @Test
    void aJobThatEndsTwiceIsFound() {
        var r = HistoryChecker.check(List.of(submit("a", 1, Outcome.ok)),
                List.of(new FinalJob(1, "a", "CANCELLED", List.of("COMPLETED", "CANCELLED"))), List.of());
        assertThat(r.anomalies()).singleElement().asString().contains("reached a final state 2 times");
    }

    @Test
    void aGpuHeldByTwoRunsAtOnceIsFoundFromTheRanksRecordsEvenWithoutAStopLine() {
        // generation 1 of job 1 was SIGKILLed after its last beat at 12.0; job 2 started on GPU 1 at 11.5
        var r = HistoryChecker.check(List.of(), List.of(), List.of(
                "start h1 0,1 1 1 0 100 10.0", "beat h1 0,1 1 1 0 100 12.0",
                "start h1 1,2 2 1 0 200 11.5", "stop h1 1,2 2 1 0 200 13.0",
                "start h2 1 3 1 0 300 11.5"));
        assertThat(r.anomalies()).singleElement().asString().contains("GPUs [1] of h1 held by job 1 generation 1")
                .contains("job 2 generation 1");
    }

    @Test
    void aGenerationThatGoesBackIsFound() {
        var r = HistoryChecker.check(List.of(), List.of(), List.of(
                "start h1 0 1 2 0 100 10.0", "stop h1 0 1 2 0 100 11.0", "start h2 0 1 1 0 200 12.0"));
        assertThat(r.anomalies()).singleElement().asString().contains("job 1: a rank of generation 1 started on h2");
    }
}
