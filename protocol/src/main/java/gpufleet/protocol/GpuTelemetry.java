package gpufleet.protocol;

/**
 * One GPU's readings, sent with a heartbeat every so often (not with every one: see
 * {@link Heartbeat#telemetry}). A figure the agent's GPU backend cannot read is null.
 *
 * @param utilizationPct  share of the last sample period a kernel ran, 0..100
 * @param powerW          power drawn, watts
 * @param eccErrors       uncorrected ECC errors since the driver loaded (volatile count)
 */
public record GpuTelemetry(int index, Integer utilizationPct, Long memoryUsedBytes, Long memoryTotalBytes, Integer powerW,
                           Integer temperatureC, Long eccErrors) {}
