package gpufleet.bench;

import gpufleet.core.job.JobSpec;
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

import java.util.concurrent.TimeUnit;

/**
 * Latency of placing one gang (tensor-parallel groups of 8) on a fleet {@link Fixtures#FILL} full and
 * fragmented ({@link Fixtures#fragmented}). Sample mode, so JMH reports percentiles (p0.99).
 *
 * <p>{@code place}: the placement decision alone ({@link GangPlacer#place}, which reads the state and
 * changes nothing). {@code placeAllocateRelease}: the decision, then giving the GPUs to the job and
 * taking them back, so every invocation starts from the same state. The fill runs once per trial.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx4g"})
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
public class PlacementBench {
    private static final int JOB = Fixtures.BENCH_IDS;

    @Param({"fleet-600k", "h100-100k"})
    public String fleet;

    @Param({"8", "1024", "16384"})
    public int gpus;

    private FleetState state;
    private GangPlacer placer;
    private JobSpec gang;
    private int allocatedBefore;

    @Setup(Level.Trial)
    public void fill() {
        Fixtures.Filled f = Fixtures.fragmented(fleet);
        state = f.state();
        placer = new GangPlacer(f.topology());
        gang = Fixtures.gang(gpus, 8);
        Placement p = placer.place(gang, state);
        if (p == null || p.gpus() != gpus)
            throw new IllegalStateException("a gang of " + gpus + " GPUs does not fit the " + fleet + " fixture");
        allocatedBefore = state.allocatedGpus();
    }

    @TearDown(Level.Trial)
    public void check() {
        if (state.allocatedGpus() != allocatedBefore)
            throw new IllegalStateException("the benchmark changed the fleet state");
    }

    @Benchmark
    public Placement place() {
        return placer.place(gang, state);
    }

    @Benchmark
    public Placement placeAllocateRelease() {
        Placement p = placer.place(gang, state);
        state.allocate(JOB, p);
        state.release(JOB, p);
        return p;
    }
}
