package gpufleet.core.testkit;

import gpufleet.core.job.CheckpointPolicy;
import gpufleet.core.job.Job;
import gpufleet.core.job.JobSpec;
import gpufleet.core.job.Parallelism;
import gpufleet.core.job.Priority;
import gpufleet.core.job.Work;

/**
 * Job fixtures, in the style of kube's {@code MakePod()}:
 * {@code Jobs.job(7).gpus(16).tp(8).priority(HIGH).team("a").duration(3600).submit(0).build()}.
 * Defaults: 1 GPU, TP 1, PP 1, normal priority, team "default", one hour, submitted at 0, any GPU
 * type, 3 restarts.
 */
public final class Jobs {
    private Jobs() {}

    public static Builder job(int id) {
        return new Builder(id);
    }

    public static final class Builder {
        private final int id;
        private String name;
        private String team = "default";
        private int gpus = 1, tp = 1, pp = 1, priority = Priority.NORMAL, maxRestarts = 3;
        private double duration = 3600, submit;
        private String gpuType;

        private Builder(int id) {
            this.id = id;
            this.name = "job-" + id;
        }

        public Builder name(String n) { name = n; return this; }
        public Builder gpus(int n) { gpus = n; return this; }
        public Builder tp(int n) { tp = n; return this; }
        public Builder pp(int n) { pp = n; return this; }
        public Builder priority(int p) { priority = p; return this; }
        public Builder team(String t) { team = t; return this; }
        public Builder duration(double seconds) { duration = seconds; return this; }
        public Builder submit(double t) { submit = t; return this; }
        public Builder gpuType(String t) { gpuType = t; return this; }
        public Builder maxRestarts(int n) { maxRestarts = n; return this; }

        public JobSpec spec() {
            return new JobSpec(name, team, Parallelism.of(gpus, tp, pp, 1), new Work.Fixed(duration),
                    CheckpointPolicy.NONE, 60, priority, submit, gpuType, maxRestarts);
        }

        public Job build() {
            return new Job(id, spec());
        }
    }
}
