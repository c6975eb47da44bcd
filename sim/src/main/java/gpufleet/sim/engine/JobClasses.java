package gpufleet.sim.engine;

import gpufleet.sim.report.SimReport;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The outcome mix and the GPU time of each class of jobs: an explicit job is a class of its own, a
 * stream's jobs form one class per size ({@code research-8g}). GPU time held is split into
 * productive work, checkpoint stalls, work lost to interruptions, restarts after interruptions,
 * resumes after preemptions, and the work of jobs that crashed for their own reasons (lost too:
 * nothing they trained is kept).
 */
final class JobClasses {
    private static final class Acc {
        long submitted, completed, crashed, failed, rejected;
        double heldGpuSec, productiveGpuSec, checkpointGpuSec, lostGpuSec, startupGpuSec, preemptionGpuSec,
                crashedGpuSec;
        long preemptions;
    }

    private final Map<String, Acc> classes = new TreeMap<>();

    private Acc of(Track tr) {
        return classes.computeIfAbsent(tr.job.spec().name(), k -> new Acc());
    }

    void submitted(Track tr) {
        of(tr).submitted++;
    }

    void account(Track tr, double held, double work, double ckpt, double lost, double startup) {
        Acc a = of(tr);
        int g = tr.job.gpus();
        a.heldGpuSec += held * g;
        a.productiveGpuSec += work * g;
        a.checkpointGpuSec += ckpt * g;
        a.lostGpuSec += lost * g;
        a.startupGpuSec += startup * g;
    }

    /** A preemption whose resume will cost {@code resumeSec} on the job's GPUs. */
    void preempted(Track tr, double resumeSec) {
        Acc a = of(tr);
        a.preemptions++;
        a.preemptionGpuSec += resumeSec * tr.job.gpus();
    }

    void completed(Track tr) {
        of(tr).completed++;
    }

    /** The job crashed for its own reasons: everything it trained is lost. */
    void crashed(Track tr) {
        Acc a = of(tr);
        a.crashed++;
        a.crashedGpuSec += tr.productive * tr.job.gpus();
    }

    /** The job ran out of restarts after interruptions. */
    void failed(Track tr) {
        of(tr).failed++;
    }

    void rejected(Track tr) {
        of(tr).rejected++;
    }

    List<SimReport.JobClassRow> rows() {
        var out = new ArrayList<SimReport.JobClassRow>();
        classes.forEach((name, a) -> {
            double preempt = Math.min(a.preemptionGpuSec, a.startupGpuSec);
            out.add(new SimReport.JobClassRow(name, a.submitted, a.completed, a.crashed, a.failed, a.rejected,
                    a.submitted - a.completed - a.crashed - a.failed - a.rejected, a.heldGpuSec / 3600,
                    (a.productiveGpuSec - a.crashedGpuSec) / 3600, a.checkpointGpuSec / 3600,
                    (a.lostGpuSec + a.startupGpuSec - preempt) / 3600, preempt / 3600, a.crashedGpuSec / 3600,
                    a.preemptions));
        });
        return out;
    }
}
