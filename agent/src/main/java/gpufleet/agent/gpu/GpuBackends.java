package gpufleet.agent.gpu;

import java.nio.file.Path;

/** Chooses the agent's GPU backend from its command line. */
public final class GpuBackends {

    /** The GPU count the hint suggests: one HGX board. */
    private static final int SUGGESTED_SIMULATED_GPUS = 8;

    private GpuBackends() {}

    /** {@link #open(int, Path, Path)} with NVML found by name. */
    public static GpuBackend open(int simulateGpus, Path injectDir) {
        return open(simulateGpus, injectDir, null);
    }

    /**
     * {@code simulateGpus > 0} (from {@code --simulate-gpus N}) gives that many simulated GPUs taking
     * XID requests from {@code injectDir}; 0 means the real GPUs, through NVML.
     *
     * @param nvmlLibrary NVML's path, or null to let the dynamic linker find {@code libnvidia-ml.so.1}
     * @throws GpuUnavailableException when NVML cannot be used or sees no GPU; the message suggests
     *     running with {@code --simulate-gpus}, since that is what a developer's machine needs
     */
    public static GpuBackend open(int simulateGpus, Path injectDir, Path nvmlLibrary) {
        if (simulateGpus < 0) {
            throw new IllegalArgumentException("--simulate-gpus must be >= 0, not " + simulateGpus);
        }
        if (simulateGpus > 0) {
            return new SimulatedGpus(simulateGpus, SimulatedGpus.DEFAULT_MODEL, injectDir);
        }
        String hint = "; on a host without NVIDIA GPUs run the agent with --simulate-gpus " + SUGGESTED_SIMULATED_GPUS;
        Nvml nvml;
        try {
            nvml = Nvml.open(nvmlLibrary);
        } catch (NvmlException e) {
            throw new GpuUnavailableException(e.getMessage() + hint, e);
        }
        if (nvml.gpus().isEmpty()) {
            String driver = nvml.describe();
            nvml.close();
            throw new GpuUnavailableException("NVML sees no GPUs (" + driver + ")" + hint, null);
        }
        return nvml;
    }
}
