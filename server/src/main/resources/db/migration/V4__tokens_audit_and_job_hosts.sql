-- gpufleet controller schema, version 4: who may do what, what they did, and where each run ran.

-- API tokens. The token itself is shown once, when it is made, and never stored: only its SHA-256.
-- role: ADMIN, MEMBER (of team), VIEWER, JOIN (registers agents), AGENT (one host's credential, host).
CREATE TABLE tokens (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    role        TEXT NOT NULL,
    team        TEXT REFERENCES teams (name),
    host        TEXT,
    hash        TEXT NOT NULL,
    created_at  DOUBLE PRECISION NOT NULL,
    created_by  TEXT NOT NULL,
    expires_at  DOUBLE PRECISION,
    revoked_at  DOUBLE PRECISION
);

-- Every state-changing request that was carried out or refused for lack of permission.
CREATE TABLE audit_log (
    seq         BIGINT PRIMARY KEY,
    time        DOUBLE PRECISION NOT NULL,
    token_id    TEXT NOT NULL,
    actor       TEXT NOT NULL,
    role        TEXT NOT NULL,
    address     TEXT NOT NULL,
    action      TEXT NOT NULL,
    target      TEXT NOT NULL,
    status      INTEGER NOT NULL
);

CREATE INDEX audit_log_time ON audit_log (time);

-- The hosts each generation of a job ran on: an agent may ship logs only for runs its host held,
-- including runs that have since been stopped.
CREATE TABLE job_hosts (
    job_id      BIGINT NOT NULL REFERENCES jobs (id),
    generation  BIGINT NOT NULL,
    host        TEXT NOT NULL,
    PRIMARY KEY (job_id, generation, host)
);
