package gpufleet.agent.gpu;

import java.util.Map;

/**
 * Which XID errors mean a GPU can no longer be trusted with work.
 *
 * <p>The codes and their meanings follow NVIDIA's public "XID Errors" documentation
 * (docs.nvidia.com/deploy/xid-errors); the descriptions here are our own short summaries. The line
 * we draw: an XID that a buggy or killed application can cause on healthy hardware is not fatal (the
 * job fails and restarts, the GPU stays in service); an XID that points at the memory, the bus, the
 * links or the GPU's firmware is fatal, because the next job placed there would fail the same way,
 * so the host must be drained and the GPU reset or replaced. An XID missing from the table is
 * reported but not fatal: draining a host for an error we cannot interpret would turn every new
 * driver's new code into an outage.
 */
public final class Xid {

    private record Entry(boolean fatal, String description) {}

    private static final Map<Long, Entry> TABLE = Map.ofEntries(
            // Caused by applications: illegal addresses, bad kernels, processes torn down.
            Map.entry(13L, new Entry(false, "graphics engine exception (usually an application fault)")),
            Map.entry(31L, new Entry(false, "GPU memory page fault (usually an illegal address in an application)")),
            Map.entry(43L, new Entry(false, "GPU stopped processing on an application's channel")),
            Map.entry(45L, new Entry(false, "preemptive cleanup after an earlier error or a killed process")),
            // Memory: once uncorrectable data has been seen, results from this GPU are suspect.
            Map.entry(48L, new Entry(true, "double-bit ECC error")),
            Map.entry(63L, new Entry(true, "row remapping or page retirement pending; the GPU needs a reset")),
            Map.entry(64L, new Entry(true, "row remapping or page retirement failed")),
            Map.entry(92L, new Entry(true, "high single-bit ECC error rate")),
            Map.entry(94L, new Entry(true, "contained ECC error")),
            Map.entry(95L, new Entry(true, "uncontained ECC error")),
            // Interconnect and bus.
            Map.entry(74L, new Entry(true, "NVLink error")),
            Map.entry(79L, new Entry(true, "GPU has fallen off the bus")),
            // Firmware: the GSP no longer answers the driver.
            Map.entry(119L, new Entry(true, "GSP RPC timeout")),
            Map.entry(120L, new Entry(true, "GSP error")));

    private Xid() {}

    /** Whether this XID means the GPU must not be given more work. */
    public static boolean isFatal(long xid) {
        Entry entry = TABLE.get(xid);
        return entry != null && entry.fatal();
    }

    /** A one-line description for logs and the controller, e.g. "XID 79: GPU has fallen off the bus". */
    public static String describe(long xid) {
        Entry entry = TABLE.get(xid);
        return "XID " + xid + ": " + (entry == null ? "not in this agent's table" : entry.description());
    }
}
