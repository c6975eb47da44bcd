-- gpufleet controller schema, version 8: which controller leads when several share one PostgreSQL database.
-- One row. epoch: bumped by each takeover; every state-changing transaction of the leader checks, before it
-- commits, that the row still carries the epoch it was elected with (and locks the row FOR SHARE, so a takeover
-- waits for that commit or the commit sees the new epoch). holder: the leading process's id; address: the URL
-- clients are sent to; expires_at/renewed_at: seconds since 1970 by the database's clock, so the controllers'
-- own clocks never have to agree. SQLite has the table too but never uses it: one controller owns that file.
CREATE TABLE leadership (
    id INTEGER PRIMARY KEY,
    epoch BIGINT NOT NULL,
    holder TEXT NOT NULL,
    address TEXT NOT NULL,
    renewed_at DOUBLE PRECISION NOT NULL,
    expires_at DOUBLE PRECISION NOT NULL
);
INSERT INTO leadership (id, epoch, holder, address, renewed_at, expires_at) VALUES (1, 0, '', '', 0, 0);
