package gpufleet.core.plan;

import org.junit.jupiter.api.Test;

import java.util.function.DoubleFunction;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Every factor is checked at its bounds, and each one's own check names it. */
class FactorsTest {
    static Factors with(int field, double v) {
        double[] f = {0.58, 0.80, 0.80, 0.0, 0.0, 0.5, 4, 4, 2000, 2000, 600};
        f[field] = v;
        return new Factors(f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[9], f[10]);
    }

    static void accepts(int field, double... values) {
        for (double v : values) assertThat(with(field, v)).as("field %d = %s", field, v).isNotNull();
    }

    static void refuses(int field, String message, double... values) {
        for (double v : values) assertThatThrownBy(() -> with(field, v)).as("field %d = %s", field, v).hasMessageContaining(message);
    }

    @Test
    void efficienciesAreInZeroToOneExcludingZero() {
        String[] names = {"gemm-efficiency", "nvlink-efficiency", "nic-efficiency"};
        for (int i = 0; i < 3; i++) {
            accepts(i, 1e-9, 1);
            refuses(i, names[i] + " must be in (0, 1]", 0, 1.000001, Double.NaN);
        }
    }

    @Test
    void overlapsAreInZeroToOne() {
        String[] names = {"tp-overlap", "cp-overlap", "dp-overlap"};
        for (int i = 0; i < 3; i++) {
            accepts(3 + i, 0, 1);
            refuses(3 + i, names[i] + " must be in [0, 1]", -1e-9, 1.000001, Double.NaN);
        }
    }

    @Test
    void theRestHaveTheirOwnRanges() {
        accepts(6, 0, 1000);
        refuses(6, "memory reserve must be in [0, 1000] GB", -1e-9, 1000.001, Double.NaN);
        accepts(7, 2, 4);
        refuses(7, "gradient reduce bytes must be 2 (bf16) or 4 (fp32)", 3, 8);
        for (int i = 8; i <= 9; i++) {
            accepts(i, 1e-9, 1e7);
            refuses(i, "storage bandwidths must be in (0, 1e7] GB/s", 0, 1.0000001e7, Double.NaN);
        }
        accepts(10, 0, 86_400);
        refuses(10, "restart overhead must be in [0, 86400] s", -1e-9, 86_400.001, Double.NaN);
    }

    @Test
    void withGemmEfficiencyChangesOnlyThat() {
        DoubleFunction<Factors> f = v -> Factors.DEFAULT.withGemmEfficiency(v);
        var g = f.apply(0.4);
        assertThat(g.gemmEfficiency()).isEqualTo(0.4);
        assertThat(g.withGemmEfficiency(0.58)).isEqualTo(Factors.DEFAULT);
    }
}
