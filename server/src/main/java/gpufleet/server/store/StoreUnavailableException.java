package gpufleet.server.store;

/**
 * The database could not be reached (stopped, restarting, or the connection broke). The store opens a
 * new connection on its next call, so the same call succeeds once the database is back; callers answer
 * "try again later" rather than treating it as a fault of theirs.
 */
public final class StoreUnavailableException extends StoreException {
    public StoreUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
