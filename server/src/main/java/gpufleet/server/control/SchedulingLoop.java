package gpufleet.server.control;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The controller's own thread: a tick every period (liveness, then a cycle) and a cycle soon after
 * each change. One platform thread, so cycles never overlap. In manual mode changes start nothing and
 * whoever drives the controller runs every cycle.
 */
final class SchedulingLoop {
    private final ScheduledExecutorService loop = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "gpufleet-scheduler");
        t.setDaemon(true);
        return t;
    });
    private final Runnable tick, afterChange;
    private volatile boolean manual, stopped;

    SchedulingLoop(Runnable tick, Runnable afterChange) {
        this.tick = tick;
        this.afterChange = afterChange;
    }

    void start(Duration period) {
        loop.scheduleWithFixedDelay(tick, 0, period.toMillis(), TimeUnit.MILLISECONDS);
    }

    void manual() {
        manual = true;
    }

    /** Something changed: run a cycle soon. */
    void trigger() {
        if (stopped || manual) return;
        try {
            loop.execute(afterChange);
        } catch (RejectedExecutionException e) {
            // shutting down
        }
    }

    void stop() {
        stopped = true;
        loop.shutdownNow();
    }

    void awaitStopped(Duration d) throws InterruptedException {
        loop.awaitTermination(d.toMillis(), TimeUnit.MILLISECONDS);
    }
}
