-- gpufleet controller schema, version 9: lemon-host quarantine and each host's failure history.
-- quarantine: why the host was drained for diagnosis as a lemon (null: it is not). It stays out of service,
-- a return from a loss included, until an admin resumes it.
ALTER TABLE hosts ADD COLUMN quarantine TEXT;
-- host_failures: each unplanned failure of a host (lost, a GPU fault) at time (seconds since 1970): what the
-- quarantine rule counts, and what the checkpoint interval told to jobs is derived from. A host's rows go when
-- it is quarantined (its diagnosis starts the count afresh).
CREATE TABLE host_failures (
    host_id BIGINT NOT NULL REFERENCES hosts (id),
    time DOUBLE PRECISION NOT NULL,
    cause TEXT NOT NULL
);
CREATE INDEX host_failures_time ON host_failures (time);
