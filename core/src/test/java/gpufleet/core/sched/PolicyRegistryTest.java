package gpufleet.core.sched;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PolicyRegistryTest {

    @Test
    void everyPolicyIsFoundByItsName() {
        assertThat(PolicyRegistry.all()).containsExactly(Policy.GPUFLEET, Policy.FIFO, Policy.FIFO_BACKFILL,
                Policy.PRIORITY, Policy.PRIORITY_BACKFILL, Policy.SJF, Policy.SRTF, Policy.LAS, Policy.FAIR, Policy.TIRESIAS_LAS);
        for (Policy p : PolicyRegistry.all()) assertThat(PolicyRegistry.get(p.name())).isSameAs(p);
    }

    @Test
    void anUnknownNameListsTheKnownOnes() {
        assertThatThrownBy(() -> PolicyRegistry.get("lottery")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("unknown policy 'lottery'; known: gpufleet, fifo, fifo-backfill, priority, priority-backfill, sjf, srtf, las, fair, tiresias-las");
    }

    @Test
    void policiesSayWhatTheyDo() {
        assertThat(Policy.GPUFLEET.backfill()).isTrue();
        assertThat(Policy.GPUFLEET.preemption()).isTrue();
        assertThat(Policy.FIFO.order()).isSameAs(QueueOrder.FIFO);
        assertThat(Policy.FIFO.preemption()).isFalse();
        assertThat(Policy.PRIORITY.backfill()).isFalse();
    }
}
