package gpufleet.agent.gpu;

import gpufleet.protocol.GpuTelemetry;

import java.time.Duration;
import java.util.List;

/**
 * Where an agent learns about its GPUs: NVML on a real host ({@link Nvml}), a simulation elsewhere
 * ({@link SimulatedGpus}). Discovery once, readings on demand, health events as they happen.
 */
public interface GpuBackend extends AutoCloseable {

    /** A short description, e.g. "NVML, driver 550.54.15" or "simulated". */
    String describe();

    /** The GPUs on this host, by index. */
    List<GpuInfo> gpus();

    /** Current temperature and memory use of every GPU. */
    List<GpuReading> read();

    /**
     * Every GPU's readings for the controller's host panel; {@code busy} are the GPUs the agent's ranks
     * hold. What this backend does not read (utilization, power, ECC here) is null.
     */
    default List<GpuTelemetry> telemetry(java.util.Set<Integer> busy) {
        java.util.Map<Integer, Long> total = new java.util.HashMap<>();
        for (GpuInfo g : gpus()) total.put(g.index(), g.memoryBytes());
        return read().stream().map(r -> new GpuTelemetry(r.index(), null, r.memoryUsedBytes(), total.get(r.index()), null,
                r.temperatureC(), null)).toList();
    }

    /**
     * Health events since the last call, waiting up to {@code timeout} for the first one. Blocks in
     * native code on a real host: call it from a platform thread.
     */
    List<GpuEvent> poll(Duration timeout) throws InterruptedException;

    @Override
    void close();
}
