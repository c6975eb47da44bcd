package gpufleet.server.metrics;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ExpositionTest {

    @Test
    void escapesLabelValuesAndHelpAsTheFormatRequires() {
        String text = new Exposition()
                .family("gpufleet_x", "gauge", "a \\ backslash\nand a newline")
                .sample("gpufleet_x", 1, "job_name", "say \"hi\"\\now\nthen")
                .text();
        assertThat(text).isEqualTo("""
                # HELP gpufleet_x a \\\\ backslash\\nand a newline
                # TYPE gpufleet_x gauge
                gpufleet_x{job_name="say \\"hi\\"\\\\now\\nthen"} 1
                """);
    }

    @Test
    void writesIntegersPlainAndSpecialValuesByName() {
        String text = new Exposition().family("gpufleet_y", "gauge", "y")
                .sample("gpufleet_y", 3.0, "k", "a").sample("gpufleet_y", 0.25, "k", "b")
                .sample("gpufleet_y", Double.NaN, "k", "c").sample("gpufleet_y", Double.POSITIVE_INFINITY, "k", "d")
                .text();
        assertThat(text).contains("{k=\"a\"} 3\n", "{k=\"b\"} 0.25\n", "{k=\"c\"} NaN\n", "{k=\"d\"} +Inf\n");
        assertThat(Exposition.le(0.0005)).isEqualTo("0.0005");
        assertThat(Exposition.le(3600)).isEqualTo("3600");
    }

    @Test
    void histogramBucketsAreCumulativeWithSumAndCount() {
        Histogram h = new Histogram(1, 10, 0.5);
        for (double v : new double[] {0.2, 0.5, 0.7, 5, 50, Double.NaN}) h.observe(v);
        Exposition out = new Exposition();
        h.write(out, "gpufleet_z_seconds", "z");
        assertThat(out.text()).isEqualTo("""
                # HELP gpufleet_z_seconds z
                # TYPE gpufleet_z_seconds histogram
                gpufleet_z_seconds_bucket{le="0.5"} 2
                gpufleet_z_seconds_bucket{le="1"} 3
                gpufleet_z_seconds_bucket{le="10"} 4
                gpufleet_z_seconds_bucket{le="+Inf"} 5
                gpufleet_z_seconds_sum 56.4
                gpufleet_z_seconds_count 5
                """);
    }
}
