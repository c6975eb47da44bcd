package gpufleet.bench;

import gpufleet.core.job.JobSpec;
import gpufleet.core.job.Job;
import gpufleet.core.sched.GangPlacer;
import gpufleet.core.state.FleetState;
import gpufleet.core.state.Placement;
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
 * Placements per second of single-host jobs (1, 2, 4 or 8 GPUs, {@link Fixtures#SINGLE_HOST}) on a
 * uniform fleet of 8-GPU hosts ({@link Fixtures#uniform}) that starts {@link Fixtures#FILL} full of
 * such jobs. One operation is one placement: the tightest host ({@link GangPlacer#place}) and the
 * allocation ({@link FleetState#allocate}). When {@value #HIGH} of the GPUs are held, random jobs end
 * until {@value #LOW} are: that release work is inside the measured operations, amortised, as the
 * Fenzo run ({@link FenzoBench}) has to do the same. Sizes come from the same seeded sequence as
 * FenzoBench's, so both see the same jobs on the same hosts at the same fill.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx4g"})
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
public class SingleHostThroughputBench {
    static final double HIGH = 0.85, LOW = 0.75;

    @Param({"75000", "10000"})
    public int hosts;

    private FleetState state;
    private GangPlacer placer;
    private final JobSpec[] specs = new JobSpec[9];
    private int[] sizes;
    private int cursor;
    private long high, low;
    private int nextId = Fixtures.BENCH_IDS;
    private int[] liveIds;
    private Placement[] livePlacements;
    private int live;
    private SplittableRandom rng;
    private long misses;

    @Setup(Level.Trial)
    public void fill() {
        Fixtures.Filled f = Fixtures.singleHost(hosts);
        state = f.state();
        placer = new GangPlacer(f.topology());
        for (int g : new int[] {1, 2, 4, 8}) specs[g] = Fixtures.gang(g, g);
        sizes = Fixtures.singleHostSizes(1 << 20, Fixtures.SEED + 2);
        int total = f.topology().totalGpus();
        high = (long) (HIGH * total);
        low = (long) (LOW * total);
        liveIds = new int[total];
        livePlacements = new Placement[total];
        for (Job j : f.running()) {
            liveIds[live] = j.id();
            livePlacements[live++] = j.placement();
        }
        rng = new SplittableRandom(Fixtures.SEED + 3);
    }

    @TearDown(Level.Trial)
    public void report() {
        if (misses > 0) throw new IllegalStateException(misses + " single-host jobs found no host");
    }

    @Benchmark
    public Placement placeAndAllocate() {
        if (state.allocatedGpus() >= high) releaseDownTo(low);
        Placement p = placer.place(specs[sizes[cursor++ & (sizes.length - 1)]], state);
        if (p == null) {
            misses++;
            return null;
        }
        int id = nextId++;
        state.allocate(id, p);
        liveIds[live] = id;
        livePlacements[live++] = p;
        return p;
    }

    private void releaseDownTo(long target) {
        while (state.allocatedGpus() > target) {
            int i = rng.nextInt(live);
            state.release(liveIds[i], livePlacements[i]);
            live--;
            liveIds[i] = liveIds[live];
            livePlacements[i] = livePlacements[live];
            livePlacements[live] = null;
        }
    }
}
