package gpufleet.core.sched;

import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Each policy is the list of plugins docs/policies.md gives for it, in that order and with those
 * arguments (12 h starvation bound, a rank pass every 60 s sparing runs under 10 minutes, Tiresias'
 * 3,250 and 7,200 GPU-second limits): what `gpufleet policies` prints.
 */
class PolicyProfilesTest {
    @Test
    void everyPolicyIsTheProfileTheDocsList() {
        Map<String, String> docs = new LinkedHashMap<>();
        docs.put("fifo", "order(fifo) strict-order admission team-quota gpu-count gang-placement");
        docs.put("fifo-backfill", "order(fifo) admission team-quota gpu-count gang-placement easy-backfill");
        docs.put("priority", "order(priority-fifo) strict-order admission team-quota gpu-count gang-placement priority-preemption");
        docs.put("priority-backfill",
                "order(priority-fifo) admission team-quota gpu-count gang-placement easy-backfill priority-preemption");
        docs.put("sjf", "order(shortest-remaining) admission team-quota gpu-count gang-placement");
        docs.put("srtf", "order(shortest-remaining) admission team-quota gpu-count gang-placement "
                + "rank-preemption(interval=0.0s minRun=0.0s)");
        docs.put("las", "order(least-attained) admission team-quota gpu-count gang-placement "
                + "rank-preemption(interval=0.0s minRun=0.0s)");
        docs.put("fair", "order(fair-share) admission team-quota gpu-count gang-placement "
                + "rank-preemption(interval=0.0s minRun=0.0s)");
        docs.put("gpufleet", "order(priority-las) starvation(bound=43200.0s) admission team-quota gpu-count gang-placement "
                + "easy-backfill priority-preemption rank-preemption(interval=60.0s minRun=600.0s)");
        docs.put("tiresias-las", "tiresias-las(limits=[3250.0, 7200.0] wake=simulator) admission team-quota");
        Map<String, String> actual = new LinkedHashMap<>();
        for (Policy p : PolicyRegistry.all()) actual.put(p.name(), p.profile().toString());
        assertThat(actual).isEqualTo(docs);
        for (String name : docs.keySet()) assertThat(PolicyRegistry.get(name).name()).isEqualTo(name);
    }
}
