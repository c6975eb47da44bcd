package gpufleet.server.store;

/** A team; {@code quotaGpus} null means unlimited. */
public record TeamRecord(String name, Integer quotaGpus) {}
