package gpufleet.protocol;

/**
 * A GPU the agent found unhealthy.
 *
 * @param xid    the NVIDIA XID error code behind it, or null when the cause was not an XID (ECC, lost device)
 * @param detail a short human-readable cause, e.g. "XID 79: GPU has fallen off the bus"
 */
public record GpuHealth(int index, boolean healthy, Integer xid, String detail) {
    public GpuHealth {
        Fields.range("index", index, 0, 63);
        if (xid != null && xid < 0) throw new InvalidField("xid", "must be >= 0, got " + xid);
        detail = Fields.text("detail", detail, 500);
    }
}
