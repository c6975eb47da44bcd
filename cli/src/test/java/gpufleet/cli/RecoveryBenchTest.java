package gpufleet.cli;

import org.junit.jupiter.api.Test;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code gpufleet bench recovery} on a small fleet with fast heartbeats: it runs, and times each kind of fault. */
class RecoveryBenchTest {
    @Test
    void timesEachFaultFromItsMomentToTheGangRunningAgain() {
        var r = CliTest.run("bench", "recovery", "--hosts", "6", "--spares", "1", "--faults", "2", "--heartbeat", "0.2",
                "--heartbeat-timeout", "1", "--hang-timeout", "2");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("recovery of a 48-GPU gang on 6 hosts (+1 spares)");
        Matcher kill = Pattern.compile("kill +2 faults: p50 ([0-9.]+) s, p99 ([0-9.]+) s").matcher(r.out());
        Matcher xid = Pattern.compile("xid +2 faults: p50 ([0-9.]+) s, p99 ([0-9.]+) s").matcher(r.out());
        assertThat(kill.find()).as(r.out()).isTrue();
        assertThat(xid.find()).as(r.out()).isTrue();
        Matcher hang = Pattern.compile("hang +2 faults: p50 ([0-9.]+) s, p99 ([0-9.]+) s").matcher(r.out());
        assertThat(hang.find()).as(r.out()).isTrue();
        // a hang is noticed at the hang timeout (less at most the heartbeat since the last progress), and the
        // gang runs again well within the target of that timeout plus 15 s
        assertThat(Double.parseDouble(hang.group(1))).isGreaterThanOrEqualTo(2.0 - 0.2);
        assertThat(Double.parseDouble(hang.group(2))).isLessThan(2.0 + 15);
        // a killed agent is noticed only after the heartbeat timeout; an XID at its next heartbeat
        assertThat(Double.parseDouble(kill.group(1))).isGreaterThanOrEqualTo(1.0);
        assertThat(Double.parseDouble(xid.group(1))).isLessThan(Double.parseDouble(kill.group(1)));
    }

    @Test
    void refusesATimeoutNoLongerThanTheHeartbeatInOneLine() {
        var r = CliTest.run("bench", "recovery", "--heartbeat", "5", "--heartbeat-timeout", "5");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err().strip()).isEqualTo("gpufleet: needs --hosts >= 2, --spares >= 1, --faults >= 1 and"
                + " --heartbeat-timeout > --heartbeat > 0");
        var h = CliTest.run("bench", "recovery", "--heartbeat", "1", "--hang-timeout", "1");
        assertThat(h.code()).isEqualTo(2);
        assertThat(h.err().strip()).isEqualTo("gpufleet: needs --hang-timeout > --heartbeat (and at most 86400 s)");
    }
}
