package gpufleet.server.store;

import gpufleet.core.job.JobState;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class JobRecordTest {
    static JobRecord job(Double firstStart, Double end, double lost, Double interruptedAt) {
        return new JobRecord(1, "j", "default", 8, 8, 1, 1, 1, end == null ? JobState.RUNNING : JobState.COMPLETED, 0,
                List.of("x"), 3, null, 1, "", List.of(), 3, firstStart, end, firstStart, 0, lost, null, interruptedAt, null, 0);
    }

    @Test
    void ettrIsTheShareOfTimeSinceTheFirstStartThatWasNotLost() {
        assertThat(job(1000.0, 2000.0, 250, null).ettrAt(5000)).isCloseTo(0.75, within(1e-12));
    }

    @Test
    void aWaitStillUnderwayCountsAsLost() {
        JobRecord waiting = job(1000.0, null, 100, 1500.0);
        assertThat(waiting.lostSecondsAt(1600)).isCloseTo(200, within(1e-9));
        assertThat(waiting.ettrAt(2000)).isCloseTo(1 - 600.0 / 1000, within(1e-12));
    }

    @Test
    void lostTimeStopsGrowingWhenTheJobEnds() {
        // failed (or was preempted and cancelled) at 1500 while it waited to run again since 1400
        JobRecord ended = new JobRecord(1, "j", "default", 8, 8, 1, 1, 1, JobState.FAILED, 0, List.of("x"), 3, null, 1, "",
                List.of(), 3, 1000.0, 1500.0, 1000.0, 383, 17, null, 1400.0, null, 0);
        assertThat(ended.lostSecondsAt(1500)).isCloseTo(117, within(1e-9));
        assertThat(ended.lostSecondsAt(1500 + 240)).as("four minutes later").isCloseTo(117, within(1e-9));
        assertThat(ended.lostSecondsAt(1_000_000)).isCloseTo(117, within(1e-9));
        assertThat(ended.ettrAt(9999)).isCloseTo(1 - 117.0 / 500, within(1e-12));
    }

    @Test
    void aJobThatNeverRanHasNoEttr() {
        assertThat(job(null, null, 0, null).ettrAt(10)).isNull();
    }
}
