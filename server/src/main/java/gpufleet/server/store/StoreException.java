package gpufleet.server.store;

/** The database refused or failed an operation; nothing of it was committed. */
public class StoreException extends RuntimeException {
    public StoreException(String message, Throwable cause) {
        super(message, cause);
    }

    /** Without a stack trace when {@code stackTrace} is false: for refusals as routine as a standby's. */
    protected StoreException(String message, boolean stackTrace) {
        super(message, null, false, stackTrace);
    }
}
