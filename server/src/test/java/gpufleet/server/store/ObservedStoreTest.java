package gpufleet.server.store;

import gpufleet.core.job.JobState;
import gpufleet.core.state.HostStatus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ObservedStoreTest {
    @TempDir
    Path dir;

    @Test
    void tellsOfCommittedChangesOnlyAndPassesFailuresThroughUnwrapped() {
        List<String> heard = new ArrayList<>();
        ObservedStore.Listener l = new ObservedStore.Listener() {
            @Override public void submitted(JobRecord job) { heard.add("submitted " + job.id()); }
            @Override public void jobsChanged(List<JobChange> c, double now, Store s) {
                heard.add("changed " + c.getFirst().jobId() + " " + s.job(c.getFirst().jobId()).orElseThrow().state());
            }
            @Override public void hostChanged(long id) { heard.add("host " + id); }
            @Override public void teamChanged(TeamRecord t) { heard.add("team " + t.name()); }
        };
        try (Store s = ObservedStore.wrap(SqlStore.sqlite(dir), l)) {
            long id = s.insertJob(new NewJob("j", "default", 8, 1, 1, 1, 1, List.of("true"), 3, null), 10).id();
            s.apply(List.of(new JobChange(id, JobState.CANCELLED, List.of(), "cancelled", "CANCELLED", "")), 11);
            var host = s.registerHost(new gpufleet.protocol.Registration("h", 8, "r", "z", null, List.of()), "127.0.0.1", 12);
            s.setHostStatus(host.id(), HostStatus.DRAINING, "test", List.of());
            s.putTeam("vision", 8);
            s.teams(); // a read tells nothing
            assertThatThrownBy(() -> s.apply(List.of(new JobChange(999, JobState.CANCELLED, List.of(), "", "CANCELLED", "")), 13))
                    .isInstanceOf(StoreException.class);
            assertThat(heard).containsExactly("submitted " + id, "changed " + id + " CANCELLED", "host " + host.id(),
                    "host " + host.id(), "team vision");
            assertThat(s).isEqualTo(s).hasSameHashCodeAs(s);
            assertThat(s.toString()).startsWith("observed ");
        }
    }
}
