package gpufleet.core.sched;

import gpufleet.core.job.Job;

import java.util.Comparator;

/** The order in which waiting jobs are considered. Implementations must be total (break ties by id). */
public interface QueueOrder {
    String name();

    Comparator<Job> comparator();

    /** Higher priority first, then earlier submission, then lower id. */
    QueueOrder PRIORITY_FIFO = new QueueOrder() {
        private final Comparator<Job> cmp = Comparator.comparingInt(Job::priority).reversed()
                .thenComparingDouble(Job::submitTime).thenComparingInt(Job::id);

        @Override public String name() { return "priority-fifo"; }
        @Override public Comparator<Job> comparator() { return cmp; }
    };

    /** Earlier submission first, then lower id; priority ignored. */
    QueueOrder FIFO = new QueueOrder() {
        private final Comparator<Job> cmp = Comparator.comparingDouble(Job::submitTime).thenComparingInt(Job::id);

        @Override public String name() { return "fifo"; }
        @Override public Comparator<Job> comparator() { return cmp; }
    };
}
