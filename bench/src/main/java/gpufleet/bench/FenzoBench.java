package gpufleet.bench;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * The peer: Netflix Fenzo placing the same single-host jobs as {@link SingleHostThroughputBench}, on
 * the same hosts ({@link Fixtures#uniform}), from the same fill ({@link Fixtures#singleHost}), with
 * the same job-size sequence and the same 85% / 75% release rule. Reports placements per second.
 *
 * <p>One operation is one {@code TaskScheduler.scheduleOnce} over a batch of {@code batch} tasks plus
 * the framework's bookkeeping around it (launch, re-offer, releases): see {@link FenzoFleet} for the
 * lease lifecycle. The score is batches per second; the {@code placements} line (a JMH auxiliary
 * counter) is tasks placed per second, the figure to compare. {@code search=exhaustive} is Fenzo's default (every host with an offer is
 * evaluated for every task, best fit wins); {@code search=stop-at-perfect-fit} stops at the first
 * host the task fills exactly. Fenzo evaluates hosts on a thread pool as wide as the machine; gpufleet
 * uses one thread.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx6g"})
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
public class FenzoBench {
    @Param({"75000", "10000"})
    public int hosts;

    @Param({"exhaustive", "stop-at-perfect-fit"})
    public String search;

    @Param({"32", "256"})
    public int batch;

    private FenzoFleet fleet;
    private int[] sizes;
    private int cursor;
    private long high, low;
    private SplittableRandom rng;

    @Setup(Level.Trial)
    public void fill() {
        fleet = new FenzoFleet(Fixtures.singleHost(hosts), search.equals("stop-at-perfect-fit"));
        sizes = Fixtures.singleHostSizes(1 << 20, Fixtures.SEED + 2);
        high = (long) (SingleHostThroughputBench.HIGH * fleet.total());
        low = (long) (SingleHostThroughputBench.LOW * fleet.total());
        rng = new SplittableRandom(Fixtures.SEED + 3);
    }

    @TearDown(Level.Trial)
    public void close() {
        fleet.close();
        if (fleet.unplaced() > 0) throw new IllegalStateException(fleet.unplaced() + " tasks found no host");
        if (fleet.rejectedLeases() > 0) throw new IllegalStateException(fleet.rejectedLeases() + " leases were rejected");
    }

    /** Tasks placed, reported by JMH as a rate next to the batch rate. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Placed {
        public long placements;

        @Setup(Level.Iteration)
        public void reset() {
            placements = 0;
        }
    }

    @Benchmark
    public int scheduleBatch(Placed placed) {
        if (fleet.held() >= high) fleet.releaseDownTo(low, rng);
        int n = fleet.schedule(sizes, cursor, batch);
        cursor += batch;
        placed.placements += n;
        return n;
    }
}
