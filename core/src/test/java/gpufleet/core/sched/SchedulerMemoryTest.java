package gpufleet.core.sched;

import gpufleet.core.job.Job;
import gpufleet.core.sched.framework.Memory;
import gpufleet.core.testkit.Fleets;
import gpufleet.core.testkit.Harness;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static gpufleet.core.testkit.Jobs.job;
import static org.assertj.core.api.Assertions.assertThat;

/** A cycle is a function of its inputs: what it remembers comes in and goes out as a {@link Memory}. */
class SchedulerMemoryTest {

    /**
     * gpufleet's rank pass runs at most once a minute. One host of 8 GPUs held since t = 0 by a job
     * that has attained far more than a waiting one; at t = 700 the pass would preempt it. Given a
     * memory that says the pass ran at t = 650, the same cycle does nothing; given none, it preempts.
     */
    @Test
    void theSameInputsAndMemoryGiveTheSameDecisions() {
        for (var memory : List.of(Memory.EMPTY, Memory.EMPTY.with(Map.of("rank-preemption", 650.0)))) {
            Scheduler.Result first = null;
            for (int run = 0; run < 2; run++) {
                var h = new Harness(Fleets.lab(1, 1, 1, 1, 8), Policy.GPUFLEET);
                Job hog = job(1).gpus(8).submit(0).duration(100_000).build();
                h.run(hog, 0);
                Job small = job(2).gpus(8).submit(10).build();
                var r = h.scheduler.cycle(memory, 700, List.of(small), h.running, h.state, Quotas.NONE,
                        Harness.durations(), Map.of());
                if (first == null) first = r;
                else {
                    assertThat(r.decisions()).hasSameSizeAs(first.decisions());
                    assertThat(r.memory()).isEqualTo(first.memory());
                }
                assertThat(h.scheduler.memory()).as("the pure cycle leaves the scheduler's own memory alone")
                        .isEqualTo(Memory.EMPTY);
            }
            if (memory.byPlugin().isEmpty()) {
                assertThat(first.decisions()).extracting(d -> d.getClass().getSimpleName()).containsExactly("Start", "Preempt");
                assertThat(first.memory().get("rank-preemption")).isEqualTo(700.0);
            } else {
                assertThat(first.decisions()).isEmpty();
                assertThat(first.memory()).isEqualTo(memory);
            }
        }
    }

    @Test
    void theStatefulCycleCarriesTheMemoryItReturns() {
        var h = new Harness(Fleets.lab(1, 1, 1, 1, 8), Policy.GPUFLEET);
        h.run(job(1).gpus(8).submit(0).duration(100_000).build(), 0);
        Job small = job(2).gpus(8).submit(10).build();
        // at t = 100 the job has not run its 10 minutes: the pass runs (and is remembered) but takes nothing
        var r = h.cycle(100, small);
        assertThat(r.decisions()).isEmpty();
        assertThat(h.scheduler.memory()).isEqualTo(r.memory());
        assertThat(r.memory().get("rank-preemption")).isEqualTo(100.0);
        assertThat(r.wakeAt()).isInfinite();
        assertThat(small.reason()).isEqualTo(Scheduler.REASON_RESERVED);
        assertThat(h.state.allocatedGpus()).isEqualTo(8);
    }
}
