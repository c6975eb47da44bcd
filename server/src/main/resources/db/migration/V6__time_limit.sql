-- gpufleet controller schema, version 6: run-time limits from the submitter (Slurm's --time).
-- time_limit_seconds: how long one run may last before the controller ends it; the scheduler takes it as the
-- job's run-time estimate for backfill. Null: no limit, and an unknown run time.
ALTER TABLE jobs ADD COLUMN time_limit_seconds BIGINT;
