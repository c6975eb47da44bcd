package gpufleet.sim.engine;

import gpufleet.core.failure.FailureModel;
import gpufleet.core.job.CheckpointPolicy;
import gpufleet.core.job.JobSpec;
import gpufleet.core.job.Parallelism;
import gpufleet.core.job.Priority;
import gpufleet.core.job.Work;
import gpufleet.core.perf.CommSlowdown;
import gpufleet.core.sched.Policy;
import gpufleet.core.sched.plugin.TiresiasLas;
import gpufleet.core.topology.ClusterSpec;
import gpufleet.core.topology.FleetSpec;
import gpufleet.sim.workload.WorkloadSpec;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

/**
 * The cycles {@code tiresias-las} asks for when a running job's attained GPU-seconds reach its
 * queue's limit, on one GPU with two jobs and nothing else happening at those times: each demotion
 * swaps the jobs, and the next wake-up must be queued by the cycle the last one caused.
 */
class DemotionWakeUpTest {
    static final FleetSpec ONE_GPU = new FleetSpec("one-gpu", "", List.of(
            new ClusterSpec("c0", "dc", "H100-SXM", 1, 1, 1, 1, 400, 1, 0, 2.0, 700)));
    static final Simulation.Tuning EVENTS = new Simulation.Tuning(Double.NaN, CommSlowdown.NONE, Map.of(), true);

    static JobSpec job(String name, double work, double submit) {
        // no checkpoint write or restore: a preemption costs nothing and loses nothing
        return new JobSpec(name, "t", Parallelism.of(1, 1, 1, 1), new Work.Fixed(work), CheckpointPolicy.NONE, 0,
                Priority.NORMAL, submit, null, 10);
    }

    static Simulation run(double days, JobSpec... jobs) {
        var w = new WorkloadSpec("w", "", days, List.of(jobs), List.of(), Map.of());
        var sim = new Simulation(new Simulation.Config(ONE_GPU, w,
                Policy.tiresiasLas(new double[] {3250, 7200}, TiresiasLas.Wake.CROSSING), FailureModel.NONE, 1, days, EVENTS));
        sim.run(Simulation.Progress.NONE);
        return sim;
    }

    /**
     * a (10,000 s) from 0; b (10,000 s) arrives at 100 and waits behind it in queue 0.
     * <pre>
     * 3,250   a reaches 3,250: queue 1; b starts, a preempted
     * 6,500   b reaches 3,250: end of queue 1, behind a; a resumes (3,250 done)
     * 10,450  a reaches 7,200 (3,950 later): queue 2; b resumes (3,250 done)
     * 14,400  b reaches 7,200: queue 2, behind a; a resumes and ends 2,800 later, at 17,200
     * 17,200  b resumes and ends at 20,000
     * </pre>
     * Only the wake-ups happen at 3,250, 6,500, 10,450 and 14,400.
     */
    @Test
    void eachDemotionCycleQueuesTheNext() {
        var sim = run(1, job("a", 10_000, 0), job("b", 10_000, 100));
        var seen = sim.jobEvents().stream().filter(e -> !e.event().equals("submit"))
                .map(e -> tuple(e.time(), e.name(), e.event())).toList();
        // the order of a preemption and the start it makes room for at one instant is not the point
        assertThat(seen).containsExactlyInAnyOrder(
                tuple(0.0, "a", "start"),
                tuple(3250.0, "a", "preempt"), tuple(3250.0, "b", "start"),
                tuple(6500.0, "b", "preempt"), tuple(6500.0, "a", "resume"),
                tuple(10_450.0, "a", "preempt"), tuple(10_450.0, "b", "resume"),
                tuple(14_400.0, "b", "preempt"), tuple(14_400.0, "a", "resume"),
                tuple(17_200.0, "a", "finish"), tuple(17_200.0, "b", "resume"),
                tuple(20_000.0, "b", "finish"));
        // cycles: 2 arrivals, 4 wake-ups, 2 ends
        assertThat(sim.stats().cycles()).isEqualTo(8);
        // events: 2 arrivals, 401 samples (0 to the horizon in 400 steps), 6 ends (one queued by each start
        // or resume, all before the horizon; four are stale when taken) and 4 wake-ups, each queued once:
        // b's arrival at 100 leaves the next crossing at 3,250, which is already queued
        assertThat(sim.stats().events()).isEqualTo(2 + 401 + 6 + 4);
    }

    /**
     * A half-day run (43,200 s) where a, started at 0, reaches its queue's limit exactly at the
     * horizon: the cycle then still happens (events up to and including the horizon are applied), so b,
     * waiting since 100, starts and a is preempted.
     */
    @Test
    void aDemotionAtTheHorizonStillHappens() {
        var w = new WorkloadSpec("w", "", 0.5, List.of(job("a", 80_000, 0), job("b", 80_000, 100)), List.of(), Map.of());
        var sim = new Simulation(new Simulation.Config(ONE_GPU, w,
                Policy.tiresiasLas(new double[] {43_200, 100_000}, TiresiasLas.Wake.CROSSING), FailureModel.NONE, 1, 0.5, EVENTS));
        var r = sim.run(Simulation.Progress.NONE);
        assertThat(r.headline().preemptions()).isEqualTo(1);
        assertThat(sim.jobEvents().stream().filter(e -> e.time() == 43_200).map(e -> tuple(e.name(), e.event())).toList())
                .containsExactlyInAnyOrder(tuple("a", "preempt"), tuple("b", "start"));
    }
}
