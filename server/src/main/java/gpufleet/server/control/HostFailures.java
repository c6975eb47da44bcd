package gpufleet.server.control;

import gpufleet.core.lifecycle.Lifecycle;
import gpufleet.core.lifecycle.Quarantine;
import gpufleet.server.store.HostFailure;
import gpufleet.server.store.HostRecord;
import gpufleet.server.store.Store;

/**
 * Each host's unplanned failures (lost, a GPU fault) and lemon-host quarantine, with the twin's rule
 * ({@link Quarantine}, the same {@code N/WINDOW} parameters as {@code simulate --quarantine}). The
 * failures are stored, so the count survives a restart of the controller, and fed to the lifecycle,
 * whose history gives both the rule's count and the live failure rate jobs' checkpoint intervals come
 * from ({@link Lifecycle#liveMtbfSec}).
 *
 * <p>A host that reaches the threshold is quarantined at that failure: it is drained for diagnosis
 * and stays out of service, a return from a loss included (it comes back DRAINING, not UP), until an
 * admin resumes it; its failures are then forgotten and the count starts afresh. Its running jobs are
 * the failure's to stop, as without quarantine. Runs with the controller's lock held.
 */
final class HostFailures {
    private static final System.Logger LOG = System.getLogger(HostFailures.class.getName());

    private final Store store;
    private final Quarantine rule;
    private final CheckpointIntervals intervals;
    private final java.util.function.DoubleSupplier clock;

    HostFailures(Store store, Quarantine rule, CheckpointIntervals intervals, java.util.function.DoubleSupplier clock) {
        this.clock = clock;
        this.store = store;
        this.intervals = intervals;
        this.rule = rule == null ? Quarantine.OFF : rule;
    }

    Quarantine rule() {
        return rule;
    }

    /** How far back a host's failures matter: the live failure rate's span, or a longer quarantine window. */
    private double keepSec() {
        return Math.max(Lifecycle.LIVE_WINDOW_SEC, rule.windowSec());
    }

    /** Gives a freshly built lifecycle the rule and the failures the store holds, oldest first. */
    void restore(Lifecycle lc, FleetLayout layout, HostRegistry registry) {
        lc.setQuarantine(rule);
        // a host that stopped failing keeps its old rows (they go at its next failure): passed over here
        for (HostFailure f : store.hostFailuresSince(clock.getAsDouble() - keepSec())) {
            HostRecord h = registry.get(f.hostId());
            int hi = h == null ? -1 : layout.indexOf(h.name());
            if (hi >= 0) lc.hostFailed(hi, f.time());
        }
    }

    /**
     * Host {@code h} failed at {@code now}: the failure is stored and noted in the lifecycle, and a host
     * that reaches the rule's threshold with it is quarantined. Returns the quarantine's reason, or null.
     * A quarantined host's failures are not counted: it is out of service already.
     */
    String failed(LiveView view, HostRecord h, String cause, double now) {
        if (h.quarantined()) return null;
        int hi = view.hostIndex(h.name()); // first: it may rebuild the view, restoring the stored failures
        store.recordHostFailure(h.id(), now, cause, now - keepSec());
        Lifecycle lc = view.lifecycle();
        if (lc == null || hi < 0) return null;
        lc.hostFailed(hi, now);
        intervals.hostFailed();
        if (!rule.on()) return null;
        int n = lc.failuresSince(hi, now - rule.windowSec());
        if (n < rule.failures()) return null;
        String reason = "quarantined for diagnosis: " + n + " failures within " + window() + ", the last: " + cause
                + "; gpufleet resume " + h.name() + " returns it to service";
        store.setQuarantine(h.id(), reason);
        lc.forgetFailures(hi);
        LOG.log(System.Logger.Level.WARNING, "host " + h.name() + " " + reason);
        return reason;
    }

    /** An admin returned a quarantined host to service: it starts with no failures counted. */
    void released(LiveView view, HostRecord h) {
        store.setQuarantine(h.id(), null);
        int hi = view.hostIndex(h.name());
        if (view.lifecycle() != null && hi >= 0) view.lifecycle().forgetFailures(hi);
        LOG.log(System.Logger.Level.INFO, "host " + h.name() + " released from quarantine");
    }

    private String window() {
        String d = rule.describe();
        return d.substring(d.indexOf('/') + 1);
    }
}
