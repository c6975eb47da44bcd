package gpufleet.sim.engine;

/**
 * The checkpoint arithmetic the twin documents, worked out apart from the engine for the hand-worked
 * tests: after its startup a run alternates {@code interval} seconds of training and a {@code write}
 * second checkpoint write; an interruption keeps the work of the completed periods and loses the rest,
 * a write in progress included.
 */
final class ByHand {
    private ByHand() {}

    /** What an interrupted run has: work kept, seconds spent writing, work lost, and whether it was writing. */
    record Interrupted(double kept, double written, double lost, boolean inWrite) {}

    /** A run interrupted {@code into} seconds after its startup ended. */
    static Interrupted interruptedAfter(double into, double interval, double write) {
        double periods = Math.floor(into / (interval + write));
        double tail = into - periods * (interval + write);
        return new Interrupted(periods * interval, periods * write, tail, tail > interval);
    }
}
