package gpufleet.core.sched.plugin;

import gpufleet.core.job.Job;
import gpufleet.core.sched.GangPlacer;
import gpufleet.core.sched.framework.CycleState;
import gpufleet.core.sched.framework.Place;
import gpufleet.core.state.Placement;

/** Topology-aware, all-or-nothing gang placement ({@link GangPlacer}). */
public record GangPlacement() implements Place {
    @Override public String name() { return "gang-placement"; }

    @Override
    public Placement place(CycleState s, Job job) {
        return s.placer().place(job.spec(), s.fleet());
    }

    @Override
    public Placement placeIn(CycleState s, Job job, int cluster) {
        return s.placer().place(job.spec(), s.fleet(), cluster);
    }
}
