package gpufleet.server.store;

import gpufleet.core.job.JobState;
import gpufleet.testkit.TestDatabases;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The store keeps what the job lifecycle needs after a restart (attained service, lost work, the
 * running run's expected end) and refuses any transition {@link JobState#canMoveTo} does not allow,
 * writing nothing. On both databases.
 */
@ParameterizedClass(name = "{0}")
@EnumSource(TestDatabases.Kind.class)
class TransitionsTest {
    @Parameter
    TestDatabases.Kind kind;
    @TempDir
    Path dir;
    TestDatabases.TestDb db;

    @AfterEach
    void drop() {
        if (db != null) db.close();
    }

    @Test
    void runsAddAttainedServiceAndLostWorkAndARunningJobKeepsItsExpectedEnd() {
        db = TestDatabases.fresh(kind, dir);
        try (Store s = db.open()) {
            long id = s.insertJob(new NewJob("j", "default", 4, 1, 1, 1, 1, List.of("true"), 3, null), 10).id();
            s.apply(List.of(new JobChange(id, JobState.RUNNING, List.of(new HostGpus("h1", List.of(0, 1, 2, 3))), "",
                    "STARTED", "h1", JobChange.Accounting.NONE, 3_610.0)), 10);
            assertThat(s.job(id).orElseThrow().estimatedEnd()).isEqualTo(3_610.0);
            s.apply(List.of(new JobChange(id, JobState.RESTARTING, List.of(), "restarting after: xid", "RESTART", "",
                    new JobChange.Accounting(1, 100, 30, null, true))), 110);
            JobRecord r = s.job(id).orElseThrow();
            assertThat(r.attainedGpuSeconds()).isEqualTo(400);
            assertThat(r.lostWorkSeconds()).isEqualTo(30);
            assertThat(r.estimatedEnd()).as("no run, no expected end").isNull();
            assertThat(r.restarts()).isEqualTo(1);
        }
        try (Store again = db.open()) {
            JobRecord r = again.liveJobs().getFirst();
            assertThat(r.attainedGpuSeconds()).as("read back by a new store").isEqualTo(400);
        }
    }

    @Test
    void anIllegalTransitionIsRefusedAndNothingIsWritten() {
        db = TestDatabases.fresh(kind, dir);
        try (Store s = db.open()) {
            long id = s.insertJob(new NewJob("j", "default", 4, 1, 1, 1, 1, List.of("true"), 3, null), 10).id();
            int events = s.events(id).size();
            assertThatThrownBy(() -> s.apply(List.of(new JobChange(id, JobState.COMPLETED, List.of(), "done", "COMPLETED",
                    "")), 20))
                    .isInstanceOf(IllegalTransitionException.class)
                    .hasMessage("job " + id + ": cannot go from PENDING to COMPLETED");
            s.apply(List.of(new JobChange(id, JobState.CANCELLED, List.of(), "cancelled", "CANCELLED", "")), 30);
            // a batch with one bad change writes none of it
            long other = s.insertJob(new NewJob("k", "default", 4, 1, 1, 1, 1, List.of("true"), 3, null), 40).id();
            assertThatThrownBy(() -> s.apply(List.of(
                    new JobChange(other, JobState.RUNNING, List.of(new HostGpus("h1", List.of(0))), "", "STARTED", ""),
                    new JobChange(id, JobState.RUNNING, List.of(new HostGpus("h1", List.of(1))), "", "STARTED", "")), 50))
                    .isInstanceOf(IllegalTransitionException.class).hasMessageContaining("from CANCELLED to RUNNING");
            assertThat(s.job(other).orElseThrow().state()).isEqualTo(JobState.PENDING);
            assertThat(s.job(id).orElseThrow().state()).isEqualTo(JobState.CANCELLED);
            assertThat(s.events(id)).hasSize(events + 1);
            assertThatThrownBy(() -> s.apply(List.of(new JobChange(999, JobState.CANCELLED, List.of(), "", "CANCELLED", "")), 60))
                    .isInstanceOf(StoreException.class).hasMessage("no job 999");
        }
    }
}
