package gpufleet.core.sched.plugin;

import gpufleet.core.job.Job;
import gpufleet.core.job.JobSpec;
import gpufleet.core.sched.GangPlacer;
import gpufleet.core.sched.framework.CycleState;
import gpufleet.core.sched.framework.PreFilter;
import gpufleet.core.sched.framework.Status;
import gpufleet.core.topology.Topology;

/** Admission: a job no cluster of the fleet could ever hold is rejected, with the reason. */
public record Admission() implements PreFilter {
    @Override public String name() { return "admission"; }

    @Override
    public Status preFilter(CycleState s, Job job) {
        for (int c = 0; c < s.topology().clusterCount(); c++) if (s.placer().eligible(job, c)) return Status.OK;
        String never = error(s.placer(), s.topology(), job.spec());
        return never == null ? Status.OK : Status.rejected(never);
    }

    /** Why a job of this spec can never run on this fleet, or null if some cluster could hold it. */
    public static String error(GangPlacer placer, Topology topo, JobSpec s) {
        for (int c = 0; c < topo.clusterCount(); c++) if (placer.eligible(s, c)) return null;
        int maxHost = 0;
        long maxCluster = 0;
        for (var c : topo.clusters()) {
            if (s.gpuType() != null && !c.gpuType().equalsIgnoreCase(s.gpuType())) continue;
            if (s.cluster() != null && !c.name().equals(s.cluster())) continue;
            maxHost = Math.max(maxHost, c.gpusPerHost());
            maxCluster = Math.max(maxCluster, (long) (c.hosts() - c.spareHosts()) * c.gpusPerHost());
        }
        if (maxCluster == 0)
            return s.cluster() != null && s.gpuType() == null ? "no cluster is named " + s.cluster()
                    : "no cluster" + (s.cluster() != null ? " named " + s.cluster() : "") + " has GPU type " + s.gpuType();
        if (s.unit() > maxHost)
            return "tensor-parallel group of " + s.unit() + " GPUs is larger than a host (" + maxHost + " GPUs)";
        return "needs " + s.gpus() + " GPUs; the largest eligible cluster has " + maxCluster;
    }
}
