package gpufleet.sim.trace;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** The records refuse values a replay could not use. */
class TraceTest {
    private static TraceJob job(int id, double submit, int line) {
        return new TraceJob(id, "j" + id, submit, 10, 1, "g", line);
    }

    @Test
    void jobsRefuseImpossibleValues() {
        assertThatThrownBy(() -> new TraceJob(0, "j", -1, 10, 1, "g", 2)).hasMessageContaining("submit time");
        assertThatThrownBy(() -> new TraceJob(0, "j", 0, 0, 1, "g", 2)).hasMessageContaining("duration");
        assertThatThrownBy(() -> new TraceJob(0, "j", 0, Double.NaN, 1, "g", 2)).hasMessageContaining("duration");
        assertThatThrownBy(() -> new TraceJob(0, "j", 0, 10, 0, "g", 2)).hasMessageContaining("gpus");
        assertThatThrownBy(() -> new TraceJob(0, " ", 0, 10, 1, "g", 2)).hasMessageContaining("name");
        assertThatThrownBy(() -> new TraceJob(0, "j", 0, 10, 1, "", 2)).hasMessageContaining("group");
        assertThatThrownBy(() -> new TraceJob(0, "j", 0, 10, 1, "g", 0)).hasMessageContaining("source line");
    }

    @Test
    void traceChecksOrderIdsAndTheRowAccount() {
        assertThatThrownBy(() -> trace(List.of(job(0, 5, 2), job(1, 0, 3)), 2))
                .hasMessage("t: jobs must be sorted by (submitTime, sourceLine), not at job 1");
        assertThatThrownBy(() -> trace(List.of(job(0, 0, 3), job(1, 0, 2)), 2))
                .hasMessage("t: jobs must be sorted by (submitTime, sourceLine), not at job 1");
        assertThatThrownBy(() -> trace(List.of(job(1, 0, 2)), 1))
                .hasMessage("t: job ids must be 0..n-1 in order, job 0 has id 1");
        assertThatThrownBy(() -> trace(List.of(job(0, 0, 2)), 3))
                .hasMessage("t: 3 rows != 1 jobs + 0 bad + 0 duplicates + 0 skipped");
    }

    private static Trace trace(List<TraceJob> jobs, int rows) {
        return new Trace("gpufleet", "t", "first job", jobs, rows, 0, 0, 0, Map.of(), Map.of(), List.of());
    }
}
