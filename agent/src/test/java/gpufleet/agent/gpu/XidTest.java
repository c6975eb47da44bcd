package gpufleet.agent.gpu;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class XidTest {

    @ParameterizedTest
    @ValueSource(longs = {48, 63, 64, 74, 79, 92, 94, 95, 119, 120})
    void hardwareXidsAreFatal(long xid) {
        assertThat(Xid.isFatal(xid)).isTrue();
        assertThat(Xid.describe(xid)).startsWith("XID " + xid + ": ").doesNotContain("not in this agent's table");
    }

    @ParameterizedTest
    @ValueSource(longs = {13, 31, 43, 45})
    void applicationXidsAreNotFatal(long xid) {
        assertThat(Xid.isFatal(xid)).isFalse();
        assertThat(Xid.describe(xid)).doesNotContain("not in this agent's table");
    }

    @Test
    void unknownXidsAreReportedButNotFatal() {
        assertThat(Xid.isFatal(999)).isFalse();
        assertThat(Xid.describe(999)).isEqualTo("XID 999: not in this agent's table");
    }

    @Test
    void describesInTheFormTheProtocolShows() {
        assertThat(Xid.describe(79)).isEqualTo("XID 79: GPU has fallen off the bus");
    }
}
