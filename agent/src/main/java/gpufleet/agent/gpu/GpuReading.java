package gpufleet.agent.gpu;

/** A GPU's temperature and memory in use at one moment. */
public record GpuReading(int index, int temperatureC, long memoryUsedBytes) {}
