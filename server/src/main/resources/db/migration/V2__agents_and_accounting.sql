-- gpufleet controller schema, version 2: what agents tell about hosts, and each job's time accounting.
ALTER TABLE hosts ADD COLUMN address TEXT;
ALTER TABLE hosts ADD COLUMN gpu_info TEXT NOT NULL DEFAULT '[]';
ALTER TABLE hosts ADD COLUMN status_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE hosts ADD COLUMN unhealthy_gpus TEXT NOT NULL DEFAULT '[]';

-- first_start_time: when the job first ran; run_seconds: time held GPUs in ended segments;
-- lost_seconds: work thrown away at interruptions plus time waiting to run again;
-- last_checkpoint: newest checkpoint the agents saw; interrupted_at: set while waiting after an interruption.
ALTER TABLE jobs ADD COLUMN first_start_time DOUBLE PRECISION;
ALTER TABLE jobs ADD COLUMN run_seconds DOUBLE PRECISION NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN lost_seconds DOUBLE PRECISION NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN last_checkpoint DOUBLE PRECISION;
ALTER TABLE jobs ADD COLUMN interrupted_at DOUBLE PRECISION;
