package gpufleet.server.control;

import gpufleet.core.lifecycle.RestartRule;
import gpufleet.core.state.HostStatus;
import gpufleet.protocol.GpuHealth;
import gpufleet.protocol.Heartbeat;
import gpufleet.protocol.RankExit;
import gpufleet.protocol.TaskReport;
import gpufleet.server.store.HostGpus;
import gpufleet.server.store.HostRecord;
import gpufleet.server.store.JobRecord;
import gpufleet.server.store.Store;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What agents' heartbeats report, and what the controller does about it. Noted without the
 * controller's lock ({@link #heard}): the GPUs each host reported unhealthy last, the GPUs an admin
 * forced back into service while still reported faulty, and the newest checkpoint of each running job
 * (none of which the store keeps). Acted on with the lock held ({@link #act}): a rank that failed
 * stops its gang, a job whose ranks all exited 0 completes, and a GPU newly reported faulty drains its
 * host and restarts the jobs on it elsewhere.
 */
final class AgentReports {
    private static final System.Logger LOG = System.getLogger(AgentReports.class.getName());

    private final Store store;
    private final HostRegistry registry;
    private final HostFailures failures;
    private final CheckpointIntervals intervals;
    private final ConcurrentHashMap<Integer, Double> checkpoints = new ConcurrentHashMap<>();
    /** The GPUs each host's agent reported unhealthy in its latest heartbeat (absent: none heard since start). */
    private final ConcurrentHashMap<Long, Set<Integer>> reportedBad = new ConcurrentHashMap<>();
    /**
     * GPUs an admin put back into service ({@code resume --force}) while their agent still reported a
     * fault: that standing report is not acted on again until the agent stops making it.
     */
    private final ConcurrentHashMap<Long, Set<Integer>> forcedGood = new ConcurrentHashMap<>();

    AgentReports(Store store, HostRegistry registry, HostFailures failures, CheckpointIntervals intervals) {
        this.intervals = intervals;
        this.store = store;
        this.registry = registry;
        this.failures = failures;
    }

    /**
     * Whether a heartbeat says something only {@link #act} can handle: a rank exited, a GPU newly
     * faulty, or a host declared lost is back. Call after {@link #heard}, with what it returned.
     */
    static boolean needsAction(HostRecord h, Heartbeat hb, Set<Integer> forced) {
        if (h.status() == HostStatus.DOWN) return true;
        for (TaskReport t : hb.tasks()) if (!t.exits().isEmpty()) return true;
        for (GpuHealth g : hb.gpus())
            if (!g.healthy() && !h.unhealthyGpus().contains(g.index()) && !forced.contains(g.index())) return true;
        return false;
    }

    /**
     * Acts on the exits and GPU errors a heartbeat of the host's current agent reports. Caller holds
     * the controller's lock. Returns whether anything changed.
     */
    boolean act(LiveView view, long hostId, Heartbeat hb, double now) {
        HostRecord h = registry.get(hostId);
        if (h == null || h.generation() != hb.generation()) return false;
        boolean changed = false;
        if (h.status() == HostStatus.DOWN) {
            // it was declared lost and is back: its old work was already restarted elsewhere. A
            // quarantined host comes back drained, for its diagnosis.
            HostStatus back = h.quarantined() ? HostStatus.DRAINING : HostStatus.UP;
            store.setHostStatus(h.id(), back, h.quarantined() ? h.quarantine() : "", List.of());
            int hi = view.hostIndex(h.name()); // first: it may rebuild the state
            view.lifecycle().setHostStatus(hi, back);
            registry.refresh(store);
            h = registry.get(hostId);
            changed = true;
        }
        for (TaskReport t : hb.tasks()) changed |= ranksExited(view, h, t, now);
        HostRecord reported = h;
        Set<Integer> forced = forced(hostId);
        List<GpuHealth> fresh = hb.gpus().stream()
                .filter(g -> !g.healthy() && g.index() >= 0 && g.index() < reported.gpus()
                        && !reported.unhealthyGpus().contains(g.index()) && !forced.contains(g.index()))
                .toList();
        if (!fresh.isEmpty()) {
            gpuFailed(view, reported, fresh, now);
            changed = true;
        }
        return changed;
    }

    /**
     * Ranks of a job's current run on host {@code h} exited: one that failed stops the gang (a rank
     * that could not be started at all is not restarted); the last one to exit 0 completes the job.
     */
    private boolean ranksExited(LiveView view, HostRecord h, TaskReport t, double now) {
        int job = (int) t.job();
        JobRecord r = view.runningRecords.get(job);
        if (r == null || r.generation() != t.generation()) return false; // stale: that run is over
        var mine = r.placement().stream().filter(p -> p.host().equals(h.name())).findFirst();
        if (mine.isEmpty()) return false;
        int first = firstRankOn(r, h.name());
        int count = mine.get().gpus().size();
        Optional<RankExit> bad = t.exits().stream()
                .filter(e -> e.rank() >= first && e.rank() < first + count && e.code() != 0).findFirst();
        if (bad.isPresent()) {
            int code = bad.get().code();
            if (code == 126 || code == 127)
                view.interrupt(job, "rank " + bad.get().rank() + " on " + h.name() + " could not be started (exit "
                        + code + (code == 127 ? ": command not found" : ": command not executable")
                        + "; see its log)", "CANNOT_START", now, RestartRule.Fault.CANNOT_START);
            else
                view.interrupt(job, "rank " + bad.get().rank() + " on " + h.name() + " exited with code "
                        + code, "RANK_FAILED", now, RestartRule.Fault.JOB);
            return true;
        }
        BitSet done = view.ranksDone.computeIfAbsent(job, k -> new BitSet(r.gpus()));
        for (RankExit e : t.exits()) if (e.rank() >= first && e.rank() < first + count) done.set(e.rank());
        if (done.cardinality() != r.gpus()) return false;
        view.complete(job, now);
        return true;
    }

    private static int firstRankOn(JobRecord r, String host) {
        int rank = 0;
        for (HostGpus hg : r.placement()) {
            if (hg.host().equals(host)) return rank;
            rank += hg.gpus().size();
        }
        return -1;
    }

    /** GPUs went bad: the host takes no new work, and jobs on those GPUs restart elsewhere. */
    private void gpuFailed(LiveView view, HostRecord h, List<GpuHealth> bad, double now) {
        List<Integer> unhealthy = new ArrayList<>(h.unhealthyGpus());
        StringBuilder why = new StringBuilder();
        for (GpuHealth g : bad) {
            unhealthy.add(g.index());
            if (!why.isEmpty()) why.append("; ");
            why.append("GPU ").append(g.index()).append(": ")
                    .append(g.detail() != null && !g.detail().isBlank() ? g.detail()
                            : g.xid() != null ? "XID " + g.xid() : "unhealthy");
        }
        String reason = why.toString();
        failures.failed(view, h, reason, now);
        HostStatus status = h.status() == HostStatus.DOWN ? HostStatus.DOWN : HostStatus.DRAINING;
        store.setHostStatus(h.id(), status, reason, unhealthy.stream().sorted().distinct().toList());
        int hi = view.hostIndex(h.name());
        view.lifecycle().setHostStatus(hi, status);
        for (int job : view.state().jobsOn(hi)) {
            JobRecord r = view.runningRecords.get(job);
            if (r == null) continue;
            boolean uses = r.placement().stream().anyMatch(p -> p.host().equals(h.name())
                    && p.gpus().stream().anyMatch(unhealthy::contains));
            if (uses) view.interrupt(job, h.name() + " " + reason, "GPU_FAILED", now);
        }
        registry.refresh(store);
        LOG.log(System.Logger.Level.WARNING, "host " + h.name() + " drained: " + reason);
    }

    /**
     * Notes a heartbeat: its GPU health and its checkpoints (none from the future, give or take a
     * minute of clock skew). Returns the GPUs of the host whose fault report is ignored, as forced.
     */
    Set<Integer> heard(long hostId, Heartbeat hb, double now) {
        Set<Integer> bad = new HashSet<>();
        for (GpuHealth g : hb.gpus()) if (!g.healthy()) bad.add(g.index());
        reportedBad.put(hostId, Set.copyOf(bad));
        // a forced GPU's standing report is ignored until the agent stops making it; then it counts again
        forcedGood.computeIfPresent(hostId, (k, v) -> {
            Set<Integer> still = new HashSet<>(v);
            still.retainAll(bad);
            return still.isEmpty() ? null : Set.copyOf(still);
        });
        for (TaskReport t : hb.tasks()) {
            if (t.checkpointTime() != null && t.checkpointTime() <= now + 60)
                checkpoints.merge((int) t.job(), t.checkpointTime(), Math::max);
            if (t.checkpointCost() != null) intervals.costReported(t.job(), t.checkpointCost());
        }
        return forced(hostId);
    }

    /** The GPUs the host's agent reported unhealthy last; null when it has not reported since this controller started. */
    Set<Integer> reportedBad(long hostId) {
        return reportedBad.get(hostId);
    }

    Set<Integer> forced(long hostId) {
        return forcedGood.getOrDefault(hostId, Set.of());
    }

    /** An admin put these GPUs back into service while their agent still reports them faulty. */
    void force(long hostId, Collection<Integer> gpus) {
        if (gpus.isEmpty()) return;
        forcedGood.merge(hostId, Set.copyOf(gpus), (a, b) -> {
            Set<Integer> u = new HashSet<>(a);
            u.addAll(b);
            return Set.copyOf(u);
        });
    }

    /** A new agent process on the host: what the old one said about its GPUs no longer stands. */
    void newAgent(long hostId) {
        reportedBad.remove(hostId);
        forcedGood.remove(hostId);
    }

    /** The newest checkpoint an agent reported for the job's runs, or null. */
    Double checkpoint(int job) {
        return checkpoints.get(job);
    }

    void forgetJob(int job) {
        checkpoints.remove(job);
    }
}
