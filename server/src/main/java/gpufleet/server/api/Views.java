package gpufleet.server.api;

import gpufleet.protocol.AuditView;
import gpufleet.protocol.HostView;
import gpufleet.protocol.IdentityView;
import gpufleet.protocol.JobEventView;
import gpufleet.protocol.JobView;
import gpufleet.protocol.PlacementView;
import gpufleet.protocol.TeamView;
import gpufleet.protocol.TokenView;
import gpufleet.server.auth.Principal;
import gpufleet.server.store.AuditEntry;
import gpufleet.server.store.HostGpus;
import gpufleet.server.store.HostRecord;
import gpufleet.server.store.JobEvent;
import gpufleet.server.store.JobRecord;
import gpufleet.server.store.TeamRecord;
import gpufleet.server.store.TokenRecord;

import java.util.List;

/**
 * The stored records as the API answers them: the protocol's views, so that what is stored can change
 * without changing what clients read, and a field the command line reads cannot be renamed here alone.
 */
final class Views {
    private Views() {}

    /** {@code reasonCode}: the scheduler's code for why it waits; null when it does not wait or none is known yet. */
    static JobView job(JobRecord r, String reasonCode) {
        List<PlacementView> placement = r.placement().stream().map(Views::placement).toList();
        return new JobView(r.id(), r.name(), r.team(), r.gpus(), r.tp(), r.pp(), r.cp(), r.priority(), r.state().name(),
                r.submitTime(), r.command(), r.maxRestarts(), r.checkpointDir(), r.restarts(), r.reason(), reasonCode,
                placement, r.generation(), r.startTime(), r.endTime(), r.firstStartTime(), r.runSeconds(), r.lostSeconds(),
                r.lastCheckpoint(), r.interruptedAt(), r.retryAt(), r.quickFailures(), r.timeLimitSeconds(),
                r.attainedGpuSeconds(), r.lostWorkSeconds(), r.estimatedEnd());
    }

    static PlacementView placement(HostGpus p) {
        return new PlacementView(p.host(), p.gpus());
    }

    static JobEventView event(JobEvent e) {
        return new JobEventView(e.jobId(), e.seq(), e.time(), e.kind(), e.detail());
    }

    static List<JobEventView> events(List<JobEvent> events) {
        return events.stream().map(Views::event).toList();
    }

    static HostView host(HostRecord h) {
        return new HostView(h.id(), h.name(), h.rack(), h.zone(), h.gpus(), h.status().name(), h.lastHeartbeat(),
                h.generation(), h.address(), h.gpuInfo(), h.statusReason(), h.unhealthyGpus(), h.quarantine());
    }

    static List<HostView> hosts(List<HostRecord> hosts) {
        return hosts.stream().map(Views::host).toList();
    }

    static TeamView team(TeamRecord t) {
        return new TeamView(t.name(), t.quotaGpus());
    }

    /** Never the token's hash; its state as of {@code now}. */
    static TokenView token(TokenRecord t, double now) {
        return new TokenView(t.id(), t.name(), t.role(), t.team(), t.host(), t.createdAt(), t.createdBy(), t.expiresAt(),
                t.revokedAt(), t.revokedAt() != null ? "revoked" : t.activeAt(now) ? "active" : "expired");
    }

    static AuditView audit(AuditEntry e) {
        return new AuditView(e.seq(), e.time(), e.tokenId(), e.actor(), e.role(), e.address(), e.action(), e.target(),
                e.status());
    }

    static IdentityView identity(Principal p, boolean authentication) {
        return new IdentityView(p.tokenId(), p.name(), p.role().name(), p.team(), p.host(), authentication);
    }
}
