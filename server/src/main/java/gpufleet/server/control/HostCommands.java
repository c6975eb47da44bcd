package gpufleet.server.control;

import gpufleet.core.state.HostStatus;
import gpufleet.protocol.ErrorCode;
import gpufleet.protocol.Registration;
import gpufleet.server.store.HostRecord;
import gpufleet.server.store.Store;

import java.util.Collection;
import java.util.List;
import java.util.Set;

/**
 * Changes to hosts: registration (a new agent process bumps the host's generation), drain and resume,
 * and losing a host (silent too long, or fenced), each written to the store and then to the view; a
 * lost host's jobs restart elsewhere. Runs with the controller's lock held.
 */
final class HostCommands {
    private static final System.Logger LOG = System.getLogger(HostCommands.class.getName());

    private final Store store;
    private final LiveView view;
    private final HostRegistry registry;
    private final Liveness liveness;
    private final AgentReports reports;
    private final HostFailures failures;

    HostCommands(Store store, LiveView view, HostRegistry registry, Liveness liveness, AgentReports reports,
                 HostFailures failures) {
        this.failures = failures;
        this.store = store;
        this.view = view;
        this.registry = registry;
        this.liveness = liveness;
        this.reports = reports;
    }

    /**
     * Registers a host (or re-registers one, which bumps its generation). A re-registration is a new
     * agent process: whatever the old one ran is gone, so jobs holding GPUs there lose a part of their
     * gang and are restarted.
     */
    HostRecord register(Registration r, String remoteAddress, double now) {
        var existing = store.hostByName(r.name());
        int[] jobs = new int[0];
        boolean reshaped = false;
        HostRecord planned = new HostRecord(0, r.name(), r.rack(), r.zone(), r.gpus(), HostStatus.UP, null, 0, null,
                r.gpuInfo(), "", List.of());
        if (existing.isPresent()) {
            HostRecord e = existing.get();
            // a new GPU type moves the host to another cluster, as a new GPU count does
            reshaped = !FleetLayout.sameKind(e, planned) || !e.rack().equals(r.rack()) || !e.zone().equals(r.zone());
            FleetLayout layout = view.layout();
            int h = layout == null ? -1 : layout.indexOf(r.name());
            jobs = h >= 0 ? view.state().jobsOn(h) : new int[0];
            if (reshaped && jobs.length > 0)
                throw RequestError.conflict(ErrorCode.HOST_BUSY, "name", "host " + r.name() + " runs jobs "
                        + java.util.Arrays.toString(jobs) + "; it cannot change its GPUs, rack or zone now");
        }
        long slots = FleetLayout.slotCountWith(registry.all(), planned);
        if (slots > FleetLayout.MAX_SLOTS)
            throw RequestError.badRequest("rack", "this rack and zone would make the fleet's layout too sparse ("
                    + slots + " slots > " + FleetLayout.MAX_SLOTS + ")");
        HostRecord rec = store.registerHost(r, r.address() != null ? r.address() : remoteAddress, now);
        liveness.heard(rec.id(), now);
        // a new agent process: what the old one said about its GPUs no longer stands
        if (existing.isEmpty() || rec.generation() != existing.get().generation()) reports.newAgent(rec.id());
        // the registry is kept equal to what the store holds after every change to a host, so the
        // layout can be built from it rather than from every host read back from the database
        List<HostRecord> all = registry.with(rec);
        if (!reshaped && jobs.length == 0) {
            // nothing runs there: the host may wait for the next rebuild to be offered work,
            // and an unchanged host's old place in the layout stays right meanwhile
            registry.replace(all);
            view.layoutBehind = true;
        } else {
            // a new generation means a new agent process: what the old one ran is gone. The same
            // generation means the same run of the agent asking again, and its ranks are still there.
            if (rec.generation() != existing.get().generation())
                for (int job : jobs) view.interrupt(job, "agent on " + r.name() + " restarted", "AGENT_RESTARTED", now);
            view.reload(all);
        }
        return rec;
    }

    /**
     * Drains or resumes a host; see {@link Controller#setHostStatus(String, HostStatus, String, boolean)}.
     * Returns the host's id.
     */
    long setStatus(String name, HostStatus status, String reason, boolean force, double now) {
        HostRecord h = store.hostByName(name).orElseThrow(() -> RequestError.notFound("name", "no host " + name));
        if (status == HostStatus.UP && !h.unhealthyGpus().isEmpty()) {
            Set<Integer> heard = reports.reportedBad(h.id());
            List<Integer> still = heard == null ? h.unhealthyGpus()
                    : h.unhealthyGpus().stream().filter(heard::contains).toList();
            if (!still.isEmpty() && !force)
                throw RequestError.conflict(ErrorCode.GPU_FAULT, "force", "host " + name + ": GPU" + (still.size() == 1 ? " " : "s ") + still
                        + (heard == null ? " failed (" + h.statusReason() + ") and its agent has not reported since this"
                                + " controller started; wait for its next heartbeat"
                                : " still report" + (still.size() == 1 ? "s" : "") + " a fault (" + h.statusReason() + ")")
                        + ". Reset or replace the GPU (simulated: gpufleet agent heal), or resume --force to put it"
                        + " back into service anyway");
            reports.force(h.id(), still);
        }
        if (status == HostStatus.UP) {
            if (h.quarantined()) failures.released(view, h);
            store.setHostStatus(h.id(), HostStatus.UP, "", List.of());
            liveness.heard(h.id(), now); // a fresh timeout: resuming a lost host gives its agent time to return
        } else {
            store.setHostStatus(h.id(), status, reason == null ? "drained by an operator" : reason, h.unhealthyGpus());
        }
        int hi = view.hostIndex(name); // first: it may rebuild the state
        view.lifecycle().setHostStatus(hi, status);
        registry.refresh(store);
        return h.id();
    }

    /** Declares lost those of {@code silent} still silent at {@code now}, restarting their jobs elsewhere. */
    void loseSilent(Collection<HostRecord> silent, double now) {
        for (HostRecord stale : silent) {
            HostRecord h = registry.get(stale.id());
            if (h == null || h.status() == HostStatus.DOWN || !liveness.isSilent(h.id(), now)) continue;
            long quiet = Math.round(liveness.silentFor(h.id(), now));
            lose(h, "host " + h.name() + " lost: no heartbeat for " + quiet + " s", "no heartbeat for " + quiet + " s", true, now);
        }
        registry.refresh(store);
    }

    /** Fences a host whose credential was revoked: DOWN at once, its jobs restarted elsewhere. */
    void fence(String name, String why, double now) {
        HostRecord h = registry.byName(name);
        if (h == null || h.status() == HostStatus.DOWN) return;
        lose(h, "host " + name + " fenced: " + why, why, false, now);
        registry.refresh(store);
    }

    /**
     * Marks a host DOWN and restarts its jobs elsewhere; {@code failure}: it counts as the host's failure
     * (a lost heartbeat does; a revoked credential does not). The caller refreshes the hosts after.
     */
    private void lose(HostRecord h, String cause, String statusReason, boolean failure, double now) {
        int hi = view.hostIndex(h.name());
        if (failure) failures.failed(view, h, statusReason, now);
        for (int job : view.state().jobsOn(hi)) view.interrupt(job, cause, "HOST_LOST", now);
        store.setHostStatus(h.id(), HostStatus.DOWN, statusReason, h.unhealthyGpus());
        view.lifecycle().setHostStatus(hi, HostStatus.DOWN);
        LOG.log(System.Logger.Level.WARNING, cause);
    }
}
