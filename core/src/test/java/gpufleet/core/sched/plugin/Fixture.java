package gpufleet.core.sched.plugin;

import gpufleet.core.job.Job;
import gpufleet.core.sched.Policy;
import gpufleet.core.sched.Quotas;
import gpufleet.core.sched.framework.CycleState;
import gpufleet.core.sched.framework.Memory;
import gpufleet.core.sched.framework.Plugin;
import gpufleet.core.sched.framework.Profile;
import gpufleet.core.testkit.Fleets;
import gpufleet.core.testkit.Harness;
import gpufleet.core.topology.FleetSpec;

import java.util.List;
import java.util.Map;

/** A fleet with running jobs, and a cycle state for one plugin (or a few) to be called on directly. */
final class Fixture {
    final Harness h;
    Quotas quotas = Quotas.NONE;

    Fixture(FleetSpec fleet) {
        h = new Harness(fleet, Policy.FIFO);
    }

    /** One rack of {@code hosts} hosts of 8 GPUs. */
    static Fixture hosts(int hosts) {
        return new Fixture(Fleets.lab(1, 1, 1, hosts, 8));
    }

    Fixture run(Job j, double now) {
        h.run(j, now);
        return this;
    }

    CycleState state(double now, Memory memory, Plugin... plugins) {
        var ps = new java.util.ArrayList<Plugin>(List.of(plugins));
        if (ps.stream().noneMatch(p -> p instanceof OrderSort)) ps.addFirst(new OrderSort(gpufleet.core.sched.QueueOrder.FIFO));
        return new CycleState(h.topo, h.scheduler.placer(), new Profile(ps), now, h.running, h.state, quotas,
                Harness.durations(), Map.of(), memory);
    }

    CycleState state(double now, Plugin... plugins) {
        return state(now, Memory.EMPTY, plugins);
    }
}
