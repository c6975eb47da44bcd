package gpufleet.core.sched;

import gpufleet.core.job.Job;
import gpufleet.core.topology.Topology;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.TreeSet;

/**
 * The running jobs, indexed the way the scheduler asks about them: per cluster by expected end (for
 * backfill reservations), GPUs held per team (quotas) and per cluster below a priority (whether
 * preemption can help). The caller adds a job when it starts and removes it before it stops; a
 * job's estimated end must not change while it is in the set.
 */
public final class RunningSet {
    private static final Comparator<Job> BY_END =
            Comparator.comparingDouble(Job::estimatedEnd).thenComparingInt(Job::id);

    private final Topology topo;
    private final List<NavigableSet<Job>> byEnd = new ArrayList<>();
    private final Map<String, Integer> teamGpus = new HashMap<>();
    private final int[][] gpusByPriority; // [cluster][priority bucket]
    private int size;

    public RunningSet(Topology topo) {
        this.topo = topo;
        for (int c = 0; c < topo.clusterCount(); c++) byEnd.add(new TreeSet<>(BY_END));
        gpusByPriority = new int[topo.clusterCount()][PRIORITY_BUCKETS];
    }

    private static final int PRIORITY_BUCKETS = 1001;

    public void add(Job j) {
        int c = j.placement().cluster(topo);
        if (!byEnd.get(c).add(j)) throw new IllegalStateException(j + " is already running");
        teamGpus.merge(j.team(), j.gpus(), Integer::sum);
        gpusByPriority[c][j.priority()] += j.gpus();
        size++;
    }

    /** Removes a job; call before its placement is cleared. */
    public void remove(Job j) {
        int c = j.placement().cluster(topo);
        if (!byEnd.get(c).remove(j)) throw new IllegalStateException(j + " is not running");
        teamGpus.merge(j.team(), -j.gpus(), Integer::sum);
        gpusByPriority[c][j.priority()] -= j.gpus();
        size--;
    }

    public int size() { return size; }

    public int teamGpus(String team) {
        return teamGpus.getOrDefault(team, 0);
    }

    public Map<String, Integer> teamUsage() {
        return Map.copyOf(teamGpus);
    }

    /** Running jobs in cluster c, earliest expected end first. */
    public NavigableSet<Job> byEnd(int c) {
        return java.util.Collections.unmodifiableNavigableSet(byEnd.get(c));
    }

    public Collection<Job> all() {
        var out = new ArrayList<Job>(size);
        for (var s : byEnd) out.addAll(s);
        return out;
    }

    /** GPUs held in cluster c by jobs of priority strictly below p. */
    public int gpusBelow(int c, int p) {
        int n = 0;
        int[] row = gpusByPriority[c];
        for (int i = 0; i < p && i < row.length; i++) n += row[i];
        return n;
    }
}
