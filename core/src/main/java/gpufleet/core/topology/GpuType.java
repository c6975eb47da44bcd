package gpufleet.core.topology;

/**
 * One GPU model as its datasheet describes it. Figures are per GPU, dense (no sparsity).
 *
 * @param name          short name used in files and on the command line (e.g. {@code H100-SXM})
 * @param bf16Tflops    peak dense BF16 tensor throughput, TFLOP/s
 * @param fp8Tflops     peak dense FP8 tensor throughput, TFLOP/s (0 where the GPU has none)
 * @param hbmGib        HBM capacity, GB as the datasheet states it
 * @param hbmTBps       HBM bandwidth, TB/s
 * @param nvlinkGBps    NVLink bandwidth per GPU, GB/s, both directions together as datasheets state it
 * @param tdpWatts      maximum board power, W
 * @param source        where the figures come from
 */
public record GpuType(String name, double bf16Tflops, double fp8Tflops, double hbmGib, double hbmTBps,
                      double nvlinkGBps, double tdpWatts, String source) {

    /** The H100 SXM's dense BF16 peak: the unit of "H100-equivalents". */
    public static final double H100_BF16_TFLOPS = 989.0;

    public GpuType {
        if (name == null || name.isBlank()) throw new IllegalArgumentException("GPU type needs a name");
        if (bf16Tflops <= 0) throw new IllegalArgumentException("GPU type " + name + ": bf16Tflops must be > 0");
        if (fp8Tflops < 0 || hbmGib <= 0 || hbmTBps <= 0 || nvlinkGBps < 0 || tdpWatts <= 0)
            throw new IllegalArgumentException("GPU type " + name + ": figures must be positive");
    }

    /** Throughput relative to an H100 SXM, by dense BF16 peak. */
    public double h100Equivalents() {
        return bf16Tflops / H100_BF16_TFLOPS;
    }
}
