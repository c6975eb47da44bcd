package gpufleet.core.sched.framework;

/**
 * Post-cycle: a pass after every waiting job had its turn, over running and still-waiting jobs
 * together ({@link CycleState#candidates()}): the rank pass, a Tiresias-style walk. It may preempt
 * and start jobs, and may ask for a cycle at a later time ({@link CycleState#wakeAt}).
 */
public interface PostCycle extends Plugin {
    void postCycle(CycleState s);
}
