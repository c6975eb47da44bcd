package gpufleet.server.view;

import gpufleet.core.job.JobState;
import gpufleet.server.store.HostGpus;
import gpufleet.server.store.JobChange;
import gpufleet.server.store.JobRecord;
import gpufleet.server.store.NewJob;
import gpufleet.server.store.SqlStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** GPU-hours in a period, from job records where they suffice and from events where a job straddles the period's start. */
class UsageTest {
    @TempDir
    Path dir;
    SqlStore store;

    @BeforeEach
    void open() {
        store = SqlStore.sqlite(dir);
    }

    @AfterEach
    void close() {
        store.close();
    }

    private long submit(String team, int gpus, double at) {
        return store.insertJob(new NewJob("j", team, gpus, 1, 1, 1, 1, List.of("true"), 3, null), at).id();
    }

    private void start(long id, int gpus, double at) {
        List<Integer> idx = java.util.stream.IntStream.range(0, gpus).boxed().toList();
        store.apply(List.of(new JobChange(id, JobState.RUNNING, List.of(new HostGpus("h1", idx)), "", "STARTED", "h1")), at);
    }

    private void end(long id, JobState state, String kind, double ranFor, double at) {
        store.apply(List.of(new JobChange(id, state, List.of(), kind, kind, kind.equals("RESTART") ? "GPU_FAILED: h1 GPU 0" : "",
                new JobChange.Accounting(kind.equals("RESTART") ? 1 : 0, ranFor, 0, null, kind.equals("RESTART")))), at);
    }

    @Test
    void countsOnlyTheRunTimeInsideThePeriod() {
        store.putTeam("vision", 32);
        long straddles = submit("default", 4, 100);
        start(straddles, 4, 200);
        end(straddles, JobState.RESTARTING, "RESTART", 300, 500);
        start(straddles, 4, 600);
        end(straddles, JobState.COMPLETED, "COMPLETED", 400, 1000);
        long inside = submit("default", 8, 450);
        start(inside, 8, 700);
        long before = submit("vision", 2, 50);
        start(before, 2, 60);
        end(before, JobState.COMPLETED, "COMPLETED", 240, 300);
        submit("vision", 16, 900); // waits

        Usage u = Usage.compute(store, 400, 2000, 2.0);
        // straddles: (500 - 400) + (1000 - 600) s on 4 GPUs; inside: 2000 - 700 s on 8; before: nothing
        double defaultHours = (500 * 4 + 1300 * 8) / 3600.0;
        Usage.Team d = u.teams().get(0), v = u.teams().get(1);
        assertThat(d.team()).isEqualTo("default");
        assertThat(d.gpuHours()).isCloseTo(defaultHours, within(1e-9));
        assertThat(d.costUsd()).isCloseTo(defaultHours * 2, within(1e-9));
        assertThat(d.gpusInUse()).isEqualTo(8);
        assertThat(d.runningJobs()).isEqualTo(1);
        assertThat(d.quotaGpus()).isNull();
        assertThat(v.team()).isEqualTo("vision");
        assertThat(v.gpuHours()).isZero();
        assertThat(v.quotaGpus()).isEqualTo(32);
        assertThat(v.waitingJobs()).isEqualTo(1);
        assertThat(u.gpuHours()).isCloseTo(defaultHours, within(1e-9));

        // over all time the records alone give what the events give
        for (long id : new long[] {straddles, inside, before}) {
            JobRecord j = store.job(id).orElseThrow();
            double fromEvents = Runs.gpuSecondsBetween(j, Runs.of(j, store.events(id), 2000), 0, 2000);
            assertThat(Usage.gpuSecondsEver(List.of(j), 2000).values().iterator().next()).as("job %d", id)
                    .isCloseTo(fromEvents, within(1e-6));
        }
    }

    @Test
    void thePeriodIsTheCalendarMonthInUtc() {
        double t = Instant.parse("2026-11-30T23:59:59Z").getEpochSecond();
        assertThat(Usage.monthStart(t)).isEqualTo(Instant.parse("2026-11-01T00:00:00Z").getEpochSecond());
        assertThat(Usage.monthStart(Instant.parse("2026-12-01T00:00:00Z").getEpochSecond()))
                .isEqualTo(Instant.parse("2026-12-01T00:00:00Z").getEpochSecond());
    }
}
