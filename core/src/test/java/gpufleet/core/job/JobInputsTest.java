package gpufleet.core.job;

import gpufleet.core.topology.GpuCatalog;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** The value types a job is made of, at the edges of what they accept. */
class JobInputsTest {
    @Test
    void checkpointPolicyBounds() {
        assertThat(new CheckpointPolicy(0, 0, 0).automatic()).isTrue();
        assertThat(new CheckpointPolicy(1, 86_400, 86_400).automatic()).isFalse();
        assertThat(CheckpointPolicy.NONE.automatic()).isFalse();
        for (double bad : new double[] {-1e-9, Double.NaN})
            assertThatThrownBy(() -> new CheckpointPolicy(bad, 0, 0)).hasMessageContaining("checkpoint interval must be >= 0");
        assertThatThrownBy(() -> new CheckpointPolicy(0.5, 0, 0)).hasMessageContaining("at least 1 s, got 0.5");
        for (double bad : new double[] {-1e-9, 86_400.001, Double.NaN}) {
            assertThatThrownBy(() -> new CheckpointPolicy(60, bad, 0)).hasMessageContaining("must be in [0, 1 day]");
            assertThatThrownBy(() -> new CheckpointPolicy(60, 0, bad)).hasMessageContaining("must be in [0, 1 day]");
        }
    }

    @Test
    void restartBackoffBounds() {
        assertThat(new RestartBackoff(0, 0, 0).delay(3)).isZero();
        assertThat(new RestartBackoff(5, 5, 0).delay(4)).isEqualTo(5);
        for (var bad : new double[][] {{-1, 10, 0}, {Double.NaN, 10, 0}, {10, 9.999, 0}, {10, Double.NaN, 0},
                {1, 10, -1}, {1, 10, Double.NaN}, {1, Double.POSITIVE_INFINITY, 0}, {1, 10, Double.POSITIVE_INFINITY}})
            assertThatThrownBy(() -> new RestartBackoff(bad[0], bad[1], bad[2]))
                    .hasMessageContaining("restart backoff needs 0 <= base <= max and healthyRun >= 0");
    }

    @Test
    void parallelismMultipliesOutAndRefusesTheAbsurd() {
        var p = new Parallelism(8, 4, 2, 2);
        assertThat(p.gpus()).isEqualTo(128);
        assertThat(Parallelism.of(128, 8, 4, 2)).isEqualTo(p);
        assertThat(Parallelism.data(6)).isEqualTo(new Parallelism(1, 1, 6, 1));
        assertThat(new Parallelism(10, 10, 100, 1000).gpus()).isEqualTo(10_000_000);
        assertThatThrownBy(() -> new Parallelism(10, 10, 100, 1001)).hasMessageContaining("= 10010000 GPUs is absurd");
        assertThatThrownBy(() -> new Parallelism(8, 0, 1, 1)).hasMessageContaining("must each be >= 1");
        assertThatThrownBy(() -> Parallelism.of(96, 8, 4, 2)).hasMessageContaining("(8 x 4 x 2 = 64)");
    }

    @Test
    void workIsFixedSecondsOrSixFlopsPerParameterAndToken() {
        assertThat(new Work.Fixed(1).seconds(null, 8)).isEqualTo(1);
        assertThat(new Work.Fixed(20 * 365 * 86_400.0).seconds(null, 8)).isEqualTo(20 * 365 * 86_400.0);
        for (double bad : new double[] {0, 20 * 365 * 86_400.0 + 1, Double.NaN})
            assertThatThrownBy(() -> new Work.Fixed(bad)).hasMessageContaining("duration must be in (0 s, 20 years]");
        var h100 = GpuCatalog.get("H100-SXM");
        var w = new Work.Training(1e9, 1e12, 0.5);
        assertThat(w.flops()).isEqualTo(6e21);
        // 6e21 FLOPs on 8 GPUs of 989 TFLOP/s at 50%
        assertThat(w.seconds(h100, 8)).isCloseTo(6e21 / (8 * 989e12 * 0.5), within(1e-6));
        new Work.Training(1e6, 1e6, 1);
        new Work.Training(1e15, 1e17, 1e-9);
        assertThatThrownBy(() -> new Work.Training(999_999, 1e12, 0.5)).hasMessageContaining("params must be in [1e6, 1e15]");
        assertThatThrownBy(() -> new Work.Training(1.1e15, 1e12, 0.5)).hasMessageContaining("params must be");
        assertThatThrownBy(() -> new Work.Training(1e9, 999_999, 0.5)).hasMessageContaining("tokens must be in [1e6, 1e17]");
        assertThatThrownBy(() -> new Work.Training(1e9, 1.1e17, 0.5)).hasMessageContaining("tokens must be");
        assertThatThrownBy(() -> new Work.Training(1e9, 1e12, 0)).hasMessageContaining("mfu must be in (0, 1]");
        assertThatThrownBy(() -> new Work.Training(1e9, 1e12, 1.01)).hasMessageContaining("mfu must be");
    }
}
