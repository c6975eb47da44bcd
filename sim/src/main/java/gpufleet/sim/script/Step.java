package gpufleet.sim.script;

/**
 * One event of a script, at a time in seconds. Hosts are named; jobs are numbered from 1 in the
 * order they are submitted, as the controller numbers them.
 */
public sealed interface Step {
    double time();

    /** A job arrives; {@code timeLimit} in seconds, or null for none. */
    record Submit(double time, String name, String team, int gpus, int tp, int priority, int maxRestarts, Long timeLimit)
            implements Step {}

    /** Every rank of the job's current run exits with 0. */
    record Complete(double time, int job) implements Step {}

    /** A rank of the job's current run exits with an error: the job's own fault (it backs off). */
    record RankFails(double time, int job) implements Step {}

    /** The job is cancelled. */
    record Cancel(double time, int job) implements Step {}

    /** A host is lost (its agent fenced or silent): its jobs restart elsewhere. */
    record HostLost(double time, String host) implements Step {}

    /** One GPU of a host fails: the host is drained, and the job on that GPU restarts elsewhere. */
    record GpuFails(double time, String host, int gpu) implements Step {}

    /** An operator drains a host: no new work, running jobs stay. */
    record Drain(double time, String host) implements Step {}

    /** An operator puts a host back into service (a lost or failed one included). */
    record Resume(double time, String host) implements Step {}
}
