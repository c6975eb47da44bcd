package gpufleet.server.store;

import gpufleet.core.state.HostStatus;

/**
 * A registered host as stored.
 *
 * @param generation bumped on every registration: an agent holding an older generation is fenced off
 */
public record HostRecord(long id, String name, String rack, String zone, int gpus, HostStatus status,
                         Double lastHeartbeat, long generation) {}
