package gpufleet.protocol;

/**
 * {@code POST /api/v1/hosts/{name}/resume}.
 *
 * @param force put GPUs still reported faulty back into service too (default false)
 */
public record ResumeRequest(Boolean force) {
    public ResumeRequest {
        force = force != null && force;
    }
}
