package gpufleet.core.job;

import java.util.EnumSet;
import java.util.Set;

/**
 * The life of a job. Waiting states ({@link #PENDING}, {@link #RESTARTING}, {@link #PREEMPTED}) are
 * in the scheduler's queue; {@link #RUNNING} holds GPUs; the last three are terminal.
 *
 * <pre>
 *   PENDING ──start──▶ RUNNING ──finish──▶ COMPLETED
 *      │                 │  │  └──fail (error / restarts exhausted)──▶ FAILED
 *      │                 │  └──hardware or software interruption──▶ RESTARTING ──start──▶ RUNNING
 *      │                 └──preempted by higher priority──▶ PREEMPTED ──start──▶ RUNNING
 *      └─reject (can never fit)─▶ FAILED        any non-terminal ──cancel──▶ CANCELLED
 * </pre>
 */
public enum JobState {
    PENDING, RUNNING, RESTARTING, PREEMPTED, COMPLETED, FAILED, CANCELLED;

    public boolean isTerminal() {
        return this == COMPLETED || this == FAILED || this == CANCELLED;
    }

    public boolean isWaiting() {
        return this == PENDING || this == RESTARTING || this == PREEMPTED;
    }

    public Set<JobState> next() {
        return switch (this) {
            case PENDING -> EnumSet.of(RUNNING, FAILED, CANCELLED);
            case RUNNING -> EnumSet.of(COMPLETED, FAILED, CANCELLED, RESTARTING, PREEMPTED);
            case RESTARTING, PREEMPTED -> EnumSet.of(RUNNING, FAILED, CANCELLED);
            case COMPLETED, FAILED, CANCELLED -> EnumSet.noneOf(JobState.class);
        };
    }

    public boolean canMoveTo(JobState to) {
        return next().contains(to);
    }
}
