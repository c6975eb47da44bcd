package gpufleet.core.sched.plugin;

import gpufleet.core.job.Job;
import gpufleet.core.sched.framework.CycleState;
import gpufleet.core.sched.framework.QueueSort;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The starvation bound, as a queue sort after the policy's order: a waiting job that has waited at
 * least {@code boundSec} goes ahead of every job of its priority that has not (stably, oldest wait
 * first among them), in the placement pass and in rank passes alike, so no order can starve it.
 * One pass, no sort of the rest, so that a queue kept in a static order stays cheap.
 */
public record StarvationFirst(double boundSec) implements QueueSort {
    private static final Comparator<Job> OLDEST_WAIT_FIRST = Comparator.comparingInt(Job::priority).reversed()
            .thenComparingDouble(Job::waitingSince).thenComparingInt(Job::id);

    public StarvationFirst {
        if (!(boundSec > 0)) throw new IllegalArgumentException("starvation bound must be > 0 s, got " + boundSec);
    }

    @Override public String name() { return "starvation"; }
    @Override public String args() { return "bound=" + boundSec + "s"; }

    @Override
    public Iterable<Job> sortWaiting(Iterable<Job> waiting, CycleState s) {
        return starvedFirst(waiting, s.now());
    }

    @Override
    public List<Job> sortAll(List<Job> jobs, CycleState s) {
        return starvedFirst(jobs, s.now());
    }

    List<Job> starvedFirst(Iterable<Job> jobs, double now) {
        List<Job> starved = new ArrayList<>(), rest = new ArrayList<>();
        for (Job j : jobs) {
            if (j.state().isWaiting() && now - j.waitingSince() >= boundSec) starved.add(j);
            else rest.add(j);
        }
        if (starved.isEmpty()) return rest;
        starved.sort(OLDEST_WAIT_FIRST);
        // merge: a starved job goes before the first job of its priority or lower
        List<Job> out = new ArrayList<>(starved.size() + rest.size());
        int i = 0;
        for (Job r : rest) {
            while (i < starved.size() && starved.get(i).priority() >= r.priority()) out.add(starved.get(i++));
            out.add(r);
        }
        while (i < starved.size()) out.add(starved.get(i++));
        return out;
    }
}
