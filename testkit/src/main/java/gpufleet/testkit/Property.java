package gpufleet.testkit;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * A small seeded property runner for plain JUnit tests.
 *
 * <p>Try {@code i} of a run draws from a {@link Gen} seeded by {@link #trySeed(long, int)} from the
 * base seed and {@code i}, so a run is the same every time. The base seed is fixed; the system
 * property {@code gpufleet.seed} replaces it (a decimal or {@code 0x} hex number, or {@code random}
 * for a fresh one) and {@code gpufleet.try} runs a single try, to reproduce or to explore:
 *
 * <pre>
 *   ./mvnw -pl core test -Dtest=FleetStatePropertyTest -Dgpufleet.seed=random
 *   ./mvnw -pl core test -Dtest=FleetStatePropertyTest -Dgpufleet.seed=0x1234 -Dgpufleet.try=17
 * </pre>
 *
 * <p>A failing try is rethrown as an {@link AssertionError} that names the property, the try and the
 * seeds, with the original failure as its cause. Given a shrinker, {@link #forAll} first looks for a
 * smaller case that still fails (greedily, within a budget of runs) and reports it as well.
 */
public final class Property {
    /** The base seed of every run unless {@code gpufleet.seed} says otherwise. */
    public static final long DEFAULT_SEED = 0x6770_7566_6c65_6574L;
    public static final String SEED_PROPERTY = "gpufleet.seed";
    public static final String TRY_PROPERTY = "gpufleet.try";
    /**
     * {@code -Dgpufleet.shrink=false} reports a failing case as drawn, without looking for a smaller
     * one: mutation testing only needs to know that a property fails, and shrinking every mutant's
     * failure would cost up to {@link #SHRINK_BUDGET} runs each.
     */
    public static final String SHRINK_PROPERTY = "gpufleet.shrink";
    /**
     * {@code -Dgpufleet.maxTries=N} runs at most N tries of each property: mutation testing runs every
     * property once per mutant, and a broken mutant almost always fails in the first few tries.
     */
    public static final String MAX_TRIES_PROPERTY = "gpufleet.maxTries";

    /** What {@code -Dgpufleet.seed=random} means: drawn once, so every property of a test run shares it. */
    private static final long RANDOM_SEED = new SplittableRandom().nextLong();

    /** Property runs spent looking for a smaller failing case. */
    private static final int SHRINK_BUDGET = 2_000;
    private static final int MAX_CASE_CHARS = 4_000;

    private Property() {}

    /** Runs {@code body} {@code tries} times, each with a fresh generator. */
    public static void check(String name, int tries, Consumer<Gen> body) {
        run(name, tries, g -> g, null, body, false);
    }

    /** Runs {@code property} on {@code tries} generated cases; a failing case is shown in the message. */
    public static <T> void forAll(String name, int tries, Function<Gen, T> generate, Consumer<T> property) {
        run(name, tries, generate, null, property, true);
    }

    /**
     * As {@link #forAll(String, int, Function, Consumer)}; on a failure, {@code shrink} proposes smaller
     * cases, most aggressive first, and the first one that still fails replaces the case, until none does.
     */
    public static <T> void forAll(String name, int tries, Function<Gen, T> generate, Function<T, Stream<T>> shrink,
                                  Consumer<T> property) {
        run(name, tries, generate, shrink, property, true);
    }

    /**
     * Smaller versions of {@code list}: without its first or second half, then without each quarter,
     * and so on down to without each single element. Order is kept, so a sequence of steps stays a
     * sequence of steps.
     */
    public static <E> Stream<List<E>> smallerLists(List<E> list) {
        int n = list.size();
        var out = new ArrayList<List<E>>();
        for (int chunk = Math.max(1, n / 2); ; chunk /= 2) {
            for (int from = 0; from < n; from += chunk) {
                var smaller = new ArrayList<E>(list.subList(0, from));
                smaller.addAll(list.subList(Math.min(n, from + chunk), n));
                out.add(smaller);
            }
            if (chunk == 1) break;
        }
        return out.stream();
    }

    /** The seed of try {@code index} under {@code baseSeed} (SplitMix64 of the pair). */
    public static long trySeed(long baseSeed, int index) {
        long z = baseSeed + (index + 1L) * 0x9e37_79b9_7f4a_7c15L;
        z = (z ^ (z >>> 30)) * 0xbf58_476d_1ce4_e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d0_49bb_1331_11ebL;
        return z ^ (z >>> 31);
    }

    /** The base seed: {@code gpufleet.seed} if set, else {@link #DEFAULT_SEED}. */
    public static long baseSeed() {
        String s = System.getProperty(SEED_PROPERTY, "").strip();
        if (s.isEmpty()) return DEFAULT_SEED;
        if (s.equalsIgnoreCase("random")) return RANDOM_SEED;
        try {
            if (s.startsWith("0x") || s.startsWith("0X")) return Long.parseUnsignedLong(s.substring(2), 16);
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("-D" + SEED_PROPERTY + "=" + s + ": not a number, 0x hex or 'random'", e);
        }
    }

    private static <T> void run(String name, int tries, Function<Gen, T> generate, Function<T, Stream<T>> shrink,
                                Consumer<T> property, boolean showCase) {
        if (tries < 1) throw new IllegalArgumentException("tries must be positive: " + tries);
        long base = baseSeed();
        int first = 0, end = Math.min(tries, Integer.getInteger(MAX_TRIES_PROPERTY, Integer.MAX_VALUE));
        String only = System.getProperty(TRY_PROPERTY, "").strip();
        if (!only.isEmpty()) {
            first = Integer.parseInt(only);
            end = first + 1;
        }
        for (int i = first; i < end; i++) {
            long seed = trySeed(base, i);
            T input = null;
            try {
                input = generate.apply(new Gen(seed));
                property.accept(input);
            } catch (Throwable failure) {
                if (failure instanceof VirtualMachineError e) throw e;
                throw failed(name, i, tries, base, seed, input, failure, shrink, property, showCase);
            }
        }
    }

    private static <T> AssertionError failed(String name, int index, int tries, long base, long seed, T input,
                                             Throwable failure, Function<T, Stream<T>> shrink, Consumer<T> property,
                                             boolean showCase) {
        var msg = new StringBuilder();
        msg.append("Property '").append(name).append("' failed on try ").append(index).append(" of ").append(tries)
                .append(" (base seed ").append(hex(base)).append(", try seed ").append(hex(seed)).append(")\n");
        msg.append("  reproduce: ./mvnw -pl core test").append(testSelector())
                .append(" -D").append(SEED_PROPERTY).append('=').append(hex(base))
                .append(" (add -D").append(TRY_PROPERTY).append('=').append(index).append(" to run this try alone)\n");
        msg.append("  failure: ").append(firstLine(failure)).append('\n');
        Throwable shrunkFailure = null;
        if (input != null && shrink != null && !"false".equals(System.getProperty(SHRINK_PROPERTY))) {
            var s = shrink(input, failure, shrink, property);
            if (s.steps() > 0) {
                shrunkFailure = s.failure();
                msg.append("  shrunk in ").append(s.steps()).append(" steps (").append(s.runs()).append(" runs) to: ")
                        .append(describe(s.input())).append('\n');
                msg.append("  which fails with: ").append(firstLine(s.failure())).append('\n');
                showCase = false; // the seed gives the whole case back; the shrunk one is what to read
            }
        }
        if (input != null && showCase) msg.append("  case: ").append(describe(input)).append('\n');
        var error = new AssertionError(msg.toString().stripTrailing(), failure);
        if (shrunkFailure != null && shrunkFailure != failure) error.addSuppressed(shrunkFailure);
        return error;
    }

    private record Shrunk<T>(T input, Throwable failure, int steps, int runs) {}

    private static <T> Shrunk<T> shrink(T input, Throwable failure, Function<T, Stream<T>> shrink, Consumer<T> property) {
        T current = input;
        Throwable currentFailure = failure;
        int steps = 0, runs = 0;
        boolean progress = true;
        while (progress && runs < SHRINK_BUDGET) {
            progress = false;
            for (var it = shrink.apply(current).iterator(); it.hasNext() && runs < SHRINK_BUDGET; ) {
                T candidate = it.next();
                runs++;
                Throwable f = failureOf(property, candidate);
                if (f != null) {
                    current = candidate;
                    currentFailure = f;
                    steps++;
                    progress = true;
                    break;
                }
            }
        }
        return new Shrunk<>(current, currentFailure, steps, runs);
    }

    private static <T> Throwable failureOf(Consumer<T> property, T input) {
        try {
            property.accept(input);
            return null;
        } catch (VirtualMachineError e) {
            throw e;
        } catch (Throwable t) {
            return t;
        }
    }

    /** " -Dtest=Class#method" for the test method that called the runner, if it can be found. */
    private static String testSelector() {
        return StackWalker.getInstance().walk(frames -> frames
                .filter(f -> !f.getClassName().equals(Property.class.getName()))
                .findFirst()
                .map(f -> {
                    String cls = f.getClassName();
                    cls = cls.substring(cls.lastIndexOf('.') + 1);
                    int nested = cls.indexOf('$');
                    if (nested >= 0) cls = cls.substring(0, nested);
                    String method = f.getMethodName();
                    if (method.startsWith("lambda$")) { // lambda$enclosingMethod$0
                        String[] parts = method.split("\\$");
                        method = parts.length > 1 ? parts[1] : "";
                    }
                    boolean named = !method.isEmpty() && !method.equals("static") && !method.equals("new")
                            && !method.startsWith("<");
                    return " -Dtest=" + cls + (named ? "#" + method : "");
                })
                .orElse(""));
    }

    private static String describe(Object input) {
        String s = String.valueOf(input);
        return s.length() <= MAX_CASE_CHARS ? s : s.substring(0, MAX_CASE_CHARS) + "... (" + s.length() + " chars)";
    }

    /** The failure's type and the first few lines of its message, on one line. */
    private static String firstLine(Throwable t) {
        var lines = String.valueOf(t.getMessage()).strip().lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
        String m = String.join(" ", lines.subList(0, Math.min(6, lines.size())));
        if (lines.size() > 6 || m.length() > 300) m = m.substring(0, Math.min(300, m.length())) + " ...";
        return t.getClass().getSimpleName() + ": " + m;
    }

    private static String hex(long v) {
        return "0x" + Long.toHexString(v);
    }
}
