package gpufleet.bench;

import gpufleet.core.job.Job;
import gpufleet.core.sched.Decision;
import gpufleet.core.sched.Policy;
import gpufleet.core.sched.Quotas;
import gpufleet.core.sched.RunningSet;
import gpufleet.core.sched.Scheduler;
import gpufleet.core.state.FleetState;
import gpufleet.core.topology.Topology;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One full scheduling cycle ({@link Scheduler#cycle}, policy {@link Policy#GPUFLEET}: priority order,
 * gang placement, EASY backfill, preemption) over {@value #PENDING} waiting jobs drawn from
 * {@link Fixtures#MIX} on {@code fleet-600k} {@link Fixtures#FILL} full, with its running jobs indexed
 * in a {@link RunningSet} (so preemption and reservations see them).
 *
 * <p>Every invocation starts from the same state: a {@code Level.Invocation} tear-down, outside the
 * measured time, undoes the cycle's decisions on the fleet state (releases what it started, then
 * gives preempted jobs their GPUs back) and checks the GPU count is back where it was. The cycle
 * changes nothing else the next invocation reads (it sets waiting jobs' reason strings only).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx4g"})
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
public class CycleBench {
    static final int PENDING = 10_000;
    /** The cycle runs an hour after the running jobs started; waiting jobs arrived during that hour. */
    static final double NOW = 3_600;

    private Topology topo;
    private FleetState state;
    private RunningSet running;
    private List<Job> waiting;
    private Scheduler scheduler;
    private Scheduler.Estimator estimator;
    private int allocatedBefore;
    private Scheduler.Result last;

    @Setup(Level.Trial)
    public void fill() {
        Fixtures.Filled f = Fixtures.fragmented("fleet-600k");
        topo = f.topology();
        state = f.state();
        running = f.runningSet();
        scheduler = new Scheduler(topo, Policy.GPUFLEET);
        waiting = Fixtures.pending(PENDING, Fixtures.SEED + 1, Fixtures.BENCH_IDS, NOW);
        waiting.sort(Policy.GPUFLEET.order().comparator());
        estimator = (j, c) -> j.spec().work().seconds(topo.cluster(c).type(), j.gpus());
        allocatedBefore = state.allocatedGpus();
        Scheduler.Result r = cycle();
        System.out.println("\n" + describe(r, PENDING));
        undo(r);
        check();
    }

    @Benchmark
    public Scheduler.Result cycle() {
        last = scheduler.cycle(NOW, waiting, running, state, Quotas.NONE, estimator);
        return last;
    }

    @TearDown(Level.Invocation)
    public void restore() {
        undo(last);
        check();
    }

    private void undo(Scheduler.Result r) {
        for (Decision d : r.decisions())
            if (d instanceof Decision.Start s) state.release(s.job().id(), s.placement());
        for (Decision d : r.decisions())
            if (d instanceof Decision.Preempt p) state.reclaim(p.job().id(), p.job().placement());
    }

    private void check() {
        if (state.allocatedGpus() != allocatedBefore)
            throw new IllegalStateException("undoing the cycle left " + state.allocatedGpus() + " GPUs held, not "
                    + allocatedBefore);
    }

    /** What one cycle decided, in a line. */
    static String describe(Scheduler.Result r, int pending) {
        int started = 0, startedGpus = 0, preempted = 0, rejected = 0;
        for (Decision d : r.decisions()) {
            switch (d) {
                case Decision.Start s -> { started++; startedGpus += s.placement().gpus(); }
                case Decision.Preempt p -> preempted++;
                case Decision.Reject x -> rejected++;
            }
        }
        return "cycle over " + pending + " waiting jobs: " + started + " started (" + startedGpus + " GPUs), "
                + preempted + " preempted, " + rejected + " rejected, " + (pending - started - rejected) + " still waiting";
    }
}
