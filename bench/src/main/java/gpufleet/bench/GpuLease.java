package gpufleet.bench;

import com.netflix.fenzo.VirtualMachineLease;
import org.apache.mesos.Protos;

import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * A Fenzo resource offer for {@code gpus} free GPUs of one host, with the host's CPUs and memory in
 * proportion ({@link FenzoFleet#CPUS_PER_GPU}, {@link FenzoFleet#MEM_MB_PER_GPU}), so Fenzo's
 * CPU-and-memory bin packer ranks hosts exactly as a GPU bin packer would. No Mesos offer behind it.
 */
record GpuLease(String id, String host, int gpus, long offeredAt) implements VirtualMachineLease {
    @Override public String getId() { return id; }
    @Override public long getOfferedTime() { return offeredAt; }
    @Override public String hostname() { return host; }
    @Override public String getVMID() { return host; }
    @Override public double cpuCores() { return gpus * FenzoFleet.CPUS_PER_GPU; }
    @Override public double memoryMB() { return gpus * FenzoFleet.MEM_MB_PER_GPU; }
    @Override public double networkMbps() { return 0; }
    @Override public double diskMB() { return 0; }
    @Override public List<Range> portRanges() { return Collections.emptyList(); }
    @Override public Protos.Offer getOffer() { return null; }
    @Override public Map<String, Protos.Attribute> getAttributeMap() { return Collections.emptyMap(); }
    @Override public Double getScalarValue(String name) { return FenzoFleet.GPUS.equals(name) ? (double) gpus : null; }
    @Override public Map<String, Double> getScalarValues() { return Collections.singletonMap(FenzoFleet.GPUS, (double) gpus); }
}
