package gpufleet.core.failure;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** The checkpoint cost's bounds and the split of a run's training phase, on cases worked out by hand. */
class CheckpointByHandTest {

    @Test
    void aCostOfZeroIsAcceptedAndANegativeOrNaNOneIsNot() {
        var zero = new CheckpointCost(0, 0, 0, 0);
        assertThat(zero.bytes()).isZero();
        double[][] bad = {{-1, 0, 0, 0}, {0, -1e-9, 0, 0}, {0, 0, -1e-9, 0}, {0, 0, 0, -1e-9},
                {Double.NaN, 0, 0, 0}, {0, Double.NaN, 0, 0}, {0, 0, Double.NaN, 0}, {0, 0, 0, Double.NaN}};
        for (double[] b : bad)
            assertThatThrownBy(() -> new CheckpointCost(b[0], b[1], b[2], b[3]))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("checkpoint bytes and times must be >= 0");
    }

    @Test
    void oneGpuWritesTheWholeStateAndNoneIsRefused() {
        // 1e9 parameters x 14 bytes = 1.4e10 bytes, all on the one GPU: 1.4e10 / 0.68e9 = 20.588 s of stall
        var c = CheckpointCost.of(1e9, 1, CheckpointCost.Storage.DEFAULT.withAsync(true));
        assertThat(c.stallSec()).isCloseTo(1.4e10 / 0.68e9, within(1e-9)).isCloseTo(20.588, within(1e-3));
        // at 2,000 GB/s the write itself takes 7 ms
        assertThat(c.persistSec()).isCloseTo(0.007, within(1e-12));
        assertThatThrownBy(() -> CheckpointCost.of(1e9, 0, CheckpointCost.Storage.DEFAULT)).hasMessage("gpus must be >= 1, got 0");
        assertThatThrownBy(() -> CheckpointCost.of(-1, 8, CheckpointCost.Storage.DEFAULT)).hasMessage("params must be > 0, got -1.0");
        assertThatThrownBy(() -> CheckpointCost.of(Double.NaN, 8, CheckpointCost.Storage.DEFAULT)).hasMessage("params must be > 0, got NaN");
    }

    @Test
    void storageBandwidthsAreCheckedAtTheirBounds() {
        // 1e7 GB/s is the largest accepted, for each of the three; just above it and 0, negative, NaN are refused
        assertThat(new CheckpointCost.Storage(1e7, 1e7, 1e7, false).writeGBps()).isEqualTo(1e7);
        assertThat(new CheckpointCost.Storage(1e-9, 1e-9, 1e-9, true).async()).isTrue();
        for (double bad : new double[] {1.0000001e7, 0, -1, Double.NaN}) {
            for (int which = 0; which < 3; which++) {
                double[] v = {1, 1, 1};
                v[which] = bad;
                assertThatThrownBy(() -> new CheckpointCost.Storage(v[0], v[1], v[2], false))
                        .hasMessage("storage bandwidths must be in (0, 1e7] GB/s, got " + bad);
            }
        }
    }

    @Test
    void theWholePeriodsAreCountedInWorkPlusStall() {
        // periods of 100 s work + 10 s stall: at 185 one period is done (110) and 75 s of the next are lost
        assertThat(Checkpointing.split(185, 100, 10, 0, false)).containsExactly(100, 10, 75);
        // a planned stop at 185 keeps the 75 s as well
        assertThat(Checkpointing.split(185, 100, 10, 0, true)).containsExactly(175, 10, 0);
    }

    @Test
    void aPlannedStopDuringAWriteCountsTheWriteSoFar() {
        // one period ends at 110; the next 100 s of work end at 210, its write runs 210..220; a planned stop
        // at 215 keeps 200 s of work and has spent 10 + 5 s writing; the parts add up to the 215 s
        assertThat(Checkpointing.split(215, 100, 10, 0, true)).containsExactly(200, 15, 0);
        // without a whole period: 100 s of work and 5 s of the first write
        assertThat(Checkpointing.split(105, 100, 10, 0, true)).containsExactly(100, 5, 0);
    }
}
