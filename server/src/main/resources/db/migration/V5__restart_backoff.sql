-- gpufleet controller schema, version 5: restarting a failing job with a backoff.
-- retry_at: while the job waits after an interruption, the earliest time it may run again (null: at once);
-- quick_failures: failures of its own processes in a row, each soon after its run began.
ALTER TABLE jobs ADD COLUMN retry_at DOUBLE PRECISION;
ALTER TABLE jobs ADD COLUMN quick_failures INTEGER NOT NULL DEFAULT 0;
