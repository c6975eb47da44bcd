package gpufleet.server.store;

import gpufleet.core.job.JobState;
import gpufleet.core.state.HostStatus;
import gpufleet.protocol.Registration;

import java.util.List;
import java.util.Optional;

/**
 * The controller's durable state. Every method that changes something does it in one transaction:
 * when it returns the change is committed, and when it throws nothing of it was.
 */
public interface Store extends AutoCloseable {

    /**
     * Inserts a host (UP), or re-registers one of the same name: new shape and GPUs, generation + 1, and
     * the same status, except that a DOWN host (lost) comes back UP, or DRAINING when it is quarantined.
     */
    HostRecord registerHost(Registration r, String address, double now);

    /** Sets a host's status, why, and which of its GPUs are unhealthy. */
    void setHostStatus(long hostId, HostStatus status, String reason, List<Integer> unhealthyGpus);

    List<HostRecord> hosts();

    /**
     * Notes an unplanned failure of a host (lost, a GPU fault), for the quarantine rule and the live
     * failure rate, and forgets the host's failures at or before {@code forgetBefore}.
     */
    void recordHostFailure(long hostId, double time, String cause, double forgetBefore);

    /** When the first host registered (seconds since 1970): since then failures are recorded. Null with no host. */
    Double firstRegistration();

    /** Every host's failures after {@code since}, oldest first. */
    List<HostFailure> hostFailuresSince(double since);

    /**
     * Quarantines a host, with why (its failures are forgotten: its diagnosis starts the count afresh),
     * or releases it ({@code reason} null).
     */
    void setQuarantine(long hostId, String reason);

    Optional<HostRecord> host(long id);

    Optional<HostRecord> hostByName(String name);

    /** Creates the team or changes its quota (null = unlimited). */
    TeamRecord putTeam(String name, Integer quotaGpus);

    List<TeamRecord> teams();

    /** Stores a new PENDING job with a SUBMITTED event and returns it with its id. */
    default JobRecord insertJob(NewJob job, double now) {
        return insertJob(job, now, null);
    }

    /**
     * Admits a job. A job that names no checkpoint directory gets {@code checkpointRoot/<its id>} when
     * {@code checkpointRoot} is not null (shared storage every host mounts), and none otherwise.
     */
    JobRecord insertJob(NewJob job, double now, String checkpointRoot);

    /** Jobs in id order, filtered by state and team when those are not null. */
    List<JobRecord> jobs(JobState state, String team);

    /** Jobs not in a terminal state, in id order. */
    List<JobRecord> liveJobs();

    /** Jobs by state and each team's GPU-seconds of ended runs, summed over every job by the database. */
    JobTotals jobTotals();

    Optional<JobRecord> job(long id);

    List<JobEvent> events(long jobId);

    /** Applies all changes in one transaction, in order. */
    void apply(List<JobChange> changes, double now);

    /** Whether generation {@code generation} of the job was placed on {@code host} (at any time). */
    boolean ranOn(long jobId, long generation, String host);

    // ---- tokens and the audit log --------------------------------------------------------------

    /** Stores a new token; its id must be new. */
    void insertToken(TokenRecord t);

    /** Every token, revoked and expired ones included, in order of creation. */
    List<TokenRecord> tokens();

    /** The token with this id, revoked or expired ones included. */
    java.util.Optional<TokenRecord> token(String id);

    /** Marks a token revoked at {@code now}; false when there is no such token or it was revoked already. */
    boolean revokeToken(String id, double now);

    /** Appends to the audit log, giving the entry the next sequence number; returns it so numbered. */
    AuditEntry audit(AuditEntry e);

    /**
     * The newest {@code limit} entries, oldest first, at or after {@code since} (null: any time) and by
     * {@code actor} (null: anyone).
     */
    List<AuditEntry> auditLog(Double since, String actor, int limit);

    /**
     * The newest {@code limit} actions carried out (2xx) on {@code target} (e.g. {@code job 42}, {@code host
     * a1}), oldest first; a target the log wrote with a note after it ({@code host a1: cable swap}) counts.
     */
    List<AuditEntry> auditOf(String target, int limit);

    /** The highest schema version applied. */
    int schemaVersion();

    @Override
    void close();
}
