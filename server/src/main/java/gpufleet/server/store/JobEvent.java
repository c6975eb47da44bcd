package gpufleet.server.store;

/** Something that happened to a job, in order. */
public record JobEvent(long jobId, int seq, double time, String kind, String detail) {}
