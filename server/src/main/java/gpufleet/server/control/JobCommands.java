package gpufleet.server.control;

import gpufleet.core.lifecycle.LifecycleEvent;
import gpufleet.protocol.ErrorCode;
import gpufleet.server.store.JobRecord;
import gpufleet.server.store.NewJob;
import gpufleet.server.store.Store;

import java.util.List;

/**
 * What users ask of jobs: admission (a job refused with the field at fault when it could never run
 * here), submission and cancellation, each written to the store before the view changes. Runs with the
 * controller's lock held.
 */
final class JobCommands {
    private final Store store;
    private final LiveView view;
    /** Shared storage under which a job that names no checkpoint directory gets its own; null for none. */
    private final String checkpointRoot;

    JobCommands(Store store, LiveView view, String checkpointRoot) {
        this.store = store;
        this.view = view;
        this.checkpointRoot = checkpointRoot;
    }

    /** Admits and queues a job, or refuses it when it could never run on this fleet. */
    JobRecord submit(NewJob j, double now) {
        admit(j);
        JobRecord rec = store.insertJob(j, now, checkpointRoot);
        view.noteLimit(rec);
        view.lifecycle().submit(Math.toIntExact(rec.id()), view.spec(rec), rec.submitTime());
        view.storedReason.put(Math.toIntExact(rec.id()), rec.reason());
        return rec;
    }

    private void admit(NewJob j) {
        if (store.teams().stream().noneMatch(t -> t.name().equals(j.team())))
            throw RequestError.badRequest("team", "unknown team '" + j.team() + "'");
        FleetLayout layout = view.layout();
        // hosts that joined since the layout was built may be what makes the job fit
        if (view.layoutBehind && (layout == null || j.tp() > layout.maxHostGpus() || j.gpus() > layout.largestPoolFor(j.tp()))) {
            view.catchUp();
            layout = view.layout();
        }
        if (layout == null)
            throw new RequestError(ErrorCode.UNSATISFIABLE, "gpus", "needs " + j.gpus() + " GPUs but no host is registered");
        if (j.tp() > layout.maxHostGpus())
            throw new RequestError(ErrorCode.UNSATISFIABLE, "tp", "tensor-parallel group of " + j.tp()
                    + " GPUs is larger than the largest host (" + layout.maxHostGpus() + " GPUs)");
        int pool = layout.largestPoolFor(j.tp());
        if (j.gpus() > pool)
            throw new RequestError(ErrorCode.UNSATISFIABLE, "gpus", "needs " + j.gpus() + " GPUs; the fleet can give one job at most "
                    + pool + " (with tp " + j.tp() + ")");
    }

    /** Cancels a job that has not ended, releasing its GPUs. */
    void cancel(long id, double now) {
        JobRecord rec = store.job(id).orElseThrow(() -> RequestError.notFound("id", "no job " + id));
        if (rec.state().isTerminal())
            throw RequestError.conflict(ErrorCode.JOB_ENDED, "id", "job " + id + " is already " + rec.state());
        int jid = (int) id;
        JobRecord run = view.runningRecords.get(jid);
        var lifecycle = view.lifecycle();
        LifecycleEvent.Cancelled ev = lifecycle == null ? null : lifecycle.planCancel(jid, now);
        store.apply(List.of(view.changes().cancelled(ev, rec, run)), now);
        if (ev != null) {
            lifecycle.apply(ev);
            if (ev.placement() != null) view.forgetRun(jid);
        }
        view.forgetJob(jid);
    }
}
