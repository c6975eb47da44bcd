package gpufleet.core.topology;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/** The GPU models gpufleet knows, each figure from the vendor's public datasheet. */
public final class GpuCatalog {
    private static final Map<String, GpuType> TYPES = new LinkedHashMap<>();

    static {
        add(new GpuType("H100-SXM", 989, 1979, 80, 3.35, 900, 700,
                "NVIDIA H100 Tensor Core GPU datasheet (SXM5): BF16 1,979 TFLOPS and FP8 3,958 TFLOPS with "
                        + "sparsity (half dense), 80 GB HBM3 at 3.35 TB/s, NVLink 900 GB/s, up to 700 W"));
        add(new GpuType("H200-SXM", 989, 1979, 141, 4.8, 900, 700,
                "NVIDIA H200 Tensor Core GPU datasheet (SXM): same tensor peaks as H100 SXM, 141 GB HBM3e at "
                        + "4.8 TB/s, NVLink 900 GB/s, up to 700 W"));
        add(new GpuType("A100-SXM-80GB", 312, 0, 80, 2.039, 600, 400,
                "NVIDIA A100 Tensor Core GPU datasheet (SXM4 80GB): BF16 312 TFLOPS dense, no FP8, "
                        + "80 GB HBM2e at 2,039 GB/s, NVLink 600 GB/s, 400 W"));
        add(new GpuType("B200", 2250, 4500, 180, 8.0, 1800, 1000,
                "NVIDIA HGX B200 datasheet: 8 GPUs with 36 PFLOPS BF16 and 72 PFLOPS FP8 with sparsity "
                        + "(per GPU dense: 2.25 / 4.5 PFLOPS), 1,440 GB HBM3e in all (180 GB per GPU) at 8 TB/s "
                        + "per GPU, NVLink 5 at 1.8 TB/s per GPU, 1,000 W per GPU"));
        add(new GpuType("MI300X", 1307, 2615, 192, 5.3, 896, 750,
                "AMD Instinct MI300X datasheet: BF16 1,307.4 TFLOPS and FP8 2,614.9 TFLOPS dense, "
                        + "192 GB HBM3 at 5.3 TB/s, Infinity Fabric 896 GB/s peak, 750 W"));
        add(new GpuType("P100-SXM2", 21.2, 0, 16, 0.732, 160, 300,
                "NVIDIA Tesla P100 datasheet (SXM2): 21.2 TFLOPS FP16 (no BF16 or tensor cores: FP16 figure "
                        + "used), 16 GB HBM2 at 732 GB/s, NVLink 160 GB/s, 300 W"));
        add(new GpuType("V100-SXM2", 125, 0, 32, 0.9, 300, 300,
                "NVIDIA V100 datasheet (SXM2): 125 TFLOPS deep-learning (FP16 tensor) peak, no BF16 units "
                        + "(FP16 figure used), 32 GB HBM2 at 900 GB/s, NVLink 300 GB/s, 300 W"));
    }

    private GpuCatalog() {}

    private static void add(GpuType t) {
        TYPES.put(t.name(), t);
    }

    public static Optional<GpuType> find(String name) {
        if (name == null) return Optional.empty();
        GpuType t = TYPES.get(name);
        if (t != null) return Optional.of(t);
        return TYPES.values().stream().filter(x -> x.name().equalsIgnoreCase(name)).findFirst();
    }

    /** The type of this name, or an error that lists the known names. */
    public static GpuType get(String name) {
        return find(name).orElseThrow(() -> new IllegalArgumentException(
                "unknown GPU type '" + name + "'; known: " + String.join(", ", TYPES.keySet())));
    }

    private record ModelRule(Pattern model, String type) {}

    private static final List<ModelRule> MODELS = List.of(
            new ModelRule(Pattern.compile("(?<![A-Z0-9])H100(?!.*(PCIE|NVL)).*(HBM3|SXM)"), "H100-SXM"),
            new ModelRule(Pattern.compile("(?<![A-Z0-9])H200(?!.*(PCIE|NVL))"), "H200-SXM"),
            new ModelRule(Pattern.compile("(?<![A-Z0-9])A100[- ]SXM4?[- ]80GB"), "A100-SXM-80GB"),
            new ModelRule(Pattern.compile("(?<![A-Z0-9])B200(?!.*NVL)"), "B200"),
            new ModelRule(Pattern.compile("(?<![A-Z0-9])MI300X"), "MI300X"),
            new ModelRule(Pattern.compile("(?<![A-Z0-9])P100[- ]SXM2"), "P100-SXM2"),
            new ModelRule(Pattern.compile("(?<![A-Z0-9])V100[- ]SXM2[- ]32GB"), "V100-SXM2"));

    /**
     * The type of a device that calls itself {@code model} (NVML's and ROCm's product names, e.g.
     * {@code NVIDIA H100 80GB HBM3}, {@code NVIDIA A100-SXM4-80GB}, {@code AMD Instinct MI300X}), or
     * empty when it is none of the types above. A name matches only the variant whose figures the type
     * holds: an H100 PCIe or NVL card, or an A100 with 40 GB, is none of them, and a GH200 or GB200 is
     * not an H200 or B200.
     */
    public static Optional<GpuType> forModel(String model) {
        if (model == null || model.isBlank()) return Optional.empty();
        Optional<GpuType> named = find(model.strip());
        if (named.isPresent()) return named;
        String m = model.toUpperCase(java.util.Locale.ROOT);
        for (ModelRule r : MODELS) if (r.model().matcher(m).find()) return find(r.type());
        return Optional.empty();
    }

    public static List<GpuType> all() {
        return List.copyOf(TYPES.values());
    }
}
