package gpufleet.server.control;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The controller's own thread: a tick every period (liveness, then a cycle), a cycle soon after
 * each change, and a cycle when the policy asked for one ({@link #wakeAt}: a least-attained-service
 * demotion is due before the next tick). One platform thread, so cycles never overlap. In manual mode
 * changes and wake-ups start nothing and whoever drives the controller runs every cycle.
 */
final class SchedulingLoop {
    private final ScheduledExecutorService loop = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "gpufleet-scheduler");
        t.setDaemon(true);
        return t;
    });
    private final Runnable tick, afterChange;
    private volatile boolean manual, stopped;
    /** When the earliest wake-up still to come is due, on the controller's clock (seconds); NaN for none. */
    private double wakeDue = Double.NaN;

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

    /**
     * The policy wants a cycle at {@code at} even if nothing else happens; {@code now} and {@code at} are
     * the controller's clock (seconds), so the wait is their difference. Only the earliest wake-up is
     * kept: a later one is asked for again by the cycle the earlier one runs.
     */
    synchronized void wakeAt(double at, double now) {
        if (stopped || manual || !(at > now) || at == Double.POSITIVE_INFINITY) return;
        if (!Double.isNaN(wakeDue) && wakeDue > now && wakeDue <= at) return;
        wakeDue = at;
        long delayMs = (long) Math.ceil(Math.max(0, at - now) * 1000);
        try {
            loop.schedule(() -> {
                synchronized (this) {
                    if (wakeDue == at) wakeDue = Double.NaN;
                }
                afterChange.run();
            }, delayMs, TimeUnit.MILLISECONDS);
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
