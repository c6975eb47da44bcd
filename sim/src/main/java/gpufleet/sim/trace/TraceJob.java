package gpufleet.sim.trace;

/**
 * One job of a real cluster trace, as a replay submits it.
 *
 * @param id         dense index 0..n-1 in submit order (ties broken by line in the file)
 * @param name       the trace's own job id, or a name generated from the source line
 * @param submitTime seconds from the trace's first submission (see {@link Trace#epoch()}), {@code >= 0}
 * @param duration   seconds of run time, {@code > 0}
 * @param gpus       GPUs held while running, {@code >= 1}
 * @param group      team, virtual cluster or queue label; {@code "default"} when the trace has none
 * @param sourceLine 1-based line of the file the job was read from
 */
public record TraceJob(int id, String name, double submitTime, double duration, int gpus, String group,
                       int sourceLine) {
    public TraceJob {
        if (id < 0) throw new IllegalArgumentException("job id must be >= 0, got " + id);
        if (name == null || name.isBlank()) throw new IllegalArgumentException("job " + id + " needs a name");
        if (!Double.isFinite(submitTime) || submitTime < 0)
            throw new IllegalArgumentException("job '" + name + "': submit time must be finite and >= 0, got " + submitTime);
        if (!Double.isFinite(duration) || duration <= 0)
            throw new IllegalArgumentException("job '" + name + "': duration must be finite and > 0, got " + duration);
        if (gpus < 1) throw new IllegalArgumentException("job '" + name + "': gpus must be >= 1, got " + gpus);
        if (group == null || group.isBlank()) throw new IllegalArgumentException("job '" + name + "' needs a group");
        if (sourceLine < 1) throw new IllegalArgumentException("job '" + name + "': source line must be >= 1, got " + sourceLine);
    }

    /** GPU-seconds the job consumes: {@code duration * gpus}. */
    public double gpuSeconds() {
        return duration * gpus;
    }
}
