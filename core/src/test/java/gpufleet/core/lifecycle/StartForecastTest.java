package gpufleet.core.lifecycle;

import gpufleet.core.job.CheckpointPolicy;
import gpufleet.core.job.JobSpec;
import gpufleet.core.job.Parallelism;
import gpufleet.core.job.Work;
import gpufleet.core.lifecycle.StartForecast.Expected;
import gpufleet.core.lifecycle.StartForecast.Outcome;
import gpufleet.core.sched.PolicyRegistry;
import gpufleet.core.sched.Quotas;
import gpufleet.core.state.FleetState;
import gpufleet.core.state.HostStatus;
import gpufleet.core.testkit.Fleets;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Hand-worked forecasts on two hosts of 8 GPUs: host 0 and host 1 run jobs whose limits end at known
 * times, and the waiting jobs' starts follow from the policy by arithmetic.
 */
class StartForecastTest {
    private final TimeLimitRuns limits = new TimeLimitRuns();

    private Lifecycle lifecycle(String policy) {
        return new Lifecycle(new FleetState(Fleets.labTopology(1, 1, 1, 2, 8)), PolicyRegistry.get(policy),
                TimeLimitRuns.options(RestartRule.IMMEDIATE), limits);
    }

    private static JobSpec spec(int gpus) {
        return new JobSpec("j", "t", Parallelism.of(gpus, 1, 1, 1), new Work.Fixed(1e6), CheckpointPolicy.NONE, 0, 1, 0,
                null, 0);
    }

    /** Submits a job with a limit (null: none) at time 0. */
    private void submit(Lifecycle lc, int id, int gpus, Long limit) {
        limits.set(id, limit);
        lc.submit(id, spec(gpus), 0);
    }

    private StartForecast.Result forecast(Lifecycle lc, double now) {
        return StartForecast.run(StartForecast.snapshot(lc, limits::limit, new Quotas(Map.of()), Map.of(), now));
    }

    @Test
    void aFifoQueueBehindTwoRunningJobsStartsAtTheirEnds() {
        Lifecycle lc = lifecycle("fifo");
        submit(lc, 1, 8, 100L);  // host 0 until 100
        submit(lc, 2, 8, 300L);  // host 1 until 300
        lc.cycle(0);
        submit(lc, 3, 16, 50L);  // both hosts: from 300 until 350
        submit(lc, 4, 8, 1000L); // strict order: not before job 3, then at 350
        submit(lc, 5, 8, 20L);   // the other host at 350
        var r = forecast(lc, 10);

        assertThat(r.jobs()).extracting(Expected::job).containsExactly(3, 4, 5);
        assertThat(r.of(3).outcome()).isEqualTo(Outcome.STARTS);
        assertThat(r.of(3).start()).isEqualTo(300);
        assertThat(r.of(4).start()).isEqualTo(350);
        assertThat(r.of(5).start()).isEqualTo(350);
        assertThat(r.of(3).reason()).contains("needs 16 GPUs, 0 free");
        assertThat(r.of(4).reason()).contains("behind a blocked job").contains("behind job 3 (starts now+290s)");
        // the live lifecycle is untouched
        assertThat(lc.waiting()).hasSize(3);
        assertThat(lc.fleet().allocatedGpus()).isEqualTo(16);
    }

    @Test
    void backfillRunsShortJobsNowAndNamesTheReservationALongOneWouldDelay() {
        Lifecycle lc = lifecycle("fifo-backfill");
        submit(lc, 1, 8, 300L); // host 1... whichever: one host busy until 300
        lc.cycle(0);
        submit(lc, 2, 16, 50L);  // needs both hosts: reserved for 300, ends 350
        submit(lc, 3, 8, 500L);  // fits now but would end at 510, past the reservation: waits until 350
        submit(lc, 4, 8, 100L);  // fits now and ends by 300: backfilled at once
        var r = forecast(lc, 10);

        assertThat(r.of(4).start()).isEqualTo(10);
        assertThat(r.of(4).reason()).isEmpty();
        assertThat(r.of(2).start()).isEqualTo(300);
        assertThat(r.of(2).reason()).contains("holds the reservation").contains("needs 16 GPUs, 8 free")
                .contains("reserved for now+290s");
        assertThat(r.of(3).start()).isEqualTo(350);
        assertThat(r.of(3).reason()).contains("would delay the reserved job: needs 8 GPUs, 8 free")
                .contains("job 2 holds the reservation at now+290s");
    }

    @Test
    void aJobBehindARunWithoutATimeLimitHasNoEstimate() {
        Lifecycle lc = lifecycle("fifo-backfill");
        submit(lc, 1, 16, null); // the whole fleet, for as long as it likes
        lc.cycle(0);
        submit(lc, 2, 8, 60L);
        var r = forecast(lc, 10);

        Expected e = r.of(2);
        assertThat(e.outcome()).isEqualTo(Outcome.NO_ESTIMATE);
        assertThat(e.start()).isNaN();
        assertThat(e.reason()).contains("needs 8 GPUs, 0 free").endsWith("no estimate: 1 job runs without a time limit");
    }

    @Test
    void aJobThatCanNeverFitSaysWhy() {
        Lifecycle lc = lifecycle("fifo-backfill");
        lc.setHostStatus(1, HostStatus.DRAINING);
        submit(lc, 1, 16, 60L); // fits the topology, but half of it is drained
        var r = forecast(lc, 0);

        Expected e = r.of(1);
        assertThat(e.outcome()).isEqualTo(Outcome.NEVER);
        assertThat(e.reason()).contains("needs 16 GPUs, 8 free").endsWith("never fits: at most 8 usable GPUs with every job ended");
    }

    @Test
    void aJobStillRunningOnADrainingHostKeepsItsGpusInTheForecast() {
        Lifecycle lc = lifecycle("fifo");
        submit(lc, 1, 8, 100L);
        lc.cycle(0);
        int host = lc.job(1).placement().hosts()[0];
        lc.setHostStatus(host, HostStatus.DRAINING); // drained under the job, which runs on
        submit(lc, 2, 8, 50L);
        var r = forecast(lc, 10);

        // the other host is free now; the drained one never comes back for the forecast
        assertThat(r.of(2).outcome()).isEqualTo(Outcome.STARTS);
        assertThat(r.of(2).start()).isEqualTo(10);
    }

    @Test
    void aJobLargerThanTheFleetIsRejectedInTheForecast() {
        Lifecycle lc = lifecycle("fifo-backfill");
        submit(lc, 1, 32, 60L);
        var r = forecast(lc, 0);
        assertThat(r.of(1).outcome()).isEqualTo(Outcome.NEVER);
        assertThat(r.of(1).reason()).startsWith("never fits: ");
    }

    @Test
    void aJobBeyondTheHorizonSaysSo() {
        Lifecycle lc = lifecycle("fifo");
        submit(lc, 1, 16, 30L * 86_400); // a month
        lc.cycle(0);
        submit(lc, 2, 8, 60L);
        var r = forecast(lc, 0);
        assertThat(r.of(2).outcome()).isEqualTo(Outcome.BEYOND_HORIZON);
        assertThat(r.of(2).reason()).endsWith("not within 168 h");
    }
}
