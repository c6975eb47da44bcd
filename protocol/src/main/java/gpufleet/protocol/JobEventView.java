package gpufleet.protocol;

/**
 * Something that happened to a job, in order.
 *
 * @param kind   SUBMITTED, STARTED, COMPLETED, CANCELLED for a normal life; any other kind interrupted the job
 * @param detail what the controller said of it; may be empty
 */
public record JobEventView(long jobId, int seq, double time, String kind, String detail) {}
