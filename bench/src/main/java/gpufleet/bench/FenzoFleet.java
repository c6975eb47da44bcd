package gpufleet.bench;

import com.netflix.fenzo.SchedulingResult;
import com.netflix.fenzo.TaskAssignmentResult;
import com.netflix.fenzo.TaskRequest;
import com.netflix.fenzo.TaskScheduler;
import com.netflix.fenzo.VMAssignmentResult;
import com.netflix.fenzo.VirtualMachineLease;
import com.netflix.fenzo.functions.Action2;
import com.netflix.fenzo.plugins.BinPackingFitnessCalculators;
import gpufleet.core.job.Job;
import gpufleet.core.state.FleetState;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A filled fleet of 8-GPU hosts as Netflix Fenzo sees it, and the framework-side bookkeeping a Mesos
 * framework does around {@link TaskScheduler#scheduleOnce}, so Fenzo can be driven the way it is
 * meant to be driven.
 *
 * <p>The lease lifecycle (Fenzo's default mode, one Mesos offer per change): at the start every
 * host with free GPUs offers them in one lease, and every job already running in the fixture is
 * registered as a running task through the task assigner. When Fenzo assigns tasks to a host it
 * consumes all that host's leases; the framework "launches" the tasks (task assigner) and, as Mesos
 * would, the host re-offers what is left in a new lease, handed to the next {@code scheduleOnce}.
 * When a task ends the framework calls the task un-assigner and the host offers the freed GPUs in a
 * new lease. Leases never expire (the expiry is set beyond any run) and Fenzo may decline none
 * ({@code withMaxOffersToReject(0)}), so Fenzo always sees every free GPU, exactly like gpufleet's
 * {@link FleetState}. Declining none also skips a step that costs Fenzo 1.0.1 dearly when offers
 * outlive a call: with the default limit (4 declines) and nothing old enough to decline, it looks up
 * every idle host by name after each {@code scheduleOnce}, and that lookup
 * ({@code VMCollection.getVmByName}) scans all hosts, O(hosts^2) per call: 10x slower at 10,000 hosts.
 * The same linear lookup remains in the task assigner and un-assigner, which a framework must call
 * once per task launched and ended; that cost is measured, as it is part of running Fenzo.
 *
 * <p>Fitness: {@link BinPackingFitnessCalculators#cpuMemBinPacker}; leases and tasks carry CPUs and
 * memory in proportion to GPUs, so it is a GPU bin packer: it prefers the host the task leaves
 * fullest, the same tightest-host rule gpufleet's placer applies. By default Fenzo then evaluates
 * every host with an offer for every task; {@code stopAtPerfectFit} lets it stop at the first host
 * the task fills exactly (Fenzo's "fitness good enough" hook), which picks an equally good host.
 */
final class FenzoFleet implements AutoCloseable {
    static final String GPUS = "gpus";
    static final double CPUS_PER_GPU = 14;
    static final double MEM_MB_PER_GPU = 262_144;
    /**
     * The combined fitness Fenzo reports for a task that fills its host, with no resource sets and no
     * soft constraints: Fenzo weighs resource sets 15%, soft constraints 50% and the fitness
     * calculator 35%, with an absent resource set scoring 0 and absent soft constraints 1.
     */
    static final double PERFECT_FIT = 0.85;

    private final TaskScheduler scheduler;
    private final Action2<TaskRequest, String> assigner;
    private final Action2<String, String> unassigner;
    private final String[] hostNames;
    private final int[] free;
    private final long total;
    private long held;
    private List<VirtualMachineLease> offers = new ArrayList<>();
    private GpuTask[] liveTasks;
    private int[] liveHosts;
    private int live;
    private long leaseSeq;
    private int taskSeq;
    private long rejectedLeases;
    private long unplaced;

    FenzoFleet(Fixtures.Filled f, boolean stopAtPerfectFit) {
        var b = new TaskScheduler.Builder()
                .withLeaseRejectAction(l -> rejectedLeases++)
                .withLeaseOfferExpirySecs(1_000_000_000L)
                .withMaxOffersToReject(0)
                .withFitnessCalculator(BinPackingFitnessCalculators.cpuMemBinPacker);
        if (stopAtPerfectFit) b.withFitnessGoodEnoughFunction(fit -> fit >= PERFECT_FIT - 1e-9);
        scheduler = b.build();
        assigner = scheduler.getTaskAssigner();
        unassigner = scheduler.getTaskUnAssigner();
        FleetState st = f.state();
        int n = f.topology().hostCount();
        hostNames = new String[n];
        free = new int[n];
        for (int h = 0; h < n; h++) {
            if (f.topology().gpusOnHost(h) != 8) throw new IllegalArgumentException("FenzoFleet models 8-GPU hosts");
            hostNames[h] = "h" + h;
        }
        total = f.topology().totalGpus();
        liveTasks = new GpuTask[(int) total];
        liveHosts = new int[(int) total];
        for (Job j : f.running()) {
            if (j.placement().hostCount() != 1) throw new IllegalArgumentException("FenzoFleet models single-host jobs");
            int h = j.placement().hosts()[0];
            GpuTask t = new GpuTask("fill-" + j.id(), j.gpus());
            assigner.call(t, hostNames[h]);
            addLive(t, h);
        }
        for (int h = 0; h < n; h++) {
            free[h] = st.usable(h);
            if (free[h] > 0) offer(h, free[h]);
        }
        held = total;
        for (int x : free) held -= x;
        if (held != st.allocatedGpus()) throw new IllegalStateException("fixture and Fenzo disagree on the GPUs held");
        schedule(new int[0], 0, 0); // takes in the first offers
    }

    long held() { return held; }
    long total() { return total; }
    long rejectedLeases() { return rejectedLeases; }
    long unplaced() { return unplaced; }
    int freeOn(int h) { return free[h]; }

    /**
     * One {@code scheduleOnce} over {@code count} new tasks whose sizes are read from {@code sizes}
     * (cyclically) from {@code at}; then the framework's part: launch what was assigned and re-offer
     * the rest of each host used. Returns the number of tasks placed.
     */
    int schedule(int[] sizes, int at, int count) {
        List<GpuTask> batch = new ArrayList<>(count);
        for (int i = 0; i < count; i++) batch.add(new GpuTask("t" + taskSeq++, sizes[(at + i) & (sizes.length - 1)]));
        List<VirtualMachineLease> newOffers = offers;
        offers = new ArrayList<>();
        SchedulingResult r = scheduler.scheduleOnce(batch, newOffers);
        if (!r.getExceptions().isEmpty()) throw new IllegalStateException("Fenzo failed", r.getExceptions().getFirst());
        int placed = 0;
        for (VMAssignmentResult a : r.getResultMap().values()) {
            int h = Integer.parseInt(a.getHostname(), 1, a.getHostname().length(), 10);
            for (TaskAssignmentResult t : a.getTasksAssigned()) {
                GpuTask task = (GpuTask) t.getRequest();
                assigner.call(task, a.getHostname());
                free[h] -= task.gpus();
                held += task.gpus();
                addLive(task, h);
                placed++;
            }
            if (free[h] < 0) throw new IllegalStateException("Fenzo over-committed host " + a.getHostname());
            if (free[h] > 0) offer(h, free[h]);
        }
        unplaced += count - placed;
        return placed;
    }

    /** Ends random running tasks until at most {@code target} GPUs are held; each host re-offers what it got back. */
    void releaseDownTo(long target, SplittableRandom rng) {
        while (held > target) {
            int i = rng.nextInt(live);
            GpuTask t = liveTasks[i];
            int h = liveHosts[i];
            unassigner.call(t.getId(), hostNames[h]);
            free[h] += t.gpus();
            held -= t.gpus();
            offer(h, t.gpus());
            live--;
            liveTasks[i] = liveTasks[live];
            liveHosts[i] = liveHosts[live];
            liveTasks[live] = null;
        }
    }

    private void offer(int h, int gpus) {
        offers.add(new GpuLease("l" + leaseSeq++, hostNames[h], gpus, System.currentTimeMillis()));
    }

    private void addLive(GpuTask t, int h) {
        liveTasks[live] = t;
        liveHosts[live++] = h;
    }

    @Override
    public void close() {
        scheduler.shutdown();
    }
}
