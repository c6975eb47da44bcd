package gpufleet.testkit;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Supplier;

/**
 * The random source of one property try: uniform draws from a {@link SplittableRandom} seeded by
 * {@link Property}, so that a try is reproduced exactly by its seed. Bounds are inclusive.
 *
 * <pre>
 *   int hosts = g.intBetween(1, 12);
 *   int gpus = g.oneOf(1, 2, 3, 4, 8);                      // repeat a value to weigh it: g.oneOf(1, 1, 2)
 *   Op op = g.frequency(Gen.weight(6, () -> place(g)), Gen.weight(3, () -> release(g)));
 *   List&lt;Op&gt; ops = g.listOf(5, 50, () -> op(g));
 * </pre>
 */
public final class Gen {
    private final SplittableRandom random;
    private final long seed;

    public Gen(long seed) {
        this.seed = seed;
        this.random = new SplittableRandom(seed);
    }

    /** The seed this generator started from. */
    public long seed() {
        return seed;
    }

    /** Uniform in [lo, hi]. */
    public int intBetween(int lo, int hi) {
        return (int) longBetween(lo, hi);
    }

    /** Uniform in [lo, hi]. */
    public long longBetween(long lo, long hi) {
        if (lo > hi) throw new IllegalArgumentException("empty range [" + lo + ", " + hi + "]");
        if (hi == Long.MAX_VALUE) {
            if (lo == Long.MIN_VALUE) return random.nextLong();
            return random.nextLong(lo - 1, hi) + 1;
        }
        return random.nextLong(lo, hi + 1);
    }

    public boolean bool() {
        return random.nextBoolean();
    }

    /** One of the values, each equally likely; a value given twice is twice as likely. */
    @SafeVarargs
    public final <T> T oneOf(T... values) {
        if (values.length == 0) throw new IllegalArgumentException("nothing to choose from");
        return values[random.nextInt(values.length)];
    }

    /** One of the values, each equally likely; a value listed twice is twice as likely. */
    public <T> T oneOf(List<? extends T> values) {
        if (values.isEmpty()) throw new IllegalArgumentException("nothing to choose from");
        return values.get(random.nextInt(values.size()));
    }

    /** A choice of generator and how often to take it, for {@link #frequency}. */
    public record Weighted<T>(int weight, Supplier<? extends T> supplier) {
        public Weighted {
            if (weight < 0) throw new IllegalArgumentException("negative weight " + weight);
        }
    }

    public static <T> Weighted<T> weight(int weight, Supplier<? extends T> supplier) {
        return new Weighted<>(weight, supplier);
    }

    /** Picks one option with probability weight / total weight and returns what its supplier makes. */
    @SafeVarargs
    public final <T> T frequency(Weighted<? extends T>... options) {
        int total = 0;
        for (var o : options) total += o.weight();
        if (total <= 0) throw new IllegalArgumentException("no option has a positive weight");
        int pick = random.nextInt(total);
        for (var o : options) {
            if (pick < o.weight()) return o.supplier().get();
            pick -= o.weight();
        }
        throw new AssertionError("unreachable");
    }

    /** A list of uniform size in [minSize, maxSize], each element made by {@code element}. */
    public <T> List<T> listOf(int minSize, int maxSize, Supplier<? extends T> element) {
        int n = intBetween(minSize, maxSize);
        var list = new ArrayList<T>(n);
        for (int i = 0; i < n; i++) list.add(element.get());
        return list;
    }
}
