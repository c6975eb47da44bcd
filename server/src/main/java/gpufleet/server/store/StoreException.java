package gpufleet.server.store;

/** The database refused or failed an operation; nothing of it was committed. */
public class StoreException extends RuntimeException {
    public StoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
