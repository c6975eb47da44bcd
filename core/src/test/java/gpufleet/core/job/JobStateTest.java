package gpufleet.core.job;

import gpufleet.core.state.Placement;
import gpufleet.core.testkit.Jobs;
import gpufleet.core.testkit.Placements;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import static gpufleet.core.job.JobState.CANCELLED;
import static gpufleet.core.job.JobState.COMPLETED;
import static gpufleet.core.job.JobState.FAILED;
import static gpufleet.core.job.JobState.PENDING;
import static gpufleet.core.job.JobState.PREEMPTED;
import static gpufleet.core.job.JobState.RESTARTING;
import static gpufleet.core.job.JobState.RUNNING;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Every (from, to) pair of job states, checked against the diagram in {@link JobState}'s javadoc. */
class JobStateTest {

    /** The diagram, transcribed by hand: anything not listed is refused. */
    private static final Map<JobState, Set<JobState>> ALLOWED = Map.of(
            PENDING, EnumSet.of(RUNNING, FAILED, CANCELLED),
            RUNNING, EnumSet.of(COMPLETED, FAILED, RESTARTING, PREEMPTED, CANCELLED),
            RESTARTING, EnumSet.of(RUNNING, FAILED, CANCELLED),
            PREEMPTED, EnumSet.of(RUNNING, FAILED, CANCELLED),
            COMPLETED, EnumSet.noneOf(JobState.class),
            FAILED, EnumSet.noneOf(JobState.class),
            CANCELLED, EnumSet.noneOf(JobState.class));

    static Stream<Arguments> everyPair() {
        List<Arguments> out = new ArrayList<>();
        for (JobState from : JobState.values())
            for (JobState to : JobState.values()) out.add(Arguments.of(from, to, ALLOWED.get(from).contains(to)));
        return out.stream();
    }

    @ParameterizedTest(name = "{0} -> {1}: {2}")
    @MethodSource("everyPair")
    void canMoveToMatchesTheDiagram(JobState from, JobState to, boolean allowed) {
        assertThat(from.canMoveTo(to)).isEqualTo(allowed);
        assertThat(from.next().contains(to)).isEqualTo(allowed);
    }

    /** Drives a real {@link Job} into {@code from}, then calls the method that leads to {@code to}. */
    @ParameterizedTest(name = "{0} -> {1}: {2}")
    @MethodSource("everyPair")
    void jobMethodsAllowExactlyTheDiagramsTransitions(JobState from, JobState to, boolean allowed) {
        Job job = jobIn(from);
        if (to == PENDING) {
            assertThat(allowed).as("nothing leads back to PENDING").isFalse();
            return;
        }
        var before = Snapshot.of(job);
        if (allowed) {
            moveTo(job, to);
            assertThat(job.state()).isEqualTo(to);
        } else {
            assertThatThrownBy(() -> moveTo(job, to)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("job 1");
            assertThat(Snapshot.of(job)).as("a refused transition changes nothing").isEqualTo(before);
        }
    }

    @Test
    void terminalAndWaitingStates() {
        assertThat(EnumSet.allOf(JobState.class).stream().filter(JobState::isTerminal))
                .containsExactlyInAnyOrder(COMPLETED, FAILED, CANCELLED);
        assertThat(EnumSet.allOf(JobState.class).stream().filter(JobState::isWaiting))
                .containsExactlyInAnyOrder(PENDING, RESTARTING, PREEMPTED);
        for (JobState s : JobState.values()) assertThat(s.next().isEmpty()).isEqualTo(s.isTerminal());
    }

    private static final Placement EIGHT = Placements.first(0, 8);

    static Job jobIn(JobState s) {
        Job job = Jobs.job(1).gpus(8).tp(8).maxRestarts(3).submit(0).build();
        switch (s) {
            case PENDING -> {}
            case RUNNING -> job.start(10, EIGHT);
            case RESTARTING -> { job.start(10, EIGHT); job.interrupt(20, "xid", true, "restarting"); }
            case PREEMPTED -> { job.start(10, EIGHT); job.preempt(20, 2); }
            case COMPLETED -> { job.start(10, EIGHT); job.complete(20); }
            case FAILED -> job.fail(20, "broken");
            case CANCELLED -> job.cancel(20);
        }
        assertThat(job.state()).isEqualTo(s);
        return job;
    }

    static void moveTo(Job job, JobState to) {
        switch (to) {
            case PENDING -> throw new AssertionError("no method leads to PENDING");
            case RUNNING -> job.start(30, EIGHT);
            case RESTARTING -> job.interrupt(30, "xid", true, "restarting");
            case PREEMPTED -> job.preempt(30, 2);
            case COMPLETED -> job.complete(30);
            case FAILED -> job.fail(30, "error");
            case CANCELLED -> job.cancel(30);
        }
    }

    /** Everything a caller can read off a job. */
    record Snapshot(JobState state, Placement placement, int restarts, int preemptions, double runStart,
                    double firstStart, double endTime, double queueWait, double waitingSince, String reason,
                    Map<String, Integer> interruptions) {
        static Snapshot of(Job j) {
            return new Snapshot(j.state(), j.placement(), j.restarts(), j.preemptions(), j.runStart(), j.firstStart(),
                    j.endTime(), j.queueWait(), j.waitingSince(), j.reason(), j.interruptionsByCause());
        }
    }
}
