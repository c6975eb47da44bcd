package gpufleet.agent.gpu;

/** This host has no GPUs the agent can use; the message says what to do about it. */
public final class GpuUnavailableException extends RuntimeException {

    public GpuUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
