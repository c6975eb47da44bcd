package gpufleet.protocol;

/** {@code POST /api/v1/hosts/{name}/drain}: why, for the controller's log; null for no reason given. */
public record DrainRequest(String reason) {
    public DrainRequest {
        reason = Fields.text("reason", reason, 500);
    }
}
