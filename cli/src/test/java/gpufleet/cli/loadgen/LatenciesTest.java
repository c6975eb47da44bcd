package gpufleet.cli.loadgen;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LatenciesTest {

    @Test
    void percentilesOfOneToAHundredAreTheNearestRanks() {
        Latencies l = new Latencies();
        List<Long> values = new ArrayList<>();
        for (long v = 1; v <= 100; v++) values.add(v);
        Collections.shuffle(values, new Random(3)); // order of arrival must not matter
        for (long v : values) l.record(v);
        Latencies.Summary s = l.summary();
        assertThat(s.count()).isEqualTo(100);
        assertThat(s.percentile(50)).isEqualTo(50);
        assertThat(s.percentile(90)).isEqualTo(90);
        assertThat(s.percentile(99)).isEqualTo(99);
        assertThat(s.percentile(99.5)).isEqualTo(100);
        assertThat(s.percentile(100)).isEqualTo(100);
        assertThat(s.percentile(0)).isEqualTo(1);
        assertThat(s.max()).isEqualTo(100);
        assertThat(s.mean()).isEqualTo(50.5);
    }

    @Test
    void aSingleSlowCallIsThePercentileOnlyOnceItIsMoreThanOnePercent() {
        Latencies l = new Latencies();
        for (int i = 0; i < 199; i++) l.record(1_000_000);
        l.record(500_000_000);
        // 1 slow call in 200 is 0.5%: up to p99.5 the fast value, only above it the slow one
        assertThat(l.summary().percentile(99)).isEqualTo(1_000_000);
        assertThat(l.summary().percentile(99.5)).isEqualTo(1_000_000);
        assertThat(l.summary().percentile(99.6)).isEqualTo(500_000_000);
        l.record(500_000_000);
        l.record(500_000_000);
        // 3 in 202 is 1.5%: now p99 is slow
        assertThat(l.summary().percentile(99)).isEqualTo(500_000_000);
        assertThat(l.summary().percentile(98)).isEqualTo(1_000_000);
    }

    @Test
    void manySamplesGrowTheStoreAndErrorsAreCountedApart() {
        Latencies l = new Latencies();
        for (int i = 10_000; i >= 1; i--) l.record(i);
        l.error();
        l.error();
        Latencies.Summary s = l.summary();
        assertThat(s.count()).isEqualTo(10_000);
        assertThat(s.errors()).isEqualTo(2);
        assertThat(s.percentile(99)).isEqualTo(9_900);
        assertThat(s.percentile(50)).isEqualTo(5_000);
    }

    @Test
    void mergedSummariesArePercentilesOfAllTheirSamples() {
        Latencies a = new Latencies(), b = new Latencies();
        for (long v = 1; v <= 50; v++) a.record(v * 2);       // 2, 4, ..., 100
        for (long v = 0; v < 50; v++) b.record(v * 2 + 1);    // 1, 3, ..., 99
        b.error();
        Latencies.Summary all = Latencies.Summary.of(a.summary(), b.summary());
        assertThat(all.count()).isEqualTo(100);
        assertThat(all.errors()).isEqualTo(1);
        assertThat(all.percentile(25)).isEqualTo(25);
        assertThat(all.percentile(99)).isEqualTo(99);
    }

    @Test
    void noSamplesGiveZeroAndAPercentileOutOfRangeIsRefused() {
        Latencies.Summary s = new Latencies().summary();
        assertThat(s.percentile(99)).isZero();
        assertThat(s.max()).isZero();
        assertThatThrownBy(() -> s.percentile(101)).isInstanceOf(IllegalArgumentException.class);
    }
}
