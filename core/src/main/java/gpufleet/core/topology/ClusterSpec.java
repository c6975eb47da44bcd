package gpufleet.core.topology;

/**
 * One cluster as an operator describes it: a homogeneous block of hosts on one fabric. Hosts are
 * grouped into racks, racks into zones (a non-blocking Clos inside the zone), zones joined by a spine
 * that may be oversubscribed. The last rack and zone may be partial.
 *
 * @param name                 cluster name, unique in the fleet
 * @param datacenter           site name (clusters in different datacenters never share a job)
 * @param gpuType              GPU model name from {@link GpuCatalog}
 * @param hosts                number of hosts
 * @param gpusPerHost          GPUs per host, all in one NVLink domain
 * @param hostsPerRack         hosts under one rack switch
 * @param racksPerZone         racks in one non-blocking zone
 * @param nicGbpsPerGpu        scale-out bandwidth per GPU, Gbit/s
 * @param spineOversubscription ratio of zone injection bandwidth to zone uplink bandwidth (1 = non-blocking)
 * @param spareHosts           hosts kept idle as hot spares, used only to restart interrupted jobs
 * @param gpuHourUsd           price of one GPU-hour, USD
 * @param wattsPerGpu          facility power per GPU, W (GPU, its share of the host and network, and cooling)
 */
public record ClusterSpec(String name, String datacenter, String gpuType, int hosts, int gpusPerHost,
                          int hostsPerRack, int racksPerZone, double nicGbpsPerGpu,
                          double spineOversubscription, int spareHosts, double gpuHourUsd,
                          double wattsPerGpu) {

    public static final int MAX_GPUS_PER_HOST = 64;

    public ClusterSpec {
        String where = "cluster '" + name + "'";
        if (name == null || name.isBlank()) throw new IllegalArgumentException("a cluster needs a name");
        if (datacenter == null || datacenter.isBlank()) datacenter = name;
        GpuCatalog.get(gpuType);
        requireRange(where, "hosts", hosts, 1, 1_000_000);
        requireRange(where, "gpusPerHost", gpusPerHost, 1, MAX_GPUS_PER_HOST);
        requireRange(where, "hostsPerRack", hostsPerRack, 1, 4096);
        requireRange(where, "racksPerZone", racksPerZone, 1, 100_000);
        requireRange(where, "spareHosts", spareHosts, 0, hosts - 1);
        if (!(nicGbpsPerGpu > 0) || nicGbpsPerGpu > 1e5)
            throw new IllegalArgumentException(where + ": nicGbpsPerGpu must be in (0, 100000], got " + nicGbpsPerGpu);
        if (!(spineOversubscription >= 1) || spineOversubscription > 1000)
            throw new IllegalArgumentException(where + ": spineOversubscription must be in [1, 1000], got " + spineOversubscription);
        if (!(gpuHourUsd >= 0) || gpuHourUsd > 1000)
            throw new IllegalArgumentException(where + ": gpuHourUsd must be in [0, 1000], got " + gpuHourUsd);
        if (!(wattsPerGpu > 0) || wattsPerGpu > 100_000)
            throw new IllegalArgumentException(where + ": wattsPerGpu must be in (0, 100000], got " + wattsPerGpu);
    }

    private static void requireRange(String where, String field, long v, long lo, long hi) {
        if (v < lo || v > hi)
            throw new IllegalArgumentException(where + ": " + field + " must be in [" + lo + ", " + hi + "], got " + v);
    }

    public int gpus() {
        return hosts * gpusPerHost;
    }

    public GpuType type() {
        return GpuCatalog.get(gpuType);
    }

    public int racks() {
        return (hosts + hostsPerRack - 1) / hostsPerRack;
    }

    public int zones() {
        return (racks() + racksPerZone - 1) / racksPerZone;
    }
}
