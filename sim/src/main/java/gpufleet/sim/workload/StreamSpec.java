package gpufleet.sim.workload;

import java.util.List;

/**
 * A random stream of jobs: Poisson arrivals whose rate is set so that the stream alone would keep
 * {@code load} of the fleet's GPUs busy on average; each job draws a size class by weight, a team by
 * weight, and a log-normal duration from its class.
 *
 * @param name              stream name
 * @param load              offered load as a fraction of the fleet's GPUs (after reserved capacity: the
 *                          GPUs of the workload's explicit jobs are subtracted first)
 * @param teams             teams that submit, with weights
 * @param sizes             size classes
 * @param checkpointIntervalSec seconds between checkpoints (0: Young/Daly automatic)
 * @param checkpointWriteSec    seconds per checkpoint write
 * @param restoreSec            seconds to restore after a restart
 * @param restartSec            restart overhead, seconds
 * @param maxRestarts           interruptions tolerated per job
 * @param source            where the distributions come from
 * @param userFailureShare  share of the stream's jobs that crash for their own reasons (a bug, a bad
 *                          configuration, running out of memory), at a uniformly random point of
 *                          their run; they end failed and nothing they trained counts
 */
public record StreamSpec(String name, double load, List<Weighted> teams, List<SizeClass> sizes,
                         double checkpointIntervalSec, double checkpointWriteSec, double restoreSec,
                         double restartSec, int maxRestarts, String source, double userFailureShare) {

    /** A stream whose jobs fail only through the failure model. */
    public StreamSpec(String name, double load, List<Weighted> teams, List<SizeClass> sizes,
                      double checkpointIntervalSec, double checkpointWriteSec, double restoreSec,
                      double restartSec, int maxRestarts, String source) {
        this(name, load, teams, sizes, checkpointIntervalSec, checkpointWriteSec, restoreSec, restartSec, maxRestarts,
                source, 0);
    }

    /** A name with a weight. */
    public record Weighted(String name, double weight) {
        public Weighted {
            if (name == null || name.isBlank()) throw new IllegalArgumentException("a team needs a name");
            if (!(weight > 0)) throw new IllegalArgumentException("team '" + name + "': weight must be > 0");
        }
    }

    /**
     * A class of jobs of one size.
     *
     * @param gpus         GPUs per job
     * @param tp           tensor-parallel group (GPUs that must share a host)
     * @param weight       relative frequency among the stream's jobs
     * @param medianHours  median run time, hours
     * @param sigma        log-normal shape (standard deviation of ln duration)
     * @param priority     priority name or number
     */
    public record SizeClass(int gpus, int tp, double weight, double medianHours, double sigma, String priority) {
        public SizeClass {
            if (gpus < 1 || gpus > 1_000_000) throw new IllegalArgumentException("size class gpus must be in [1, 1000000], got " + gpus);
            if (tp < 1 || gpus % tp != 0) throw new IllegalArgumentException("size class of " + gpus + " GPUs: tp " + tp + " must divide gpus");
            if (!(weight > 0)) throw new IllegalArgumentException("size class of " + gpus + " GPUs: weight must be > 0");
            if (!(medianHours > 0) || medianHours > 24 * 365)
                throw new IllegalArgumentException("size class of " + gpus + " GPUs: medianHours must be in (0, 8760]");
            if (!(sigma >= 0) || sigma > 5) throw new IllegalArgumentException("size class of " + gpus + " GPUs: sigma must be in [0, 5]");
        }
    }

    public StreamSpec {
        if (name == null || name.isBlank()) name = "stream";
        if (!(load > 0) || load > 5) throw new IllegalArgumentException("stream '" + name + "': load must be in (0, 5], got " + load);
        if (teams == null || teams.isEmpty()) throw new IllegalArgumentException("stream '" + name + "' has no teams");
        if (sizes == null || sizes.isEmpty()) throw new IllegalArgumentException("stream '" + name + "' has no size classes");
        teams = List.copyOf(teams);
        sizes = List.copyOf(sizes);
        if (checkpointIntervalSec < 0 || checkpointWriteSec < 0 || restoreSec < 0 || restartSec < 0)
            throw new IllegalArgumentException("stream '" + name + "': checkpoint and restart times must be >= 0");
        if (maxRestarts < 0) throw new IllegalArgumentException("stream '" + name + "': maxRestarts must be >= 0");
        if (source == null) source = "";
        if (!(userFailureShare >= 0) || userFailureShare > 1)
            throw new IllegalArgumentException("stream '" + name + "': userFailures must be in [0, 1], got " + userFailureShare);
    }
}
