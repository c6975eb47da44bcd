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
                           Integer temperatureC, Long eccErrors) {
    public GpuTelemetry {
        Fields.range("index", index, 0, 63);
        if (utilizationPct != null) Fields.range("utilizationPct", utilizationPct, 0, 100);
        if (memoryUsedBytes != null) Fields.atLeast("memoryUsedBytes", memoryUsedBytes, 0);
        if (memoryTotalBytes != null) Fields.atLeast("memoryTotalBytes", memoryTotalBytes, 0);
        if (powerW != null) Fields.range("powerW", powerW, 0, 100_000);
        if (temperatureC != null) Fields.range("temperatureC", temperatureC, -100, 300);
        if (eccErrors != null) Fields.atLeast("eccErrors", eccErrors, 0);
    }
}
