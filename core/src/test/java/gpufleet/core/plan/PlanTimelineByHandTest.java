package gpufleet.core.plan;

import gpufleet.core.failure.FailureCause;
import gpufleet.core.failure.FailureModel;
import gpufleet.core.topology.ClusterSpec;
import org.junit.jupiter.api.Test;

import java.util.List;

import static gpufleet.core.plan.PlanModelTest.GPT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * One plan's failure-aware timeline worked out from the model in docs/planner.md on round figures:
 * a job that breaks once a day and is stopped for maintenance every other day, every term written out.
 * The step time is the step model's (pinned by {@link StepAndMemoryByHandTest}); everything after it
 * is checked here.
 */
class PlanTimelineByHandTest {
    @Test
    void aTwelveGpuJobWithStartRiskPlannedStopsAndSlowStorage() {
        // 12 GPUs on hosts of 8: 2 hosts; $2 per GPU-hour, 1 kW per GPU
        var cluster = new ClusterSpec("c", "dc", "H100-SXM", 2, 8, 2, 1, 400, 1, 0, 2.0, 1000);
        // software failures at 1/12 per GPU-day: 1 a day on 12 GPUs, MTBF 86,400 s; planned stops at 1/4 per
        // host-day: 1/2 a day on 2 hosts; a start breaks on each host with probability 0.1 within 600 s
        var failures = new FailureModel("f", "", List.of(
                new FailureCause("software", FailureCause.Scope.JOB, 1.0 / 12, 0, false, ""),
                new FailureCause("maintenance", FailureCause.Scope.HOST, 0.25, 2, true, "")),
                new FailureModel.Heterogeneity(0, 1, 0.1, 600, ""));
        // checkpoints written at 0.1 GB/s and read back at 0.2 GB/s, synchronously; 600 s to relaunch
        var f = new Factors(0.58, 0.8, 0.8, 0, 0, 0.5, 4, 4, 0.1, 0.2, 600);
        var l = new Layout(4, 1, 3, 1, 1, 1, Recompute.SELECTIVE, 2048, 12);
        double tokens = 1e11;
        var r = new Planner.Request(GPT, tokens, cluster, 12, null, 4, 1, 3, 1, null, 1, 12, Recompute.SELECTIVE, 1, f,
                failures, 5);
        var p = Planner.evaluate(r, l, MemoryModel.estimate(GPT, l));

        double bytes = 14 * GPT.params();                       // bf16 weights, fp32 master and two moments
        assertThat(Planner.checkpointBytes(GPT)).isEqualTo(bytes);
        double write = bytes / 0.1e9, restore = bytes / 0.2e9;
        double restart = 600 + restore;
        double mtbf = 86_400;
        double interval = Math.sqrt(2 * write * mtbf);           // Young: about 1,360 s here
        double planned = 0.5 / 86_400;                           // planned stops per second
        assertThat(p.mtbfHours()).isCloseTo(24, within(1e-9));
        assertThat(p.checkpointWriteSec()).isCloseTo(write, within(1e-9));
        assertThat(p.checkpointPersistSec()).isZero();
        assertThat(p.restartSec()).isCloseTo(restart, within(1e-9));
        assertThat(p.checkpointIntervalSec()).isCloseTo(interval, within(1e-6));
        // a share write / (interval + write) of the time goes to checkpoints; each failure loses half a period
        // and a restart, each planned stop a restart
        double ettr = (1 - write / (interval + write))
                * (1 - ((interval + write) / 2 + restart) / mtbf - planned * restart);
        // a start breaks with 1 - 0.9^2 = 0.19; the expected further starts per start are 0.19 / 0.81, each
        // costing a restart and half the window, and there are 1.5 starts a day
        double extra = (1 / mtbf + planned) * (0.19 / 0.81) * (restart + 300);
        ettr *= 1 - extra;
        assertThat(p.ettr()).isCloseTo(ettr, within(1e-12));

        double tokensPerSec = 12 * 2048 / p.step().step();
        double ideal = tokens / tokensPerSec;
        double wall = ideal / ettr;
        double gpuHours = 12 * wall / 3600;
        assertThat(p.tokensPerSec()).isCloseTo(tokensPerSec, within(1e-6));
        assertThat(p.idealDays()).isCloseTo(ideal / 86_400, within(1e-9));
        assertThat(p.expectedDays()).isCloseTo(wall / 86_400, within(1e-9));
        assertThat(p.gpuHours()).isCloseTo(gpuHours, within(1e-6));
        assertThat(p.costUsd()).isCloseTo(2 * gpuHours, within(1e-6));
        assertThat(p.energyMWh()).isCloseTo(gpuHours * 1000 / 1e6, within(1e-9));
        // the average stall a step pays for checkpoints: one write per interval of steps
        assertThat(p.checkpointSecPerStep()).isCloseTo(p.step().step() * write / interval, within(1e-12));
        assertThat(p.checkpointSecPerStep()).isLessThan(p.step().step());
    }
}
