package gpufleet.core.sched.plugin;

import gpufleet.core.job.Job;
import gpufleet.core.sched.QueueOrder;
import gpufleet.core.sched.framework.CycleState;
import gpufleet.core.sched.framework.Profile;
import gpufleet.core.sched.framework.QueueSort;

import java.util.ArrayList;
import java.util.List;

/**
 * Queue sort by a {@link QueueOrder}. A static order is taken as the caller keeps it (no copy, no
 * sort); a dynamic one is recomputed every cycle.
 */
public record OrderSort(QueueOrder order) implements QueueSort, Profile.Ordered {
    public OrderSort {
        if (order == null) throw new IllegalArgumentException("order sort needs an order");
    }

    @Override public String name() { return "order"; }
    @Override public String args() { return order.name(); }

    @Override
    public Iterable<Job> sortWaiting(Iterable<Job> waiting, CycleState s) {
        if (!order.dynamic()) return waiting;
        List<Job> sorted = new ArrayList<>();
        for (Job j : waiting) sorted.add(j);
        return order.arrange(sorted, s.view());
    }

    @Override
    public List<Job> sortAll(List<Job> jobs, CycleState s) {
        order.arrange(jobs, s.rankView());
        return jobs;
    }
}
