package gpufleet.protocol;

/** One GPU as the agent discovered it. {@code index} is the device index CUDA_VISIBLE_DEVICES uses. */
public record GpuDescriptor(int index, String uuid, String model, long memoryMiB) {}
