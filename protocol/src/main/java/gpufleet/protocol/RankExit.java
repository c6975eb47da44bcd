package gpufleet.protocol;

/** A rank's process ended with {@code code} (128 + signal number when a signal ended it). */
public record RankExit(int rank, int code) {
    public RankExit {
        if (rank < 0) throw new InvalidField("rank", "must be >= 0, got " + rank);
    }
}
