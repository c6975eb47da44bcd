package gpufleet.bench;

import com.netflix.fenzo.ConstraintEvaluator;
import com.netflix.fenzo.TaskRequest;
import com.netflix.fenzo.VMTaskFitnessCalculator;

import java.util.Collections;
import java.util.List;
import java.util.Map;

/** A Fenzo task that needs {@code gpus} GPUs of one host (as a scalar resource) and their share of CPUs and memory. */
final class GpuTask implements TaskRequest {
    private final String id;
    private final int gpus;
    private final Map<String, Double> scalars;
    private AssignedResources assigned;

    GpuTask(String id, int gpus) {
        this.id = id;
        this.gpus = gpus;
        this.scalars = Collections.singletonMap(FenzoFleet.GPUS, (double) gpus);
    }

    int gpus() { return gpus; }

    @Override public String getId() { return id; }
    @Override public String taskGroupName() { return "bench"; }
    @Override public double getCPUs() { return gpus * FenzoFleet.CPUS_PER_GPU; }
    @Override public double getMemory() { return gpus * FenzoFleet.MEM_MB_PER_GPU; }
    @Override public double getNetworkMbps() { return 0; }
    @Override public double getDisk() { return 0; }
    @Override public int getPorts() { return 0; }
    @Override public Map<String, Double> getScalarRequests() { return scalars; }
    @Override public Map<String, NamedResourceSetRequest> getCustomNamedResources() { return Collections.emptyMap(); }
    @Override public List<? extends ConstraintEvaluator> getHardConstraints() { return Collections.emptyList(); }
    @Override public List<? extends VMTaskFitnessCalculator> getSoftConstraints() { return Collections.emptyList(); }
    @Override public void setAssignedResources(AssignedResources r) { assigned = r; }
    @Override public AssignedResources getAssignedResources() { return assigned; }
}
