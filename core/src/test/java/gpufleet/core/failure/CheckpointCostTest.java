package gpufleet.core.failure;

import gpufleet.core.job.CheckpointPolicy;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class CheckpointCostTest {

    @Test
    void synchronousLlama405bOnTectonicByHand() {
        // 405e9 parameters x 14 bytes = 5.67e12 bytes; at 2,000 GB/s: 2.835 s to write, 2.835 s to read
        var c = CheckpointCost.of(405e9, 16_384, CheckpointCost.Storage.DEFAULT);
        assertThat(c.bytes()).isEqualTo(5.67e12);
        assertThat(c.stallSec()).isCloseTo(2.835, within(1e-9));
        assertThat(c.persistSec()).isZero();
        assertThat(c.restoreSec()).isCloseTo(2.835, within(1e-9));
    }

    @Test
    void asynchronousStallsOnlyForEachGpusShare() {
        // 5.67e12 bytes / 16,384 GPUs = 346.07 MB a GPU; at 0.68 GB/s: 0.5089 s; the write goes on for 2.835 s
        var c = CheckpointCost.of(405e9, 16_384, CheckpointCost.Storage.DEFAULT.withAsync(true));
        assertThat(c.stallSec()).isCloseTo(5.67e12 / 16_384 / 0.68e9, within(1e-12)).isCloseTo(0.5089, within(1e-4));
        assertThat(c.persistSec()).isCloseTo(2.835, within(1e-9));
        assertThat(c.restoreSec()).isCloseTo(2.835, within(1e-9));
    }

    @Test
    void theStagingRateReproducesItsCalibrationRun() {
        // Llama 3 70B on 1,856 H200 GPUs blocked training for 0.78 s (PyTorch blog, 2025)
        var c = CheckpointCost.of(70e9, 1_856, CheckpointCost.Storage.DEFAULT.withAsync(true));
        assertThat(c.stallSec()).isCloseTo(0.78, within(0.01));
    }

    @Test
    void slowerStorageStretchesTheWrite() {
        var s = new CheckpointCost.Storage(100, 50, 1, false);
        var c = CheckpointCost.of(8e9, 64, s);
        // 1.12e11 bytes at 100 GB/s and 50 GB/s
        assertThat(c.stallSec()).isCloseTo(1.12, within(1e-12));
        assertThat(c.restoreSec()).isCloseTo(2.24, within(1e-12));
    }

    @Test
    void badInputs() {
        assertThatThrownBy(() -> new CheckpointCost.Storage(0, 1, 1, false)).hasMessageContaining("(0, 1e7] GB/s");
        assertThatThrownBy(() -> CheckpointCost.of(0, 8, CheckpointCost.Storage.DEFAULT)).hasMessageContaining("params");
        assertThatThrownBy(() -> CheckpointCost.of(1e9, 0, CheckpointCost.Storage.DEFAULT)).hasMessageContaining("gpus");
    }

    @Test
    void splitWithoutPersistIsTheTwinsOldSplit() {
        assertThat(Checkpointing.split(255, 100, 10, 0, false)).containsExactly(200, 20, 35);
        assertThat(Checkpointing.split(255, 100, 10, 0, true)).containsExactly(235, 20, 0);
    }

    @Test
    void aFailureWhileTheLastCheckpointPersistsFallsBackOneMore() {
        // periods of 100 s work + 10 s stall; snapshots end at 110 and 220; each safe 30 s later
        // failure at 235: the 220 one is not safe until 250, so only the first period is kept
        assertThat(Checkpointing.split(235, 100, 10, 30, false)).containsExactly(100, 20, 115);
        // failure at 255: both are safe
        assertThat(Checkpointing.split(255, 100, 10, 30, false)[0]).isEqualTo(200);
        // failure at 120, before the first snapshot is safe at 140: nothing is kept
        assertThat(Checkpointing.split(120, 100, 10, 30, false)).containsExactly(0, 10, 110);
        // a planned stop saves first whatever the persist
        assertThat(Checkpointing.split(235, 100, 10, 30, true)).containsExactly(215, 20, 0);
    }

    @Test
    void expectedEttrByHand() {
        // interval 900, stall 3, persist 30, restart 600, MTBF 3 h, one planned stop a day
        double ettr = Checkpointing.expectedEttr(900, 3, 30, 600, 10_800, 1.0 / 86_400);
        double ckpt = 3.0 / 903, perFailure = 903 / 2.0 + 30 + 600;
        assertThat(ettr).isCloseTo((1 - ckpt) * (1 - perFailure / 10_800 - 600.0 / 86_400), within(1e-12));
        assertThat(Checkpointing.expectedEttr(900, 3, 600, 10_800)).isCloseTo((1 - ckpt) * (1 - (451.5 + 600) / 10_800),
                within(1e-12));
    }

    @Test
    void anAutomaticIntervalNeverOutrunsThePersist() {
        var cp = new CheckpointPolicy(0, 0.5, 3, 2_000);
        assertThat(Checkpointing.interval(cp, 11_000)).isEqualTo(2_000);
        assertThat(Checkpointing.interval(new CheckpointPolicy(0, 33, 33), 11_000)).isEqualTo(Checkpointing.youngDaly(33, 11_000));
        assertThat(Checkpointing.interval(new CheckpointPolicy(1_800, 33, 33, 5_000), 11_000)).isEqualTo(1_800);
    }
}
