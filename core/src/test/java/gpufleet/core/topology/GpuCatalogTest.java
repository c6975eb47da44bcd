package gpufleet.core.topology;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class GpuCatalogTest {
    @Test
    void devicesProductNamesMapToTheTypeWhoseFiguresTheyHave() {
        Map<String, String> known = Map.of(
                "NVIDIA H100 80GB HBM3", "H100-SXM",
                "NVIDIA H100 80GB HBM3 (simulated)", "H100-SXM",
                "NVIDIA H200", "H200-SXM",
                "NVIDIA A100-SXM4-80GB", "A100-SXM-80GB",
                "NVIDIA B200", "B200",
                "AMD Instinct MI300X", "MI300X",
                "Tesla P100-SXM2-16GB", "P100-SXM2",
                "Tesla V100-SXM2-32GB", "V100-SXM2",
                "h200-sxm", "H200-SXM");
        known.forEach((model, type) ->
                assertThat(GpuCatalog.forModel(model)).as(model).hasValueSatisfying(t -> assertThat(t.name()).isEqualTo(type)));
    }

    @Test
    void otherVariantsAndUnknownModelsAreNone() {
        for (String model : new String[] {"NVIDIA H100 PCIe", "NVIDIA H100 NVL", "NVIDIA H200 NVL", "NVIDIA GH200 480GB",
                "NVIDIA GB200", "NVIDIA A100-SXM4-40GB", "NVIDIA A100 80GB PCIe", "Tesla V100-SXM2-16GB",
                "NVIDIA L40S", "NVIDIA GeForce RTX 4090", "", "   "})
            assertThat(GpuCatalog.forModel(model)).as(model).isEmpty();
        assertThat(GpuCatalog.forModel(null)).isEmpty();
    }
}
