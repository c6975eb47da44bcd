package gpufleet.sim.engine;

import gpufleet.core.failure.FailureCause;
import gpufleet.core.failure.FailureModel;
import gpufleet.core.topology.Topology;

import java.util.SplittableRandom;

/**
 * Where the twin's failures land. With a {@linkplain FailureModel#uniform() uniform} model every
 * GPU (or host) of the fleet is equally likely, drawn exactly as the twin always has. Otherwise a
 * cause's fleet rate is the sum over clusters of its rate on the cluster's GPU generation, and a
 * failure picks a cluster by that weight, then a lemon or another host by their weights
 * ({@link FailureModel.Heterogeneity#hostFactors()}), then a host of that kind at random.
 * Job-scope causes break no hardware and ignore lemons.
 */
final class FailureInjector {
    /** The cause an early break after a start is reported under. */
    static final FailureCause JOB_START = new FailureCause("job-start", FailureCause.Scope.JOB, 0, 0, false,
            "the failure model's start risk");

    private final Topology topo;
    private final FailureModel model;
    private final boolean uniform;
    private final boolean[] lemon;
    private final int[][] lemons, others; // per cluster
    private final double lemonWeight, otherWeight;
    private final double[][] clusterCum; // per cause, cumulative fleet rate per second over clusters
    private final double[] ratePerSec;    // per cause
    private final SplittableRandom startRng;

    FailureInjector(Topology topo, FailureModel model, Streams streams) {
        this.topo = topo;
        this.model = model;
        this.uniform = model.uniform();
        var causes = model.causes();
        ratePerSec = new double[causes.size()];
        clusterCum = new double[causes.size()][];
        startRng = streams.stream("failure-start");
        int nc = topo.clusterCount();
        double[] hf = model.heterogeneity().hostFactors();
        lemonWeight = hf[0];
        otherWeight = hf[1];
        lemon = new boolean[topo.hostCount()];
        lemons = new int[nc][];
        others = new int[nc][];
        double share = model.heterogeneity().lemonFactor() == 1 ? 0 : model.heterogeneity().lemonShare();
        SplittableRandom pick = streams.stream("failure-lemons");
        for (int c = 0; c < nc; c++) {
            int first = topo.firstHostOfCluster(c), n = topo.endHostOfCluster(c) - first;
            int nl = (int) Math.round(share * n);
            int[] ids = new int[n];
            for (int i = 0; i < n; i++) ids[i] = first + i;
            for (int i = 0; i < nl; i++) { // partial Fisher-Yates: the first nl are the lemons
                int j = i + pick.nextInt(n - i);
                int x = ids[i]; ids[i] = ids[j]; ids[j] = x;
                lemon[ids[i]] = true;
            }
            lemons[c] = java.util.Arrays.copyOfRange(ids, 0, nl);
            others[c] = java.util.Arrays.copyOfRange(ids, nl, n);
            java.util.Arrays.sort(lemons[c]);
            java.util.Arrays.sort(others[c]);
        }
        for (int i = 0; i < causes.size(); i++) {
            FailureCause cause = causes.get(i);
            if (uniform) {
                double units = cause.scope() == FailureCause.Scope.HOST ? topo.hostCount() : topo.totalGpus();
                ratePerSec[i] = cause.ratePerDay() * units / 86_400;
                continue;
            }
            double[] cum = new double[nc];
            double sum = 0;
            for (int c = 0; c < nc; c++) {
                var cs = topo.cluster(c);
                double perHost = cause.scope() == FailureCause.Scope.HOST ? 1 : cs.gpusPerHost();
                double hosts = cause.scope() == FailureCause.Scope.JOB ? lemons[c].length + others[c].length
                        : lemons[c].length * lemonWeight + others[c].length * otherWeight;
                sum += cause.ratePerDay(cs.gpuType()) * perHost * hosts / 86_400;
                cum[c] = sum;
            }
            clusterCum[i] = cum;
            ratePerSec[i] = sum;
        }
    }

    /** Failures per second of cause {@code i} over the whole fleet. */
    double ratePerSec(int i) {
        return ratePerSec[i];
    }

    /** Whether host {@code h} is one of the lemons. */
    boolean isLemon(int h) {
        return lemon[h];
    }

    /** The GPU (fleet-wide index) that a GPU- or job-scope failure of cause {@code i} hits. */
    int pickGpu(int i, SplittableRandom rng) {
        if (uniform) return rng.nextInt(topo.totalGpus());
        int h = pickHost(i, rng);
        return topo.firstGpu(h) + rng.nextInt(topo.cluster(topo.clusterOfHost(h)).gpusPerHost());
    }

    /** The host that a failure of cause {@code i} hits. */
    int pickHost(int i, SplittableRandom rng) {
        if (uniform) return rng.nextInt(topo.hostCount());
        double[] cum = clusterCum[i];
        double u = rng.nextDouble() * cum[cum.length - 1];
        int c = 0;
        while (c < cum.length - 1 && u >= cum[c]) c++;
        int[] l = lemons[c], o = others[c];
        boolean job = model.causes().get(i).scope() == FailureCause.Scope.JOB;
        double wl = l.length * (job ? 1 : lemonWeight), wo = o.length * (job ? 1 : otherWeight);
        if (l.length > 0 && (o.length == 0 || rng.nextDouble() * (wl + wo) < wl)) return l[rng.nextInt(l.length)];
        return o[rng.nextInt(o.length)];
    }

    /**
     * The time after a run's start at which it breaks because of the start risk, or NaN when it
     * does not; a run on more hosts is more likely to meet a bad one.
     */
    double startBreak(int hosts) {
        double p = model.heterogeneity().startFailure(hosts);
        if (p == 0 || startRng.nextDouble() >= p) return Double.NaN;
        return startRng.nextDouble() * model.heterogeneity().startWindowSec();
    }
}
