package gpufleet.server.web;

import gpufleet.core.job.JobState;
import gpufleet.render.Charts.Span;
import gpufleet.server.store.JobEvent;
import gpufleet.server.store.JobRecord;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class JobTimelineTest {
    /** Submitted at 1000, ran from 1010, checkpointed at 1080, lost its GPU at 1110, ran again from 1130. */
    static JobRecord restarted(double lostSeconds, Double interruptedAt, JobState state, Double end) {
        return new JobRecord(7, "llama", "default", 8, 8, 1, 1, 1, state, 1000, List.of("x"), 3, "/ckpt", 1, "",
                List.of(), 3, 1130.0, end, 1010.0, 100, lostSeconds, 1080.0, interruptedAt, null, 0);
    }

    static final List<JobEvent> EVENTS = List.of(
            new JobEvent(7, 1, 1000, "SUBMITTED", ""),
            new JobEvent(7, 2, 1010, "STARTED", "a [0, 1, 2, 3, 4, 5, 6, 7]"),
            new JobEvent(7, 3, 1110, "RESTART", "GPU_FAILED: a GPU 3 XID 79"),
            new JobEvent(7, 4, 1130, "STARTED", "b [0, 1, 2, 3, 4, 5, 6, 7]"));

    @Test
    void anXidRestartDrawsTheWorkSinceTheCheckpointAsLostOverTheEndOfTheRun() {
        // lost: 30 s of work (1080 → 1110) and 20 s waiting to run again
        List<Span> spans = JobTimeline.spans(restarted(50, null, JobState.RUNNING, null), EVENTS, 1200);
        List<Span> lost = spans.stream().filter(s -> s.kind().equals("lost work")).toList();
        assertThat(lost).hasSize(1);
        assertThat(lost.getFirst().start()).isCloseTo(80, within(1e-9));
        assertThat(lost.getFirst().end()).isCloseTo(110, within(1e-9));
        assertThat(spans).anySatisfy(s -> assertThat(s.kind()).isEqualTo("restarting"));
        assertThat(JobTimeline.html(restarted(50, null, JobState.RUNNING, null), EVENTS, 1200)).contains("lost work");
    }

    @Test
    void noLostWorkIsDrawnForAJobThatLostNothing() {
        List<JobEvent> clean = List.of(EVENTS.get(0), EVENTS.get(1));
        JobRecord running = new JobRecord(7, "llama", "default", 8, 8, 1, 1, 1, JobState.RUNNING, 1000, List.of("x"), 3,
                "/ckpt", 0, "", List.of(), 1, 1010.0, null, 1010.0, 0, 0, 1080.0, null, null, 0);
        assertThat(JobTimeline.spans(running, clean, 1200)).noneSatisfy(s -> assertThat(s.kind()).isEqualTo("lost work"));
    }

    @Test
    void withoutASurvivingCheckpointTheWholeInterruptedRunIsLost() {
        JobRecord local = new JobRecord(7, "llama", "default", 8, 8, 1, 1, 1, JobState.RUNNING, 1000, List.of("x"), 3,
                null, 1, "", List.of(), 3, 1130.0, null, 1010.0, 100, 120, 1080.0, null, null, 0);
        List<Span> lost = JobTimeline.spans(local, EVENTS, 1200).stream().filter(s -> s.kind().equals("lost work")).toList();
        assertThat(lost).singleElement().satisfies(s -> {
            assertThat(s.start()).isCloseTo(10, within(1e-9));
            assertThat(s.end()).isCloseTo(110, within(1e-9));
        });
    }
}
