package gpufleet.core.sched;

/**
 * A scheduling policy: the plugins one cycle runs.
 *
 * @param name       the name users select it by
 * @param order      the order waiting jobs are considered in
 * @param backfill   EASY backfill: when the first job in order is blocked it gets a reserved start
 *                   time, and later jobs may start only if they cannot delay it. When false, the
 *                   first blocked job blocks everything behind it (strict order)
 * @param preemption whether a blocked job may stop running jobs of strictly lower priority
 * @param summary    one line saying what it does, for listings and reports
 */
public record Policy(String name, QueueOrder order, boolean backfill, boolean preemption, String summary) {

    /** gpufleet's production default: priority then arrival, topology-aware gangs, EASY backfill, preemption. */
    public static final Policy GPUFLEET = new Policy("gpufleet", QueueOrder.PRIORITY_FIFO, true, true,
            "priority then arrival; topology-aware all-or-nothing gangs; EASY backfill behind the first "
                    + "blocked job; preempts strictly lower priority when a gang cannot otherwise start");

    public static final Policy FIFO = new Policy("fifo", QueueOrder.FIFO, false, false,
            "strict arrival order, no preemption; the first job that does not fit blocks all behind it");

    public static final Policy PRIORITY = new Policy("priority", QueueOrder.PRIORITY_FIFO, false, true,
            "priority then arrival with preemption; no backfill (the first blocked job blocks the rest)");
}
