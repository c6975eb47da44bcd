package gpufleet.core.sched.plugin;

import gpufleet.core.job.Job;
import gpufleet.core.sched.framework.CycleState;
import gpufleet.core.sched.framework.QueueSort;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;

/**
 * The starvation bound, as a queue sort after the policy's order: a waiting job that has waited at
 * least {@code boundSec} goes ahead of every job of its priority that has not (stably, oldest wait
 * first among them), so no order can starve it. A rank pass sorts with it too, but runs only where the
 * order alone ranks a running job below a waiting one ({@link RankPreemption}): the bound reorders the
 * queue and does not by itself preempt (docs/policies.md, {@code gpufleet}).
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
        List<Job> sorted = sorted(waiting, s.now());
        return sorted == null ? waiting : sorted;
    }

    @Override
    public List<Job> sortAll(List<Job> jobs, CycleState s) {
        List<Job> sorted = sorted(jobs, s.now());
        return sorted == null ? jobs : sorted;
    }

    /**
     * The jobs that have not starved, in their order, with the starved ones (highest priority first, then
     * oldest wait) each before the first job of its priority or lower; null when none has starved (they
     * are in order as they are). One walk over {@code jobs} (a queue may be a tree), then over arrays.
     */
    private List<Job> sorted(Iterable<Job> jobs, double now) {
        List<Job> all = new ArrayList<>(jobs instanceof java.util.Collection<?> c ? c.size() : 16);
        List<Job> starved = new ArrayList<>();
        BitSet isStarved = new BitSet();
        for (Job j : jobs) {
            if (j.state().isWaiting() && now - j.waitingSince() >= boundSec) {
                isStarved.set(all.size());
                starved.add(j);
            }
            all.add(j);
        }
        if (starved.isEmpty()) return null;
        if (starved.size() > 1) sortOldestWaitFirst(starved);
        List<Job> out = new ArrayList<>(all.size());
        int i = 0;
        for (int k = 0; k < all.size(); k++) {
            if (isStarved.get(k)) continue;
            Job r = all.get(k);
            while (i < starved.size() && starved.get(i).priority() >= r.priority()) out.add(starved.get(i++));
            out.add(r);
        }
        while (i < starved.size()) out.add(starved.get(i++));
        return out;
    }

    /**
     * Highest priority first, then oldest wait, then lowest id, with the keys copied out once: once every
     * job of a long queue has waited past the bound, every cycle sorts all of them, and a chained
     * comparator's calls through each job were most of the cycle's time.
     */
    private static void sortOldestWaitFirst(List<Job> jobs) {
        record Keyed(int priority, double waitingSince, int id, Job job) { }
        Keyed[] a = new Keyed[jobs.size()];
        for (int i = 0; i < a.length; i++) {
            Job j = jobs.get(i);
            a[i] = new Keyed(j.priority(), j.waitingSince(), j.id(), j);
        }
        Arrays.sort(a, (x, y) -> {
            int c = Integer.compare(y.priority, x.priority);
            if (c == 0) c = Double.compare(x.waitingSince, y.waitingSince);
            return c != 0 ? c : Integer.compare(x.id, y.id);
        });
        for (int i = 0; i < a.length; i++) jobs.set(i, a[i].job);
    }
}
