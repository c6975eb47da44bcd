package gpufleet.conformance;

import gpufleet.core.job.JobState;
import gpufleet.core.job.RestartBackoff;
import gpufleet.core.sched.Policy;
import gpufleet.core.sched.PolicyRegistry;
import gpufleet.core.state.FleetState;
import gpufleet.core.state.HostStatus;
import gpufleet.protocol.GpuHealth;
import gpufleet.protocol.Heartbeat;
import gpufleet.protocol.RankExit;
import gpufleet.protocol.Registration;
import gpufleet.protocol.TaskReport;
import gpufleet.testkit.TestDatabases;
import gpufleet.server.control.Controller;
import gpufleet.server.control.ControllerOptions;
import gpufleet.server.control.FleetLayout;
import gpufleet.server.control.RequestError;
import gpufleet.server.store.HostGpus;
import gpufleet.server.store.HostRecord;
import gpufleet.server.store.JobEvent;
import gpufleet.server.store.JobRecord;
import gpufleet.server.store.NewJob;
import gpufleet.sim.script.ScriptedTwin;
import gpufleet.sim.script.Step;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * One scheduler, two clocks: the same script of events driven through the twin ({@link ScriptedTwin},
 * virtual clock) and through the controller (a clock the test moves, agents' heartbeats called
 * directly, a real database) gives, after every step, the same job states, placements, restarts,
 * attained service, lost work and decisions, for every registered policy. A hand-written script
 * covers each kind of event; random scripts (seeded, the seed in every failure message) cover their
 * mixes. Any difference means the two drivers no longer share the lifecycle's rules.
 */
class LifecycleConformanceTest {
    private static final double T0 = 1_800_000_000;
    private static final RestartBackoff BACKOFF = new RestartBackoff(10, 300, 600);
    /** The decisions and ends both sides record, by the controller's event names. */
    private static final Set<String> DECISIONS =
            Set.of("STARTED", "PREEMPTED", "RESTART", "FAILED", "COMPLETED", "TIMEOUT", "REJECTED", "CANCELLED");

    @TempDir
    Path dir;

    static Stream<Arguments> policiesAndDatabases() {
        List<Arguments> out = new ArrayList<>();
        for (Policy p : PolicyRegistry.all()) {
            out.add(Arguments.of(p.name(), TestDatabases.Kind.SQLITE));
            out.add(Arguments.of(p.name(), TestDatabases.Kind.POSTGRESQL));
        }
        return out.stream();
    }

    static Stream<Arguments> policiesAndSeeds() {
        return PolicyRegistry.all().stream().flatMap(p -> IntStream.range(0, 4).mapToObj(s -> Arguments.of(p.name(), 1000L + s)));
    }

    @ParameterizedTest(name = "{0} on {1}")
    @MethodSource("policiesAndDatabases")
    void aScriptWithEveryKindOfEventGivesTheSameOutcomeInBothDrivers(String policy, TestDatabases.Kind kind) throws Exception {
        List<Step> script = List.of(
                new Step.Submit(0, "a", "default", 16, 8, 1, 3, 3_600L),
                new Step.Submit(0, "b", "default", 8, 1, 1, 3, null),
                new Step.Submit(0, "c", "default", 8, 4, 0, 3, 900L),
                new Step.Submit(10, "d", "default", 16, 8, 2, 3, 600L),
                new Step.GpuFails(60, "h1", 0),
                new Step.HostLost(70, "h2"),
                new Step.Complete(100, 1),
                new Step.Resume(120, "h2"),
                new Step.Resume(121, "h1"),
                new Step.RankFails(130, 2),
                new Step.RankFails(135, 2),
                new Step.Submit(136, "e", "default", 4, 1, 1, 0, 120L),
                new Step.Drain(150, "h3"),
                new Step.Cancel(200, 3),
                new Step.Submit(300, "f", "default", 32, 8, 1, 3, 7_200L),
                new Step.Resume(301, "h3"),
                new Step.Complete(400, 4),
                new Step.RankFails(410, 5),
                new Step.Submit(1_000, "g", "default", 8, 8, 0, 3, null),
                new Step.Complete(1_200, 2),
                new Step.HostLost(1_300, "h4"),
                new Step.Submit(1_400, "h", "default", 8, 2, 2, 1, 60L),
                new Step.Complete(4_000, 6),
                new Step.Cancel(4_100, 7),
                new Step.Complete(8_000, 8),
                new Step.Complete(8_100, 2));
        try (Pair pair = new Pair(kind, dir, PolicyRegistry.get(policy), 4)) {
            for (int i = 0; i < script.size(); i++) {
                pair.step(script.get(i), policy + " on " + kind + ", step " + i);
                if (i == 11 || i == 17) pair.restartController(policy + " on " + kind + ", after step " + i);
            }
            // the script must have exercised what it claims to: a comparison of two idle drivers proves nothing
            var kinds = pair.twin.records().values().stream().flatMap(r -> r.events.stream()).distinct().toList();
            assertThat(kinds).as(policy).contains("STARTED", "RESTART", "COMPLETED", "CANCELLED");
            assertThat(pair.twin.records().values().stream().mapToDouble(r -> r.job.attainedGpuSeconds()).sum()).isPositive();
        }
    }

    @ParameterizedTest(name = "{0}, seed {1}")
    @MethodSource("policiesAndSeeds")
    void randomScriptsGiveTheSameOutcomeInBothDrivers(String policy, long seed) throws Exception {
        SplittableRandom rnd = new SplittableRandom(seed);
        int hosts = 3 + rnd.nextInt(2);
        try (Pair pair = new Pair(TestDatabases.Kind.SQLITE, dir, PolicyRegistry.get(policy), hosts)) {
            double t = 0;
            List<Step> done = new ArrayList<>();
            for (int i = 0; i < 30; i++) {
                t += rnd.nextInt(3) == 0 ? 0 : 1 + rnd.nextInt(900);
                Step s = randomStep(rnd, t, pair, hosts);
                done.add(s);
                pair.step(s, policy + ", seed " + seed + ", steps " + done);
                if (rnd.nextInt(10) == 0) {
                    done.add(null); // null: the controller restarted here
                    pair.restartController(policy + ", seed " + seed + ", steps " + done);
                }
            }
            assertThat(pair.twin.records()).as("seed %d submitted nothing", seed).isNotEmpty();
        }
    }

    /** A step that makes sense in the twin's current state (which the controller's matched so far). */
    private static Step randomStep(SplittableRandom rnd, double t, Pair pair, int hosts) {
        var records = pair.twin.records();
        List<Integer> running = new ArrayList<>(), live = new ArrayList<>();
        records.forEach((id, r) -> {
            if (r.job.state() == JobState.RUNNING) running.add(id);
            if (!r.job.state().isTerminal()) live.add(id);
        });
        String host = "h" + (1 + rnd.nextInt(hosts));
        FleetState st = pair.twin.lifecycle().fleet();
        boolean down = st.status(pair.layout.indexOf(host)) == HostStatus.DOWN;
        int roll = rnd.nextInt(100);
        if (roll < 35 || live.isEmpty()) {
            int[] sizes = {1, 2, 4, 8, 8, 16};
            int gpus = sizes[rnd.nextInt(sizes.length)];
            int tp = Math.min(gpus, rnd.nextBoolean() ? 1 : 8);
            Long limit = rnd.nextInt(3) == 0 ? null : (long) (60 + rnd.nextInt(3_600));
            return new Step.Submit(t, "j" + records.size(), "default", gpus, tp, rnd.nextInt(3), rnd.nextInt(3), limit);
        }
        if (roll < 55 && !running.isEmpty()) return new Step.Complete(t, running.get(rnd.nextInt(running.size())));
        if (roll < 65 && !running.isEmpty()) return new Step.RankFails(t, running.get(rnd.nextInt(running.size())));
        if (roll < 72) return new Step.Cancel(t, live.get(rnd.nextInt(live.size())));
        if (roll < 78) return new Step.HostLost(t, host);
        if (roll < 84 && !down) return new Step.GpuFails(t, host, rnd.nextInt(8));
        if (roll < 90) return new Step.Drain(t, host);
        return new Step.Resume(t, host);
    }

    /** The two drivers side by side, fed the same steps. */
    private static final class Pair implements AutoCloseable {
        final TestClock clock = new TestClock(T0);
        final TestDatabases.TestDb db;
        final Policy policy;
        Controller controller;
        final Map<String, HostRecord> hosts = new HashMap<>();
        final FleetLayout layout;
        final ScriptedTwin twin;

        Pair(TestDatabases.Kind kind, Path dir, Policy policy, int hostCount) throws Exception {
            Path d = Files.createTempDirectory(dir, kind.name());
            db = TestDatabases.fresh(kind, d);
            this.policy = policy;
            controller = open();
            for (int i = 1; i <= hostCount; i++) {
                HostRecord h = controller.registerHost(new Registration("h" + i, 8, "r" + ((i + 1) / 2), "z1", null,
                        List.of()), "10.0.0." + i);
                hosts.put(h.name(), h);
            }
            // the twin runs on the fleet as the controller lays the same hosts out
            layout = FleetLayout.of(controller.store().hosts());
            FleetState st = layout.newState();
            layout.applyStatuses(st);
            twin = new ScriptedTwin(st, layout::indexOf, policy, BACKOFF, Map.of());
        }

        private Controller open() {
            return new Controller(db.open(), clock,
                    ControllerOptions.DEFAULTS.withPolicy(policy).withRestartBackoff(BACKOFF)).manualCycles();
        }

        /**
         * The controller dies and a new one starts on the same database: it must rebuild the lifecycle
         * with everything it had (attained service, backoff, lost work, estimated ends). Agents keep
         * sending heartbeats; a lost host's agent stays silent.
         */
        void restartController(String context) {
            controller.halt();
            controller.close();
            controller = open();
            for (HostRecord h : hosts.values())
                if (twin.lifecycle().fleet().status(layout.indexOf(h.name())) != HostStatus.DOWN)
                    heartbeat(h.name(), List.of(), List.of());
            controller.cycle();
            compare(context + " [controller restarted]");
        }

        void step(Step s, String context) {
            clock.set(T0 + s.time());
            Step at = shifted(s, T0);
            twin.apply(at);
            drive(s);
            controller.cycle();
            compare(context + " [" + s + "]");
        }

        /** The step as HTTP and agents would bring it to the controller. */
        private void drive(Step s) {
            switch (s) {
                case Step.Submit j -> controller.submit(new NewJob(j.name(), j.team(), j.gpus(), j.tp(), 1, 1, j.priority(),
                        List.of("train"), j.maxRestarts(), null, j.timeLimit()));
                case Step.Complete c -> {
                    JobRecord r = controller.store().job(c.job()).orElseThrow();
                    if (r.state() != JobState.RUNNING) return;
                    List<RankExit> all = IntStream.range(0, r.gpus()).mapToObj(k -> new RankExit(k, 0)).toList();
                    for (HostGpus hg : r.placement()) heartbeat(hg.host(), List.of(new TaskReport(r.id(), r.generation(), all, null)), List.of());
                }
                case Step.RankFails f -> {
                    JobRecord r = controller.store().job(f.job()).orElseThrow();
                    if (r.state() != JobState.RUNNING) return;
                    heartbeat(r.placement().getFirst().host(),
                            List.of(new TaskReport(r.id(), r.generation(), List.of(new RankExit(0, 1)), null)), List.of());
                }
                case Step.Cancel c -> {
                    try {
                        controller.cancel(c.job());
                    } catch (RequestError ended) {
                        // already ended: the twin ignores it too
                    }
                }
                case Step.HostLost l -> controller.fenceHost(l.host(), "lost in the script");
                case Step.GpuFails g -> {
                    heartbeat(g.host(), List.of(), List.of(new GpuHealth(g.gpu(), false, 79, "XID 79")));
                    heartbeat(g.host(), List.of(), List.of()); // then healthy again, as after a reset
                }
                case Step.Drain d -> controller.setHostStatus(d.host(), HostStatus.DRAINING, "maintenance");
                case Step.Resume r -> controller.setHostStatus(r.host(), HostStatus.UP, null, true);
            }
        }

        private void heartbeat(String host, List<TaskReport> tasks, List<GpuHealth> gpus) {
            HostRecord h = hosts.get(host);
            controller.heartbeat(h.id(), new Heartbeat(h.generation(), tasks, gpus));
        }

        private void compare(String context) {
            assertThat(controller.store().jobs(null, null)).as(context).hasSize(twin.records().size());
            twin.records().forEach((id, twinJob) -> {
                JobRecord r = controller.store().job(id).orElseThrow();
                var j = twinJob.job;
                String c = context + ", job " + id;
                assertThat(r.state()).as(c + ": state").isEqualTo(j.state());
                assertThat(r.placement()).as(c + ": placement")
                        .isEqualTo(j.placement() == null ? List.of() : layout.describe(j.placement()));
                assertThat(r.restarts()).as(c + ": restarts").isEqualTo(j.restarts());
                assertThat(r.attainedGpuSeconds()).as(c + ": attained GPU-seconds").isCloseTo(j.attainedGpuSeconds(), within(1e-6));
                assertThat(r.lostWorkSeconds()).as(c + ": lost work").isCloseTo(twinJob.lostWork, within(1e-6));
                List<String> decisions = controller.store().events(id).stream().map(JobEvent::kind)
                        .filter(DECISIONS::contains).toList();
                assertThat(decisions).as(c + ": decisions").isEqualTo(twinJob.events);
            });
        }

        private static Step shifted(Step s, double t0) {
            double t = t0 + s.time();
            return switch (s) {
                case Step.Submit j -> new Step.Submit(t, j.name(), j.team(), j.gpus(), j.tp(), j.priority(), j.maxRestarts(), j.timeLimit());
                case Step.Complete c -> new Step.Complete(t, c.job());
                case Step.RankFails f -> new Step.RankFails(t, f.job());
                case Step.Cancel c -> new Step.Cancel(t, c.job());
                case Step.HostLost l -> new Step.HostLost(t, l.host());
                case Step.GpuFails g -> new Step.GpuFails(t, g.host(), g.gpu());
                case Step.Drain d -> new Step.Drain(t, d.host());
                case Step.Resume r -> new Step.Resume(t, r.host());
            };
        }

        @Override
        public void close() {
            controller.close();
            db.close();
        }
    }

    /** A clock the test sets; whole seconds from the epoch, as both drivers read them. */
    private static final class TestClock extends Clock {
        private volatile Instant now;

        TestClock(double seconds) { set(seconds); }

        void set(double seconds) { now = Instant.ofEpochMilli(Math.round(seconds * 1000)); }

        @Override public ZoneId getZone() { return ZoneOffset.UTC; }
        @Override public Clock withZone(ZoneId zone) { return this; }
        @Override public Instant instant() { return now; }
    }
}
