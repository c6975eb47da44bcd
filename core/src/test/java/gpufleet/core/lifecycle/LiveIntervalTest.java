package gpufleet.core.lifecycle;

import gpufleet.core.sched.PolicyRegistry;
import gpufleet.core.state.FleetState;
import gpufleet.core.state.Placement;
import gpufleet.core.testkit.Fleets;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The live failure rate behind the checkpoint interval, and the quarantine's count, on a 4-host fleet. */
class LiveIntervalTest {
    private static final double DAY = 86_400;

    private final Lifecycle lc = new Lifecycle(new FleetState(Fleets.labTopology(1, 1, 2, 2, 8)),
            PolicyRegistry.get("fifo"), TimeLimitRuns.options(RestartRule.IMMEDIATE), new TimeLimitRuns());
    private final Placement twoHosts = new Placement(new int[] {0, 1}, new long[] {0xff, 0xff});

    @Test
    void withNoFailuresSeenTheMtbfDriftsFromTheModelsTowardLonger() {
        double prior = 1 / DAY; // one failure a day on these hosts
        assertThat(lc.liveMtbfSec(twoHosts, prior, 0, 0)).isCloseTo(DAY, within(1e-6));
        // 7 days of prior, 30 quiet days: (1/day x 7 d) / 37 d
        assertThat(lc.liveMtbfSec(twoHosts, prior, 0, 60 * DAY)).isCloseTo(37 * DAY / 7, within(1.0));
    }

    @Test
    void failuresOnTheJobsHostsShortenItAndOthersDoNot() {
        double prior = 1 / DAY;
        for (int i = 0; i < 20; i++) lc.hostDown(1, 10 * DAY + i * 3600, "host", RestartRule.Fault.HARDWARE, false);
        lc.hostDown(3, 10 * DAY, "host", RestartRule.Fault.HARDWARE, false);
        lc.hostDown(0, 10 * DAY, "upgrade", RestartRule.Fault.HARDWARE, true); // planned: not a failure
        double now = 14 * DAY;
        // (7 + 20) failures over 7 + 14 days, plus one a day of the job's own
        double rate = 27 / (21 * DAY) + 1 / DAY;
        assertThat(lc.liveMtbfSec(twoHosts, prior, 1 / DAY, now)).isCloseTo(1 / rate, within(1e-6));
        assertThat(lc.failuresSince(1, 0)).isEqualTo(20);
        assertThat(lc.failuresSince(0, 0)).isZero();
    }

    @Test
    void aHostThatFailedOftenEnoughInTheWindowIsDrainedWhenRepairedAndOthersReturn() {
        lc.setQuarantine(new Quarantine(2, 7 * DAY));
        lc.gpuFailed(2, 0, 0, "gpu", RestartRule.Fault.HARDWARE, false);
        lc.gpuFailed(3, 0, 2 * DAY, "gpu", RestartRule.Fault.HARDWARE, false);
        lc.gpuFailed(3, 1, 6 * DAY, "gpu", RestartRule.Fault.HARDWARE, false);
        lc.gpuFailed(2, 1, 8 * DAY, "gpu", RestartRule.Fault.HARDWARE, false); // first one is out of the window
        assertThat(lc.quarantineIfLemon(2, 8 * DAY)).isFalse();
        assertThat(lc.quarantineIfLemon(3, 8 * DAY)).isTrue();
        assertThat(lc.fleet().status(3)).isEqualTo(gpufleet.core.state.HostStatus.DRAINING);
        assertThat(lc.quarantined()).isEqualTo(1);
        assertThat(lc.quarantineIfLemon(3, 9 * DAY)).as("stays drained, counted once").isTrue();
        assertThat(lc.quarantined()).isEqualTo(1);
    }

    /** A failure the driver notes itself (the controller stops the host's jobs on its own) counts as one seen here. */
    @Test
    void aFailureNotedByTheDriverCounts() {
        lc.hostFailed(1, 5 * DAY);
        lc.hostFailed(1, 6 * DAY);
        assertThat(lc.failuresSince(1, 0)).isEqualTo(2);
        assertThat(lc.failuresSince(1, 5.5 * DAY)).isEqualTo(1);
        assertThat(lc.failuresSince(0, 0)).isZero();
    }
}
