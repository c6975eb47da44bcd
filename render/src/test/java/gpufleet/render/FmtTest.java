package gpufleet.render;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class FmtTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "0 | 0", "7 | 7", "1234 | 1,234", "1234567 | 1,234,567", "-9876 | -9,876"})
    void count(long n, String expected) {
        assertThat(Fmt.count(n)).isEqualTo(expected);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "0 | 0", "0.534 | 0.53", "12.34 | 12.3", "12 | 12", "456.7 | 457", "7890 | 7,890", "12345 | 12.3k",
            "456789 | 457k", "999999 | 1M", "1234567 | 1.2M", "4560000000 | 4.6B", "-25000 | -25k"})
    void compact(double x, String expected) {
        assertThat(Fmt.compact(x)).isEqualTo(expected);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "0 | 0 s", "0.5 | 0.5 s", "45 | 45 s", "90 | 1.5 min", "750 | 12.5 min", "44280 | 12.3 h",
            "388800 | 4.5 d", "8640000 | 100 d", "-60 | -1 min"})
    void duration(double sec, String expected) {
        assertThat(Fmt.duration(sec)).isEqualTo(expected);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {"950 | $950", "12300 | $12.3k", "1200000 | $1.2M", "-40 | -$40"})
    void usd(double x, String expected) {
        assertThat(Fmt.usd(x)).isEqualTo(expected);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {"0.9123 | 91.2%", "1 | 100%", "0 | 0%", "0.00049 | 0%"})
    void percent(double f, String expected) {
        assertThat(Fmt.percent(f)).isEqualTo(expected);
    }

    @ParameterizedTest
    @CsvSource({"NaN", "Infinity", "-Infinity"})
    void nonFiniteIsADash(double x) {
        assertThat(Fmt.compact(x)).isEqualTo(Fmt.NONE);
        assertThat(Fmt.duration(x)).isEqualTo(Fmt.NONE);
        assertThat(Fmt.percent(x)).isEqualTo(Fmt.NONE);
        assertThat(Fmt.usd(x)).isEqualTo(Fmt.NONE);
        assertThat(Fmt.mwh(x)).isEqualTo(Fmt.NONE);
    }
}
