package gpufleet.server.control;

import gpufleet.core.job.Job;
import gpufleet.core.lifecycle.Lifecycle;
import gpufleet.core.lifecycle.LifecycleEvent;
import gpufleet.core.sched.Quotas;
import gpufleet.server.store.JobChange;
import gpufleet.server.store.JobRecord;
import gpufleet.server.store.Store;
import gpufleet.server.store.TeamRecord;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One scheduling cycle: the lifecycle decides, every decision (and every waiting job's changed reason)
 * is written in one transaction, and only then applied. If the commit fails the view is rebuilt from
 * the store, undoing what the core had already applied to its fleet state. Runs with the controller's
 * lock held.
 */
final class SchedulingCycle {
    /** What a cycle did: {@code decisions} committed, and whether it had jobs to consider at all. */
    record Outcome(int decisions, boolean considered, double wakeAt) {
        static final Outcome IDLE = new Outcome(0, false, Double.POSITIVE_INFINITY);
    }

    private final Store store;
    private final LiveView view;
    private final HostRegistry registry;
    private final AssignmentBook book;
    private final CheckpointIntervals intervals;
    private final HotSpares spares;

    SchedulingCycle(Store store, LiveView view, HostRegistry registry, AssignmentBook book, CheckpointIntervals intervals,
                    HotSpares spares) {
        this.intervals = intervals;
        this.spares = spares;
        this.store = store;
        this.view = view;
        this.registry = registry;
        this.book = book;
    }

    /**
     * Runs a cycle at {@code now}. {@code agentsJoining}: registrations are under way, so the layout
     * catches up only once the fleet has grown by an eighth (the rebuilds then cost O(hosts) in all,
     * and the cycle after the last registration takes every host).
     */
    Outcome run(double now, boolean agentsJoining) {
        Lifecycle lc = view.lifecycle();
        if (view.layoutBehind && lc != null && !lc.waiting().isEmpty()
                && (!agentsJoining || registry.size() - view.layoutHosts >= Math.max(1, view.layoutHosts / 8)))
            view.catchUp();
        view.endOverdue(now);
        // a host back from a loss joins the layout at its next rebuild: the spare pool may be waiting for it
        if (spares.on() && view.layoutBehind && !agentsJoining) view.catchUp();
        spares.refill(view);
        lc = view.lifecycle();
        if (lc == null || lc.waiting().isEmpty()) return Outcome.IDLE;
        lc.setQuotas(quotas());
        // a preempted run loses the work since the newest checkpoint the agents reported
        for (JobRecord r : view.runningRecords.values()) view.noteCheckpoint(r);
        List<LifecycleEvent> events = lc.decide(now);
        JobChanges changesOf = view.changes();

        List<JobChange> changes = new ArrayList<>();
        Set<Integer> decided = new HashSet<>();
        for (LifecycleEvent e : events) {
            Job j = e.job();
            decided.add(j.id());
            switch (e) {
                case LifecycleEvent.Started s -> changes.add(changesOf.started(s, view.layout().describe(s.placement()),
                        view.timeLimits.estimatedEnd(j.id(), now)));
                case LifecycleEvent.Preempted p -> changes.add(changesOf.preempted(p, view.runningRecords.get(j.id())));
                case LifecycleEvent.Rejected r -> changes.add(changesOf.rejected(r));
                default -> throw new IllegalStateException("a cycle does not " + e);
            }
        }
        for (Job j : lc.waiting())
            if (!decided.contains(j.id()) && !j.reason().equals(view.storedReason.get(j.id())))
                changes.add(JobChange.reason(j.id(), j.reason()));
        if (changes.isEmpty()) {
            view.noteReasonCodes();
            return new Outcome(0, true, lc.wakeAt());
        }

        try {
            store.apply(changes, now);
        } catch (RuntimeException e) {
            view.reload(); // the scheduler already changed the fleet state: go back to what is committed
            throw e;
        }
        CrashPoint.afterCommit(events);

        // committed: now make it so in memory, the stopped runs first
        for (LifecycleEvent e : events)
            if (e instanceof LifecycleEvent.Preempted p) {
                lc.apply(p);
                view.forgetRun(p.job().id());
            }
        for (LifecycleEvent e : events) {
            Job j = e.job();
            switch (e) {
                case LifecycleEvent.Started s -> {
                    lc.apply(s);
                    JobRecord r = store.job(j.id()).orElseThrow();
                    view.runningRecords.put(j.id(), r);
                    if (spares.on()) spares.tookSpares(r.placement());
                    intervals.plan(lc, j.id());
                    book.add(r, registry::addressOf);
                }
                case LifecycleEvent.Rejected r -> {
                    lc.apply(r);
                    view.forgetJob(j.id());
                }
                default -> { }
            }
        }
        for (JobChange c : changes)
            if (c.state() == null || c.state().isWaiting()) view.storedReason.put((int) c.jobId(), c.reason());
        view.noteReasonCodes();
        return new Outcome(events.size(), true, lc.wakeAt());
    }

    /** The teams' quotas as the store has them now. */
    Quotas quotas() {
        Map<String, Integer> m = new HashMap<>();
        for (TeamRecord t : store.teams()) if (t.quotaGpus() != null) m.put(t.name(), t.quotaGpus());
        return new Quotas(m);
    }
}
