package gpufleet.server.store;

/**
 * A change refused because this controller no longer leads (another was elected since, or it never led):
 * the transaction was rolled back, nothing of it is in the database. The caller stops acting as the leader
 * and sends clients to {@link #leaderAddress()}.
 */
public final class NotLeaderException extends StoreException {
    private final long heldEpoch;
    private final long currentEpoch;
    private final String leaderAddress;

    public NotLeaderException(long heldEpoch, long currentEpoch, String leaderAddress) {
        super(heldEpoch < 0
                ? "this controller is a standby; the leader" + (leaderAddress.isEmpty() ? " is not known yet" : " is at " + leaderAddress)
                : "this controller lost its leadership (epoch " + heldEpoch + ") to epoch " + currentEpoch
                        + (leaderAddress.isEmpty() ? "" : " at " + leaderAddress) + "; nothing was changed",
                // a standby refuses every change sent to it, a whole fleet's calls a second during an election: a
                // stack trace each would cost it the CPU it needs to take over; a deposed leader's is kept
                heldEpoch >= 0);
        this.heldEpoch = heldEpoch;
        this.currentEpoch = currentEpoch;
        this.leaderAddress = leaderAddress;
    }

    /** The epoch this controller was elected with, or negative when it was not leading. */
    public long heldEpoch() { return heldEpoch; }

    /** The epoch the database holds now. */
    public long currentEpoch() { return currentEpoch; }

    /** The address of the leader as its lease row gives it; empty when unknown. */
    public String leaderAddress() { return leaderAddress; }
}
