package gpufleet.server.control;

import gpufleet.core.lifecycle.RestartRule;
import gpufleet.protocol.TaskReport;
import gpufleet.server.store.JobRecord;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The hang detector, one rule in one place: a run that has reported progress (any line a rank appended to
 * its {@code $GPUFLEET_PROGRESS_FILE}, the channel that reports checkpoints) and then reports none for
 * {@code --hang-timeout} is hung. A collective that stalls stops every rank of the gang at once, and
 * neither the agent's heartbeat nor the ranks' exit says so; NCCL's own timeout takes about ten minutes.
 *
 * <p>The agents report times (the progress file's modification time at their read), and the controller
 * decides from the newest over the run's hosts, on its own clock: hosts' clocks must agree with the
 * controller's to well within the timeout (as NTP keeps them), as they must for checkpoint times. A time
 * ahead of the controller's clock counts as now. A run that never reported progress is never hung: the
 * detector is for jobs that opt in. Progress is kept per run (job and generation), so a late report of
 * an earlier run never makes its successor look old. Reports are noted without the controller's lock;
 * {@link #hung} runs under it.
 */
final class HangWatch {
    /** The newest progress of a job's run, epoch seconds. */
    private record Progress(long generation, double time) {}

    private final double timeoutSec;
    private final ConcurrentHashMap<Integer, Progress> progress = new ConcurrentHashMap<>();

    /** {@code timeoutSec} 0: off, nothing is ever hung. */
    HangWatch(double timeoutSec) {
        if (!(timeoutSec >= 0)) throw new IllegalArgumentException("the hang timeout must be >= 0 seconds, got " + timeoutSec);
        this.timeoutSec = timeoutSec;
    }

    boolean on() {
        return timeoutSec > 0;
    }

    double timeoutSec() {
        return timeoutSec;
    }

    /** Notes the progress a heartbeat's task report carries, heard at {@code now}. */
    void heard(TaskReport t, double now) {
        if (!on() || t.progressTime() == null) return;
        Progress p = new Progress(t.generation(), Math.min(t.progressTime(), now));
        progress.merge((int) t.job(), p, (old, neu) -> neu.generation() > old.generation() ? neu
                : neu.generation() < old.generation() || neu.time() <= old.time() ? old : neu);
    }

    /**
     * The running jobs whose current run is hung at {@code now}: it reported progress, and its newest is
     * {@code --hang-timeout} old or older. Forgets what is known of runs that no longer run.
     */
    List<Integer> hung(Collection<JobRecord> running, double now) {
        if (!on()) return List.of();
        List<Integer> out = new ArrayList<>();
        var current = new java.util.HashMap<Integer, Long>();
        for (JobRecord r : running) current.put(Math.toIntExact(r.id()), r.generation());
        progress.entrySet().removeIf(e -> {
            Long g = current.get(e.getKey());
            return g == null || e.getValue().generation() < g;
        });
        for (JobRecord r : running) {
            Progress p = progress.get(Math.toIntExact(r.id()));
            if (p != null && p.generation() == r.generation() && now - p.time() >= timeoutSec) out.add(Math.toIntExact(r.id()));
        }
        return out;
    }

    /**
     * Stops the gang of every hung run (the caller holds the controller's lock): the job restarts at once
     * from its newest checkpoint, as after a lost part. A hang is taken as a fault of the machinery (a
     * stalled collective behind a faulty GPU, link or peer that nothing else caught), not of the job's
     * own code, which shows as a rank's exit; a job that hangs every time still spends its restarts.
     * Returns how many gangs it stopped.
     */
    int stopHung(LiveView view, double now) {
        List<Integer> hung = hung(view.runningRecords.values(), now);
        for (int job : hung) {
            JobRecord r = view.runningRecords.get(job);
            double quiet = now - lastProgress(job, r.generation());
            // whole seconds, rounded down: "for N s" stays true
            view.interrupt(job, "no progress reported for " + (long) quiet + " s (hang timeout " + seconds(timeoutSec) + " s)",
                    "HUNG", now, RestartRule.Fault.HARDWARE);
        }
        return hung.size();
    }

    /** The newest progress job {@code id}'s run {@code generation} reported, epoch seconds, or null. */
    Double lastProgress(long id, long generation) {
        Progress p = progress.get(Math.toIntExact(id));
        return p == null || p.generation() != generation ? null : p.time();
    }

    private static String seconds(double s) {
        return s == Math.rint(s) ? Long.toString((long) s) : Double.toString(s);
    }
}
