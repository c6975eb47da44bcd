package gpufleet.bench;

import gpufleet.core.job.CheckpointPolicy;
import gpufleet.core.job.Job;
import gpufleet.core.job.JobSpec;
import gpufleet.core.job.Parallelism;
import gpufleet.core.job.Priority;
import gpufleet.core.job.Work;
import gpufleet.core.sched.GangPlacer;
import gpufleet.core.sched.RunningSet;
import gpufleet.core.state.FleetState;
import gpufleet.core.state.HostStatus;
import gpufleet.core.state.Placement;
import gpufleet.core.topology.ClusterSpec;
import gpufleet.core.topology.FleetSpec;
import gpufleet.core.topology.Topology;
import gpufleet.sim.preset.FleetFiles;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Deterministic fleet states for the benchmarks: a fleet that has been running a while, not an empty one.
 *
 * <p>How a fragmented fleet is made ({@link #fragmented}): the last {@code spareHosts} hosts of each
 * cluster become hot spares (as the twin does), about one host in a thousand is marked down and one
 * GPU in two thousand unhealthy; then jobs drawn from {@link #MIX} — 1-, 2-, 4- and 8-GPU jobs and
 * multi-host gangs of 16 to 8,192 GPUs in tensor-parallel groups of 8 — are placed by gpufleet's own
 * {@link GangPlacer} (so the packing is the one the scheduler would have produced) until
 * {@link #HIGH_WATER} of all GPUs are held. Then randomly chosen jobs finish until only the target
 * fraction is held. The finished jobs leave holes of every size scattered over hosts, racks and zones:
 * partly used hosts from small jobs, whole free hosts from gangs. Same seed, same state.
 */
public final class Fixtures {
    public static final long SEED = 20_261_123L;
    /** Fraction of all GPUs held by jobs in the benchmark fixtures. */
    public static final double FILL = 0.80;
    /** Fill to this fraction before releasing; the difference is what the random releases scatter. */
    public static final double HIGH_WATER = 0.95;
    /** Job ids at or above this are free for the benchmarks' own jobs. */
    public static final int BENCH_IDS = 1_000_000_000;

    /** A job mix: GPU counts with their weights (by number of jobs). */
    public record Mix(int[] gpus, double[] weights) {
        int draw(SplittableRandom rng) {
            double x = rng.nextDouble(), acc = 0;
            for (int i = 0; i < gpus.length; i++) {
                acc += weights[i];
                if (x < acc) return gpus[i];
            }
            return gpus[gpus.length - 1];
        }
    }

    /**
     * The fleet mix: most jobs small (84% fit on one host), most GPUs in gangs (57% of the GPUs
     * asked for are in gangs of 256 or more). An assumption with the usual shape, not fitted to a trace.
     */
    public static final Mix MIX = new Mix(
            new int[] {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192},
            new double[] {0.344, 0.16, 0.14, 0.20, 0.06, 0.04, 0.025, 0.015, 0.008, 0.004, 0.0025, 0.001, 0.0003, 0.0002});

    /** Single-host jobs only, for the throughput benchmarks. */
    public static final Mix SINGLE_HOST = new Mix(new int[] {1, 2, 4, 8}, new double[] {0.4, 0.2, 0.2, 0.2});

    /** A filled fleet: its state and the jobs holding GPUs in it (started, with an estimated end). */
    public record Filled(Topology topology, FleetState state, List<Job> running) {
        public double fill() {
            return state.allocatedGpus() / (double) topology.totalGpus();
        }

        /** The running jobs indexed for the scheduler. */
        public RunningSet runningSet() {
            RunningSet rs = new RunningSet(topology);
            for (Job j : running) rs.add(j);
            return rs;
        }
    }

    private Fixtures() {}

    /** A preset fleet, {@link #FILL} full and fragmented, from {@link #SEED}. */
    public static Filled fragmented(String preset) {
        return fragmented(FleetFiles.load(preset), MIX, SEED, FILL, true);
    }

    /**
     * A fleet filled with {@code mix} to {@link #HIGH_WATER}, then emptied by random job ends down to
     * {@code fill}. With {@code failures}, spares are set aside and a few hosts and GPUs are out.
     */
    public static Filled fragmented(FleetSpec spec, Mix mix, long seed, double fill, boolean failures) {
        Topology topo = new Topology(spec);
        FleetState st = new FleetState(topo);
        SplittableRandom rng = new SplittableRandom(seed);
        int n = topo.hostCount();
        if (failures) {
            for (int c = 0; c < topo.clusterCount(); c++)
                for (int h = topo.endHostOfCluster(c) - topo.cluster(c).spareHosts(); h < topo.endHostOfCluster(c); h++)
                    st.setStatus(h, HostStatus.SPARE);
            for (int i = 0, down = Math.max(1, n / 1000); i < down; i++) {
                int h = rng.nextInt(n);
                if (st.status(h) == HostStatus.UP) st.setStatus(h, HostStatus.DOWN);
            }
            for (int i = 0, bad = Math.max(1, topo.totalGpus() / 2000); i < bad; i++) {
                int h = rng.nextInt(n);
                st.setGpuHealthy(h, rng.nextInt(topo.gpusOnHost(h)), false);
            }
        }
        GangPlacer placer = new GangPlacer(topo);
        List<Job> running = new ArrayList<>();
        long high = (long) (HIGH_WATER * topo.totalGpus());
        int misses = 0;
        // near the top most gangs no longer fit; stop after a run of misses
        while (st.allocatedGpus() < high && misses < 500) {
            int id = running.size();
            JobSpec s = spec(rng, "fill-" + id, mix.draw(rng), 0, 7_200, 14 * 86_400.0, 0, RUNNING_HIGH);
            Placement p = placer.place(s, st);
            if (p == null) {
                misses++;
                continue;
            }
            misses = 0;
            Job j = new Job(id, s);
            j.start(0, p);
            j.setEstimatedEnd(s.work().seconds(topo.cluster(p.cluster(topo)).type(), s.gpus()));
            st.allocate(id, p);
            running.add(j);
        }
        long target = (long) (fill * topo.totalGpus());
        while (st.allocatedGpus() > target) {
            int i = rng.nextInt(running.size());
            Job j = running.get(i);
            st.release(j.id(), j.placement());
            running.set(i, running.getLast());
            running.removeLast();
        }
        running.sort((a, b) -> Integer.compare(a.id(), b.id()));
        return new Filled(topo, st, running);
    }

    /**
     * Priorities as a queue looks in steady state under a preempting policy. Running: normal, a fifth
     * high, none low (a low job that got in would have been preempted by the queue's normal jobs).
     * Waiting: mostly jobs that cannot preempt anything (low, or normal with no low job running) and
     * a few new high-priority arrivals, which may.
     */
    static final double RUNNING_HIGH = 0.20, PENDING_LOW = 0.40, PENDING_HIGH = 0.01;

    /** {@code count} waiting jobs drawn from {@link #MIX}, submitted in [0, {@code now}), ids from {@code firstId}. */
    public static List<Job> pending(int count, long seed, int firstId, double now) {
        SplittableRandom rng = new SplittableRandom(seed);
        List<Job> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            int id = firstId + i;
            out.add(new Job(id, spec(rng, "pending-" + id, MIX.draw(rng), rng.nextDouble(now), 600, 7 * 86_400.0,
                    PENDING_LOW, PENDING_HIGH)));
        }
        return out;
    }

    /**
     * A job of {@code gpus} GPUs: TP 8 when it spans hosts, TP = its size on one host; duration
     * log-uniform in [minSec, maxSec]; priority low, normal or high with the given shares; one of 8 teams.
     */
    static JobSpec spec(SplittableRandom rng, String name, int gpus, double submit, double minSec, double maxSec,
                        double lowShare, double highShare) {
        double p = rng.nextDouble();
        int priority = p < lowShare ? Priority.LOW : p < 1 - highShare ? Priority.NORMAL : Priority.HIGH;
        String team = "team-" + rng.nextInt(8);
        double duration = Math.exp(Math.log(minSec) + rng.nextDouble() * (Math.log(maxSec) - Math.log(minSec)));
        return new JobSpec(name, team, Parallelism.of(gpus, Math.min(gpus, 8), 1, 1), new Work.Fixed(duration),
                CheckpointPolicy.NONE, 60, priority, submit, null, 3);
    }

    /** A gang of {@code gpus} GPUs in tensor-parallel groups of {@code tp}, normal priority. */
    public static JobSpec gang(int gpus, int tp) {
        return new JobSpec("gang-" + gpus, "bench", Parallelism.of(gpus, tp, 1, 1), new Work.Fixed(3_600),
                CheckpointPolicy.NONE, 60, Priority.NORMAL, 0, null, 3);
    }

    /**
     * One cluster of {@code hosts} 8 x H100 hosts, 4 hosts (32 GPUs) to a rack, 96 racks to a zone:
     * the uniform fleet the single-host throughput benchmarks and the Fenzo comparison share.
     */
    public static FleetSpec uniform(int hosts) {
        return new FleetSpec("uniform-" + hosts, hosts + " hosts of 8 x H100", List.of(new ClusterSpec(
                "c0", "dc0", "H100-SXM", hosts, 8, 4, 96, 400, 1, 0, 4.916, 1390)));
    }

    /** {@link #uniform} filled with {@link #SINGLE_HOST} jobs to {@link #FILL}; no spares, nothing broken. */
    public static Filled singleHost(int hosts) {
        return fragmented(uniform(hosts), SINGLE_HOST, SEED, FILL, false);
    }

    /** A seeded sequence of single-host job sizes, length a power of two, shared by gpufleet and Fenzo runs. */
    public static int[] singleHostSizes(int length, long seed) {
        if (Integer.bitCount(length) != 1) throw new IllegalArgumentException("length must be a power of two");
        SplittableRandom rng = new SplittableRandom(seed);
        int[] out = new int[length];
        for (int i = 0; i < length; i++) out[i] = SINGLE_HOST.draw(rng);
        return out;
    }
}
