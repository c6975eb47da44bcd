package gpufleet.core.sched.plugin;

import gpufleet.core.job.Job;
import gpufleet.core.sched.framework.CycleState;
import gpufleet.core.sched.framework.QueueSort;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The starvation bound, as a queue sort after the policy's order: a waiting job that has waited at
 * least {@code boundSec} goes ahead of every job of its priority that has not (stably, oldest wait
 * first among them), in the placement pass and in rank passes alike, so no order can starve it.
 * One pass, no sort of the rest, so that a queue kept in a static order stays cheap.
 */
public record StarvationFirst(double boundSec) implements QueueSort {
    public StarvationFirst {
        if (!(boundSec > 0)) throw new IllegalArgumentException("starvation bound must be > 0 s, got " + boundSec);
    }

    @Override public String name() { return "starvation"; }
    @Override public String args() { return "bound=" + boundSec + "s"; }

    @Override
    public Iterable<Job> sortWaiting(Iterable<Job> waiting, CycleState s) {
        List<Job> starved = starved(waiting, s.now());
        return starved.isEmpty() ? waiting : merge(waiting, starved, s.now());
    }

    @Override
    public List<Job> sortAll(List<Job> jobs, CycleState s) {
        List<Job> starved = starved(jobs, s.now());
        return starved.isEmpty() ? jobs : merge(jobs, starved, s.now());
    }

    private boolean isStarved(Job j, double now) {
        return j.state().isWaiting() && now - j.waitingSince() >= boundSec;
    }

    /** The starved jobs, highest priority first, then oldest wait. */
    private List<Job> starved(Iterable<Job> jobs, double now) {
        List<Job> starved = new ArrayList<>();
        for (Job j : jobs) if (isStarved(j, now)) starved.add(j);
        if (starved.size() > 1) sortOldestWaitFirst(starved);
        return starved;
    }

    /** The jobs that have not starved, in their order, with each starved job before the first of its priority or lower. */
    private List<Job> merge(Iterable<Job> jobs, List<Job> starved, double now) {
        List<Job> out = new ArrayList<>(jobs instanceof java.util.Collection<?> c ? c.size() : 16);
        int i = 0;
        for (Job r : jobs) {
            if (isStarved(r, now)) continue;
            while (i < starved.size() && starved.get(i).priority() >= r.priority()) out.add(starved.get(i++));
            out.add(r);
        }
        while (i < starved.size()) out.add(starved.get(i++));
        return out;
    }

    /**
     * Highest priority first, then oldest wait, then lowest id, with the keys copied out once: once every job of a long queue
     * has waited past the bound, every cycle sorts all of them, and the chained comparator's calls
     * through each job were most of the cycle's time.
     */
    private static void sortOldestWaitFirst(List<Job> jobs) {
        record Keyed(int priority, double waitingSince, int id, Job job) { }
        Keyed[] a = new Keyed[jobs.size()];
        for (int i = 0; i < a.length; i++) {
            Job j = jobs.get(i);
            a[i] = new Keyed(j.priority(), j.waitingSince(), j.id(), j);
        }
        Arrays.sort(a, (x, y) -> x.priority != y.priority ? Integer.compare(y.priority, x.priority)
                : x.waitingSince != y.waitingSince ? Double.compare(x.waitingSince, y.waitingSince)
                : Integer.compare(x.id, y.id));
        for (int i = 0; i < a.length; i++) jobs.set(i, a[i].job);
    }
}
