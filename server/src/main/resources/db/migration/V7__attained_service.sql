-- gpufleet controller schema, version 7: what the job lifecycle keeps about a job, so that a restarted
-- controller rebuilds it as it was.
-- attained_gpu_seconds: GPU-seconds the job held GPUs in runs that ended (least-attained-service orders rank by it);
-- lost_work_seconds: training thrown away at interruptions (lost_seconds also counts waits to run again);
-- estimated_end: while RUNNING, when the run is expected to end (backfill reserves around it); null when unknown.
ALTER TABLE jobs ADD COLUMN attained_gpu_seconds DOUBLE PRECISION NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN lost_work_seconds DOUBLE PRECISION NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN estimated_end DOUBLE PRECISION;
UPDATE jobs SET attained_gpu_seconds = gpus * run_seconds;
