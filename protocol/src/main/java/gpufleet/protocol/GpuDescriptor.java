package gpufleet.protocol;

/**
 * One GPU as the agent discovered it. {@code index} is the device index CUDA_VISIBLE_DEVICES uses;
 * {@code uuid} and {@code model} are empty and {@code memoryMiB} 0 when the agent could not tell.
 */
public record GpuDescriptor(int index, String uuid, String model, Long memoryMiB) {
    public GpuDescriptor {
        Fields.range("index", index, 0, 63);
        // empty is how an unknown uuid or model is stored, so it must read back
        uuid = uuid == null || uuid.isEmpty() ? "" : Fields.text("uuid", uuid, 128);
        model = model == null || model.isEmpty() ? "" : Fields.text("model", model, 128);
        memoryMiB = memoryMiB == null ? 0L : Fields.atLeast("memoryMiB", memoryMiB, 0);
    }
}
