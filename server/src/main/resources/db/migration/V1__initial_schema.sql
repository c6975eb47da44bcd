-- gpufleet controller schema, version 1. Portable SQL: runs on SQLite and PostgreSQL.
CREATE TABLE teams (
    name        TEXT PRIMARY KEY,
    quota_gpus  INTEGER
);

CREATE TABLE hosts (
    id              BIGINT PRIMARY KEY,
    name            TEXT NOT NULL UNIQUE,
    rack            TEXT NOT NULL,
    zone            TEXT NOT NULL,
    gpus            INTEGER NOT NULL CHECK (gpus BETWEEN 1 AND 64),
    status          TEXT NOT NULL,
    last_heartbeat  DOUBLE PRECISION,
    generation      BIGINT NOT NULL,
    registered_at   DOUBLE PRECISION NOT NULL
);

CREATE TABLE jobs (
    id              BIGINT PRIMARY KEY,
    name            TEXT NOT NULL,
    team            TEXT NOT NULL REFERENCES teams (name),
    gpus            INTEGER NOT NULL CHECK (gpus >= 1),
    tp              INTEGER NOT NULL CHECK (tp >= 1),
    pp              INTEGER NOT NULL CHECK (pp >= 1),
    cp              INTEGER NOT NULL CHECK (cp >= 1),
    priority        INTEGER NOT NULL,
    state           TEXT NOT NULL,
    submit_time     DOUBLE PRECISION NOT NULL,
    command         TEXT NOT NULL,
    max_restarts    INTEGER NOT NULL,
    checkpoint_dir  TEXT,
    restarts        INTEGER NOT NULL DEFAULT 0,
    reason          TEXT NOT NULL DEFAULT '',
    placement       TEXT,
    generation      BIGINT NOT NULL DEFAULT 0,
    start_time      DOUBLE PRECISION,
    end_time        DOUBLE PRECISION,
    updated_time    DOUBLE PRECISION NOT NULL
);

CREATE INDEX jobs_state ON jobs (state);

CREATE TABLE job_events (
    job_id  BIGINT NOT NULL REFERENCES jobs (id),
    seq     INTEGER NOT NULL,
    time    DOUBLE PRECISION NOT NULL,
    kind    TEXT NOT NULL,
    detail  TEXT NOT NULL,
    PRIMARY KEY (job_id, seq)
);

INSERT INTO teams (name, quota_gpus) VALUES ('default', NULL);
