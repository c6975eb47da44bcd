package gpufleet.protocol;

/** One process to start: global {@code rank}, its {@code localRank} on the host, and the GPU index it uses. */
public record RankSlot(int rank, int localRank, int gpu) {}
