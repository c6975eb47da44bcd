package gpufleet.core.sched;

import gpufleet.core.job.Job;
import gpufleet.core.job.JobState;
import gpufleet.core.state.FleetState;
import gpufleet.core.state.HostStatus;
import gpufleet.core.testkit.FleetArbitraries;
import gpufleet.core.testkit.Fleets;
import gpufleet.core.testkit.Harness;
import gpufleet.core.testkit.Invariants;
import gpufleet.core.testkit.Jobs;
import gpufleet.core.topology.FleetSpec;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.statistics.StatisticsReport;

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

    @Property(tries = 1000)
    @StatisticsReport(StatisticsReport.StatisticsReportMode.OFF)
    void invariantsHoldAfterEveryCycle(@ForAll("fleets") FleetSpec fleet, @ForAll("policies") Policy policy,
                                       @ForAll("quotas") Quotas quotas, @ForAll("steps") List<Step> steps) {
        var world = new World(new Harness(fleet, policy).quotas(quotas), quotas);
        for (Step s : steps) {
            world.now += s.dt();
            world.happen(s.event());
            world.cycle();
        }
        Statistics.label("decisions").coverage(c -> {
            c.check("start").percentage(pc -> pc > 10);
            c.check("preempt").percentage(pc -> pc > 0.2);
        });
    }

    /** The caller's side: the jobs, the queue, and what the test does to them. */
    static final class World {
        final Harness h;
        final Quotas quotas;
        final List<Job> all = new ArrayList<>();
        final List<Job> waiting = new ArrayList<>();
        final Map<Integer, Job> byId = new HashMap<>();
        double now;

        World(Harness h, Quotas quotas) {
            this.h = h;
            this.quotas = quotas;
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
            if (j.interrupt(now, cause)) waiting.add(j);
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
                        Statistics.label("decisions").collect("start");
                    }
                    case Decision.Preempt p -> {
                        assertThat(wasRunning).as("only running jobs are preempted").contains(p.job());
                        assertThat(p.job().priority()).as("%s preempted for %s", p.job(), p.forJob())
                                .isLessThan(p.forJob().priority());
                        assertThat(h.scheduler.policy().preemption()).isTrue();
                        Statistics.label("decisions").collect("preempt");
                    }
                    case Decision.Reject x -> {
                        assertThat(waiting).contains(x.job());
                        assertThat(h.scheduler.admissionError(x.job())).isEqualTo(x.reason());
                        Statistics.label("decisions").collect("reject");
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

    @Provide
    Arbitrary<FleetSpec> fleets() {
        return FleetArbitraries.fleets(2);
    }

    @Provide
    Arbitrary<Policy> policies() {
        return Arbitraries.of(PolicyRegistry.all());
    }

    @Provide
    Arbitrary<Quotas> quotas() {
        Arbitrary<Integer> limit = Arbitraries.of(-1, -1, 8, 16, 32);
        return Combinators.combine(limit, limit, limit).as((a, b, c) -> {
            var q = Quotas.NONE;
            int[] ls = {a, b, c};
            for (int i = 0; i < 3; i++) if (ls[i] >= 0) q = q.with(TEAMS[i], ls[i]);
            return q;
        });
    }

    @Provide
    Arbitrary<List<Step>> steps() {
        Arbitrary<Integer> host = Arbitraries.integers().between(0, 1000);
        Arbitrary<Integer> pick = Arbitraries.integers().between(0, 1000);
        Arbitrary<Event> arrive = Combinators.combine(Arbitraries.of(1, 1, 2, 4, 8), Arbitraries.integers().between(1, 5),
                Arbitraries.integers().between(0, 3), Arbitraries.integers().between(0, 2),
                Arbitraries.integers().between(10, 1000), Arbitraries.of(0, 0, 0, 1, 2), Arbitraries.integers().between(0, 2))
                .as(Arrive::new);
        Arbitrary<Event> event = Arbitraries.frequencyOf(
                Tuple.of(8, arrive),
                Tuple.of(3, pick.map(Finish::new)),
                Tuple.of(1, pick.map(Cancel::new)),
                Tuple.of(1, host.map(HostDown::new)),
                Tuple.of(1, host.map(Drain::new)),
                Tuple.of(2, host.map(Repair::new)),
                Tuple.of(1, Combinators.combine(host, Arbitraries.integers().between(0, 63)).as(GpuFault::new)));
        return Combinators.combine(Arbitraries.integers().between(0, 100), event).as(Step::new)
                .list().ofMinSize(5).ofMaxSize(60);
    }
}
