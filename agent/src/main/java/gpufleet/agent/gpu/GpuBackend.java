package gpufleet.agent.gpu;

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
     * Health events since the last call, waiting up to {@code timeout} for the first one. Blocks in
     * native code on a real host: call it from a platform thread.
     */
    List<GpuEvent> poll(Duration timeout) throws InterruptedException;

    @Override
    void close();
}
