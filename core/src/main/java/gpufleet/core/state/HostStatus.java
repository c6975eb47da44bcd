package gpufleet.core.state;

/** What the scheduler may do with a host. */
public enum HostStatus {
    /** Healthy and in the pool. */
    UP,
    /** Healthy, but takes no new work (an operator's drain, or planned maintenance ahead). */
    DRAINING,
    /** Failed or under repair: holds nothing. */
    DOWN,
    /** A healthy hot spare kept out of the pool until it replaces a failed host. */
    SPARE
}
