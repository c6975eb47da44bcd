package gpufleet.testkit;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

class PropertyTest {

    @Test
    void runsEveryTryWithItsOwnSeedTheSameWayEachTime() {
        var first = new ArrayList<Long>();
        var second = new ArrayList<Long>();
        Property.check("draws", 20, g -> first.add(g.longBetween(0, Long.MAX_VALUE)));
        Property.check("draws", 20, g -> second.add(g.longBetween(0, Long.MAX_VALUE)));
        assertThat(first).hasSize(20).isEqualTo(second).doesNotHaveDuplicates();
    }

    @Test
    void aFailureNamesThePropertyTheTryAndTheSeedAndKeepsTheCause() {
        var tries = new ArrayList<Long>();
        var error = catchThrowableOfType(AssertionError.class, () -> Property.check("sometimes fails", 100, g -> {
            tries.add(g.seed());
            assertThat(tries.size()).isLessThan(8);
        }));
        assertThat(error.getMessage())
                .contains("Property 'sometimes fails' failed on try 7 of 100")
                .contains("try seed 0x" + Long.toHexString(tries.get(7)))
                .contains("-Dgpufleet.seed=0x" + Long.toHexString(Property.baseSeed()))
                .contains("-Dgpufleet.try=7")
                .contains("-Dtest=PropertyTest#aFailureNamesThePropertyTheTryAndTheSeedAndKeepsTheCause");
        assertThat(tries.get(7)).isEqualTo(Property.trySeed(Property.baseSeed(), 7));
        assertThat(error.getCause()).isInstanceOf(AssertionError.class).hasMessageContaining("less than");
    }

    @Test
    void aFailingListIsShrunkToTheElementsThatMatter() {
        var error = catchThrowableOfType(AssertionError.class, () -> Property.forAll("no 7 after a 3", 200,
                g -> g.listOf(5, 50, () -> g.intBetween(0, 9)),
                Property::smallerLists,
                xs -> {
                    boolean three = false;
                    for (int x : xs) {
                        assertThat(three && x == 7).as("7 after 3 in %s", xs).isFalse();
                        three |= x == 3;
                    }
                }));
        assertThat(error.getMessage()).contains("to: [3, 7]\n");
        assertThat(error.getSuppressed()).singleElement().satisfies(s -> assertThat(s).hasMessageContaining("[3, 7]"));
    }

    @Test
    void smallerListsDropHalvesThenQuartersDownToSingleElements() {
        assertThat(Property.smallerLists(List.of(1, 2, 3, 4)).toList()).containsExactly(
                List.of(3, 4), List.of(1, 2),
                List.of(2, 3, 4), List.of(1, 3, 4), List.of(1, 2, 4), List.of(1, 2, 3));
        assertThat(Property.smallerLists(List.of())).isEmpty();
    }

    @Test
    void generatorsStayInTheirBoundsAndReachThem() {
        var ints = new java.util.TreeSet<Integer>();
        var picks = new java.util.HashMap<String, Integer>();
        Property.check("bounds", 2000, g -> {
            int i = g.intBetween(-2, 3);
            ints.add(i);
            assertThat(g.longBetween(Long.MAX_VALUE - 1, Long.MAX_VALUE)).isGreaterThanOrEqualTo(Long.MAX_VALUE - 1);
            assertThat(g.listOf(2, 4, g::bool)).hasSizeBetween(2, 4);
            picks.merge(g.frequency(Gen.weight(3, () -> "a"), Gen.weight(1, () -> "b"), Gen.weight(0, () -> "c")), 1,
                    Integer::sum);
        });
        assertThat(ints).containsExactly(-2, -1, 0, 1, 2, 3);
        assertThat(picks).containsOnlyKeys("a", "b");
        assertThat(picks.get("a")).isBetween(1350, 1650);
        assertThatThrownBy(() -> new Gen(1).intBetween(2, 1)).isInstanceOf(IllegalArgumentException.class);
    }
}
