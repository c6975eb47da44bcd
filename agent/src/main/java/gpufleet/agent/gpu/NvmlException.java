package gpufleet.agent.gpu;

/** An NVML call failed, or NVML could not be loaded at all. */
public final class NvmlException extends RuntimeException {

    private final int code;

    public NvmlException(String message, int code) {
        super(message);
        this.code = code;
    }

    public NvmlException(String message, int code, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    /** The nvmlReturn_t value NVML answered; {@link NvmlLibrary#ERROR_LIBRARY_NOT_FOUND} when it could not be loaded. */
    public int code() {
        return code;
    }
}
