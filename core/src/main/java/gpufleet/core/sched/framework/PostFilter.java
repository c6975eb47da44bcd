package gpufleet.core.sched.framework;

import gpufleet.core.job.Job;

/**
 * Post-filter: runs when a job found no placement; may make room (preemption). Returns true when
 * the job was started (the plugin adds its decisions and allocates the GPUs).
 */
public interface PostFilter extends Plugin {
    boolean makeRoom(CycleState s, Job job);
}
