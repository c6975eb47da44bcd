package gpufleet.core.failure;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class SparePoolTest {
    @Test
    void thePoolIsThePoissonQuantileOfHostsInRepair() {
        assertThat(SparePool.size(0, 0.99)).isZero();
        // P(Poisson(1) <= 3) = 0.981, <= 4: 0.996
        assertThat(SparePool.size(1, 0.99)).isEqualTo(4);
        // P(Poisson(10) <= 17) = 0.986, <= 18: 0.993
        assertThat(SparePool.size(10, 0.99)).isEqualTo(18);
        assertThat(SparePool.size(10, 0.5)).isEqualTo(10);
    }

    @Test
    void hostsInRepairAtLlama3RatesOnItsOwnClusterCountGpuAndHostFailuresByTheirRepairTimes() {
        // 2,048 hosts of 8: GPU causes 268 in 54 days x 72 h; host causes 35 x 4 h, 7 x 24 h, 46 x 24 h, 47 x 2 h
        double expected = (268 * 3.0 + 35 * 4 / 24.0 + 7 + 46 + 47 * 2 / 24.0) / 54;
        assertThat(SparePool.meanInRepair(FailureModel.LLAMA3, null, 2048, 8)).isCloseTo(expected, within(1e-6));
    }

    @Test
    void aCoverageMetExactlyByNoHostInRepairNeedsNoSpare() {
        // P(Poisson(1) <= 0) = e^-1: a coverage of exactly that is met with 0 spares
        assertThat(SparePool.size(1, Math.exp(-1))).isZero();
        // and the next float above it needs the first spare
        assertThat(SparePool.size(1, Math.nextUp(Math.exp(-1)))).isEqualTo(1);
    }

    @Test
    void aLargeFleetGetsThePoissonQuantileNotTheLoopBound() {
        // e^-mean underflows to 0 past a mean of about 745; the quantiles are scipy.stats.poisson.ppf(0.99, mean):
        // 740 -> 804, 750 -> 814, 1,000 -> 1,074, 8,000 -> 8,209 (about mean + 2.33 sqrt(mean))
        assertThat(SparePool.size(740, 0.99)).isEqualTo(804);
        assertThat(SparePool.size(750, 0.99)).isEqualTo(814);
        assertThat(SparePool.size(1000, 0.99)).isEqualTo(1074);
        assertThat(SparePool.size(8000, 0.99)).isEqualTo(8209);
    }

    @Test
    void aMeanThatIsNoNumberIsRefused() {
        for (double bad : new double[] {-1e-9, Double.NaN})
            assertThatThrownBy(() -> SparePool.size(bad, 0.99)).hasMessage("mean must be >= 0, got " + bad);
    }

    /**
     * A coverage no probability reaches (over 1) is not met at any count: the search stops at its
     * bound, a million spares, rather than running for ever; the caller clips the pool to its cluster.
     */
    @Test
    void aCoverageThatIsNeverMetStopsAtTheSearchBound() {
        assertThat(SparePool.size(5, 1.5)).isEqualTo(SparePool.MAX_SPARES);
        assertThat(SparePool.MAX_SPARES).isEqualTo(1_000_000);
    }
}
