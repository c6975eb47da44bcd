package gpufleet.server.control;

import gpufleet.core.lifecycle.LifecycleEvent;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Fault injection for crash tests: the moment a crash hurts most, right after a scheduling cycle has
 * committed jobs' starts (state, placement, new generation) and before any agent has heard of them. A
 * controller that restarts from there must launch what was committed, once.
 *
 * <p>Off unless the controller's JVM is started with {@code -Dgpufleet.crash.afterStartCommit=N}: the
 * N-th such commit in that process then halts it ({@link Runtime#halt}: no shutdown hooks, nothing
 * more written, as after SIGKILL) with {@link #EXIT_STATUS}, after one line on standard error. A test
 * that picks N from a seed replays the same crash point on every run.
 */
public final class CrashPoint {
    /** The system property naming the start commit to halt after (1 = the first); unset or 0: never. */
    public static final String AFTER_START_COMMIT = "gpufleet.crash.afterStartCommit";
    /** The exit status of a controller halted here: SIGKILL's. */
    public static final int EXIT_STATUS = 137;
    /** The start of the line written before halting: the commit's number and the started jobs' ids follow. */
    public static final String MESSAGE = "crash injected after start commit ";

    private static final long HALT_AT = Long.getLong(AFTER_START_COMMIT, 0);
    private static final AtomicLong startCommits = new AtomicLong();

    private CrashPoint() {}

    /** A cycle's commit of {@code events} is durable; nothing is told to agents yet. */
    static void afterCommit(List<LifecycleEvent> events) {
        if (HALT_AT <= 0) return;
        List<String> started = events.stream().filter(LifecycleEvent.Started.class::isInstance)
                .map(e -> Integer.toString(e.job().id())).toList();
        if (started.isEmpty() || startCommits.incrementAndGet() != HALT_AT) return;
        System.err.println(MESSAGE + HALT_AT + ", which started jobs " + String.join(",", started));
        System.err.flush();
        Runtime.getRuntime().halt(EXIT_STATUS);
    }
}
