package gpufleet.server.store;

/** An unplanned failure of a host at {@code time} (seconds since 1970), and what it was. */
public record HostFailure(long hostId, double time, String cause) {}
