package gpufleet.core.sched;

import gpufleet.core.job.Job;
import gpufleet.core.job.JobState;
import gpufleet.core.lifecycle.RestartRule;
import gpufleet.core.state.FleetState;
import gpufleet.core.state.HostStatus;
import gpufleet.core.testkit.FleetGen;
import gpufleet.core.testkit.Fleets;
import gpufleet.testkit.Gen;
import gpufleet.core.testkit.Harness;
import gpufleet.core.testkit.Invariants;
import gpufleet.core.testkit.Jobs;
import gpufleet.testkit.Property;
import gpufleet.testkit.Tally;
import gpufleet.core.topology.FleetSpec;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Many scheduling cycles on random fleets under every policy. Between cycles the test itself plays
 * the world: jobs arrive, finish, are cancelled; hosts fail (interrupting their jobs), drain and are
 * repaired; GPUs fail. After every cycle it checks that no GPU is held twice, that every job is in
 * exactly one of waiting / running / finished and its state says so, that the running jobs' GPUs
 * add up to the fleet's allocated count, that no TP group straddles hosts, that quotas hold and that
 * the decisions themselves are coherent.
 */
class SchedulerPropertyTest {

    private static final String[] TEAMS = {"a", "b", "c"};

    sealed interface Event {}

    record Arrive(int tp, int dp, int priority, int team, int duration, int type, int maxRestarts) implements Event {}

    record Finish(int pick) implements Event {}

    record Cancel(int pick) implements Event {}

    record HostDown(int host) implements Event {}

    record Drain(int host) implements Event {}

    record Repair(int host) implements Event {}

    record GpuFault(int host, int gpu) implements Event {}

    /** One step: time moves on by {@code dt}, the event happens, a cycle runs. */
    record Step(int dt, Event event) {}

    /** One generated case: a fleet, how it is scheduled, and what happens to it. */
    record Case(FleetSpec fleet, Policy policy, Quotas quotas, List<Step> steps) {}

    @Test
    void invariantsHoldAfterEveryCycle() {
        var decisions = new Tally("decisions");
        Property.forAll("invariants hold after every cycle", 1000,
                g -> new Case(fleet(g), policy(g), quotas(g), steps(g)),
                c -> Property.smallerLists(c.steps()).map(steps -> new Case(c.fleet(), c.policy(), c.quotas(), steps)),
                c -> {
                    var world = new World(new Harness(c.fleet(), c.policy()).quotas(c.quotas()), c.quotas(), decisions);
                    for (Step s : c.steps()) {
                        world.now += s.dt();
                        world.happen(s.event());
                        world.cycle();
                    }
                });
        decisions.report();
        assertThat(decisions.percentage("start")).as("coverage of start decisions").isGreaterThan(10);
        assertThat(decisions.percentage("preempt")).as("coverage of preempt decisions").isGreaterThan(0.2);
    }

    /** The caller's side: the jobs, the queue, and what the test does to them. */
    static final class World {
        final Harness h;
        final Quotas quotas;
        final Tally decisions;
        final List<Job> all = new ArrayList<>();
        final List<Job> waiting = new ArrayList<>();
        final Map<Integer, Job> byId = new HashMap<>();
        double now;

        World(Harness h, Quotas quotas, Tally decisions) {
            this.h = h;
            this.quotas = quotas;
            this.decisions = decisions;
        }

        void happen(Event e) {
            FleetState st = h.state;
            int n = h.topo.hostCount();
            switch (e) {
                case Arrive a -> {
                    Job j = Jobs.job(all.size()).gpus(a.tp() * a.dp()).tp(a.tp()).priority(a.priority())
                            .team(TEAMS[a.team()]).duration(a.duration()).submit(now).maxRestarts(a.maxRestarts())
                            .gpuType(switch (a.type()) { case 1 -> Fleets.H100; case 2 -> Fleets.A100; default -> null; })
                            .build();
                    all.add(j);
                    waiting.add(j);
                    byId.put(j.id(), j);
                }
                case Finish f -> {
                    var running = new ArrayList<>(h.running.all());
                    if (!running.isEmpty()) h.complete(running.get(f.pick() % running.size()), now);
                }
                case Cancel c -> {
                    if (!waiting.isEmpty()) waiting.remove(c.pick() % waiting.size()).cancel(now);
                }
                case HostDown d -> {
                    int host = d.host() % n;
                    st.setStatus(host, HostStatus.DOWN);
                    for (int id : st.jobsOn(host)) interrupt(byId.get(id), "host down");
                }
                case Drain d -> st.setStatus(d.host() % n, HostStatus.DRAINING);
                case Repair r -> {
                    int host = r.host() % n;
                    st.setStatus(host, HostStatus.UP);
                    for (int g = 0; g < h.topo.gpusOnHost(host); g++) st.setGpuHealthy(host, g, true);
                }
                case GpuFault f -> {
                    int host = f.host() % n, g = f.gpu() % h.topo.gpusOnHost(host);
                    st.setGpuHealthy(host, g, false);
                    int owner = st.ownerOf(host, g);
                    if (owner != FleetState.NONE) interrupt(byId.get(owner), "gpu fault");
                }
            }
        }

        private void interrupt(Job j, String cause) {
            h.running.remove(j);
            h.state.release(j.id(), j.placement());
            var o = RestartRule.IMMEDIATE.decide(cause, RestartRule.Fault.HARDWARE, j.restarts(), j.spec().maxRestarts(),
                    0, 0, now);
            j.interrupt(now, cause, o.restart(), o.reason());
            if (o.restart()) waiting.add(j);
        }

        void cycle() {
            var wasRunning = new HashSet<>(h.running.all());
            var r = h.cycle(now, waiting);
            checkDecisions(r, wasRunning);
            waiting.removeIf(j -> !j.state().isWaiting());
            for (var d : r.decisions()) if (d instanceof Decision.Preempt p) waiting.add(p.job());
            checkInvariants();
        }

        private void checkDecisions(Scheduler.Result r, HashSet<Job> wasRunning) {
            assertThat(r.considered()).isEqualTo(waiting.size());
            var seen = new IdentityHashMap<Job, Boolean>();
            var startedNow = new HashSet<Job>();
            for (var d : r.decisions()) {
                assertThat(seen.put(d.job(), true)).as("one decision per job, got a second for %s", d.job()).isNull();
                switch (d) {
                    case Decision.Start s -> {
                        assertThat(waiting).contains(s.job());
                        startedNow.add(s.job());
                        decisions.collect("start");
                    }
                    case Decision.Preempt p -> {
                        assertThat(wasRunning).as("only running jobs are preempted").contains(p.job());
                        var policy = h.scheduler.policy();
                        boolean byPriority = policy.preemption() && p.job().priority() < p.forJob().priority();
                        boolean hasPass = !policy.profile().postCycles().isEmpty();
                        if (!hasPass || byPriority) {
                            assertThat(p.job().priority()).as("%s preempted for %s", p.job(), p.forJob())
                                    .isLessThan(p.forJob().priority());
                            assertThat(policy.preemption()).isTrue();
                        } else {
                            // by rank: never a job that started under the minimum run ago, and under an
                            // order that puts priority first (gpufleet) never a higher priority
                            double minRun = policy.rank() == null ? 0 : policy.rank().minRunSec();
                            assertThat(now - p.job().runStart()).as("%s ran long enough to be preempted", p.job())
                                    .isGreaterThanOrEqualTo(minRun);
                            if (policy.name().equals("gpufleet"))
                                assertThat(p.job().priority()).as("%s preempted for %s", p.job(), p.forJob())
                                        .isLessThanOrEqualTo(p.forJob().priority());
                        }
                        decisions.collect("preempt");
                    }
                    case Decision.Reject x -> {
                        assertThat(waiting).contains(x.job());
                        assertThat(h.scheduler.admissionError(x.job())).isEqualTo(x.reason());
                        decisions.collect("reject");
                    }
                }
            }
            for (var d : r.decisions())
                if (d instanceof Decision.Preempt p)
                    assertThat(startedNow).as("%s was preempted for a job that did not start", p.job()).contains(p.forJob());
        }

        private void checkInvariants() {
            var running = h.running.all();
            Invariants.assertRunningMatchesState(h.state, running);
            var inRunning = new HashSet<>(running);
            var inWaiting = new HashSet<>(waiting);
            assertThat(inWaiting).as("the queue has no repeats").hasSize(waiting.size());
            assertThat(running).as("the running set has no repeats").hasSize(inRunning.size());
            assertThat(h.running.size()).isEqualTo(running.size());
            var teamGpus = new HashMap<String, Integer>();
            for (Job j : all) {
                int places = (inRunning.contains(j) ? 1 : 0) + (inWaiting.contains(j) ? 1 : 0) + (j.state().isTerminal() ? 1 : 0);
                assertThat(places).as("%s is in exactly one of running, waiting, finished", j).isEqualTo(1);
                assertThat(j.state() == JobState.RUNNING).as("%s state vs running set", j).isEqualTo(inRunning.contains(j));
                assertThat(j.state().isWaiting()).as("%s state vs queue", j).isEqualTo(inWaiting.contains(j));
                if (j.state() == JobState.RUNNING) teamGpus.merge(j.team(), j.gpus(), Integer::sum);
                else assertThat(j.placement()).as("%s holds nothing", j).isNull();
            }
            for (String team : TEAMS) {
                int use = teamGpus.getOrDefault(team, 0);
                assertThat(h.running.teamGpus(team)).isEqualTo(use);
                assertThat(use).as("team %s within quota", team).isLessThanOrEqualTo(quotas.limit(team));
            }
        }
    }

    static FleetSpec fleet(Gen g) {
        return FleetGen.fleet(g, 2);
    }

    static Policy policy(Gen g) {
        return g.oneOf(PolicyRegistry.all());
    }

    static Quotas quotas(Gen g) {
        var q = Quotas.NONE;
        for (int i = 0; i < 3; i++) {
            int limit = g.oneOf(-1, -1, 8, 16, 32);
            if (limit >= 0) q = q.with(TEAMS[i], limit);
        }
        return q;
    }

    static List<Step> steps(Gen g) {
        return g.listOf(5, 60, () -> new Step(g.intBetween(0, 100), g.frequency(
                Gen.weight(8, () -> new Arrive(g.oneOf(1, 1, 2, 4, 8), g.intBetween(1, 5), g.intBetween(0, 3),
                        g.intBetween(0, 2), g.intBetween(10, 1000), g.oneOf(0, 0, 0, 1, 2), g.intBetween(0, 2))),
                Gen.weight(3, () -> new Finish(g.intBetween(0, 1000))),
                Gen.weight(1, () -> new Cancel(g.intBetween(0, 1000))),
                Gen.weight(1, () -> new HostDown(g.intBetween(0, 1000))),
                Gen.weight(1, () -> new Drain(g.intBetween(0, 1000))),
                Gen.weight(2, () -> new Repair(g.intBetween(0, 1000))),
                Gen.weight(1, () -> new GpuFault(g.intBetween(0, 1000), g.intBetween(0, 63))))));
    }
}
