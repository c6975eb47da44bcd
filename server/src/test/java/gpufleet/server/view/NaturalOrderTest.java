package gpufleet.server.view;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class NaturalOrderTest {

    @Test
    void numbersInNamesSortByValue() {
        List<String> names = new ArrayList<>(List.of("rack10", "rack2", "rack1", "r01", "r1", "host-b", "host-a", "z2-r10-h1",
                "z2-r9-h1", "z10", "rack"));
        names.sort(NaturalOrder.INSTANCE);
        assertThat(names).containsExactly("host-a", "host-b", "r1", "r01", "rack", "rack1", "rack2", "rack10", "z2-r9-h1",
                "z2-r10-h1", "z10");
    }

    @Test
    void isAConsistentTotalOrder() {
        List<String> names = List.of("a", "a0", "a00", "a1", "a01", "a10", "b", "", "0", "00", "9", "10");
        for (String x : names)
            for (String y : names) {
                int c = NaturalOrder.INSTANCE.compare(x, y);
                assertThat(Integer.signum(c)).as("%s vs %s", x, y).isEqualTo(-Integer.signum(NaturalOrder.INSTANCE.compare(y, x)));
                if (c == 0) assertThat(x).isEqualTo(y);
            }
    }
}
