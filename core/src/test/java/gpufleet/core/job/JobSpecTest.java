package gpufleet.core.job;

import gpufleet.core.testkit.Jobs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class JobSpecTest {

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({"low, 0", "NORMAL, 1", "' high ', 2", "critical, 3", "'', 1", "7, 7", "1000, 1000"})
    void priorityParsesNamesAndNumbers(String in, int expected) {
        assertThat(Priority.parse(in)).isEqualTo(expected);
    }

    @ParameterizedTest
    @ValueSource(strings = {"urgent", "-1", "1001"})
    void priorityRefusesAnythingElse(String in) {
        assertThatThrownBy(() -> Priority.parse(in)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void priorityNamesRoundTrip() {
        for (int p = Priority.LOW; p <= Priority.CRITICAL; p++) assertThat(Priority.parse(Priority.name(p))).isEqualTo(p);
        assertThat(Priority.name(42)).isEqualTo("42");
        assertThat(Priority.parse(null)).isEqualTo(Priority.NORMAL);
    }

    @Test
    void parallelismDerivesDataParallelismAndRefusesWhatDoesNotDivide() {
        assertThat(Parallelism.of(64, 8, 2, 1)).isEqualTo(new Parallelism(8, 2, 4, 1));
        assertThat(Parallelism.of(64, 8, 2, 1).gpus()).isEqualTo(64);
        assertThatThrownBy(() -> Parallelism.of(12, 8, 1, 1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("multiple of tp x pp x cp");
        assertThatThrownBy(() -> new Parallelism(0, 1, 1, 1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void specDefaultsAndUnit() {
        JobSpec s = new JobSpec(" ", null, Parallelism.of(16, 4, 1, 1), new Work.Fixed(10), null, 0, 1, 0, null, 0);
        assertThat(s.name()).isEqualTo("job");
        assertThat(s.team()).isEqualTo("default");
        assertThat(s.checkpoint()).isEqualTo(CheckpointPolicy.NONE);
        assertThat(s.gpus()).isEqualTo(16);
        assertThat(s.unit()).isEqualTo(4);
        assertThat(s.withSubmitTime(5).submitTime()).isEqualTo(5);
    }

    @Test
    void specRefusesOutOfRangeFields() {
        var b = Jobs.job(1);
        assertThatThrownBy(() -> b.priority(1001).spec()).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Jobs.job(1).submit(-1).spec()).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Jobs.job(1).maxRestarts(-1).spec()).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Jobs.job(1).duration(0).spec()).isInstanceOf(IllegalArgumentException.class);
    }
}
