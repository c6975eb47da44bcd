-- gpufleet controller schema, version 3: which run of an agent registered a host, so that a repeated
-- registration (its answer lost in a controller crash) is told apart from a new agent.
ALTER TABLE hosts ADD COLUMN incarnation TEXT;
