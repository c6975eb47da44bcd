package gpufleet.core.sched.framework;

/**
 * A named piece of a scheduling profile. A plugin implements one or more extension points
 * ({@link QueueSort}, {@link PreFilter}, {@link Filter}, {@link Place}, {@link Permit},
 * {@link PostFilter}, {@link Unschedulable}, {@link PostCycle}); the scheduler calls each point's
 * plugins in the profile's order. Plugins hold only their arguments: what one cycle works out lives
 * in the {@link CycleState}, what must outlive the cycle in its {@link Memory}.
 */
public interface Plugin {
    /** Unique within a profile; also the key of the plugin's memory. */
    String name();

    /** The plugin's arguments in words, for listings ("" when it has none). */
    default String args() {
        return "";
    }
}
