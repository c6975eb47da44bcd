package gpufleet.agent.gpu;

/**
 * A health event on one GPU.
 *
 * @param code  the XID number for {@link Kind#XID}; the error count for ECC kinds
 * @param fatal whether the GPU can no longer be trusted with work (the host should be drained)
 */
public record GpuEvent(int index, String uuid, Kind kind, long code, boolean fatal, String detail) {
    /** {@code RECOVERED}: the GPU is healthy again (a simulated GPU healed; a real one reset). */
    public enum Kind { XID, ECC_DOUBLE_BIT, ECC_SINGLE_BIT, LOST, RECOVERED }
}
