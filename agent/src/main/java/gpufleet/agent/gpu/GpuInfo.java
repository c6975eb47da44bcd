package gpufleet.agent.gpu;

/** One GPU: its device index, UUID, model name and total memory. */
public record GpuInfo(int index, String uuid, String model, long memoryBytes) {}
