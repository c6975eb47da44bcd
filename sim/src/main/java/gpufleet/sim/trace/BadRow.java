package gpufleet.sim.trace;

/** A row that cannot become a job; the message says why. Control flow only, so it carries no stack trace. */
final class BadRow extends RuntimeException {
    BadRow(String message) {
        super(message, null, false, false);
    }
}
