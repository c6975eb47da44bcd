package gpufleet.core.lifecycle;

import gpufleet.core.job.CheckpointPolicy;
import gpufleet.core.job.JobSpec;
import gpufleet.core.job.Parallelism;
import gpufleet.core.sched.PolicyRegistry;
import gpufleet.core.sched.Quotas;
import gpufleet.core.state.FleetState;
import gpufleet.core.state.Placement;
import gpufleet.core.testkit.Fleets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The scheduler's decisions and the start forecast on seeded queues, against digests recorded from the
 * straightforward implementation (every cycle sorting its queue afresh): work that makes either faster
 * must not change a single decision, start time or reason.
 *
 * <p>Each scenario runs a day and a half of real cycles on 512 GPUs in two clusters (arrivals faster than
 * ends, so the queue grows past 12 h of wait and the starvation bound acts; priorities 0 to 3, so jobs
 * preempt by priority and by rank; one team under a quota; some jobs pinned to a cluster, some in 8-GPU
 * tensor-parallel groups, a tenth without a time limit), then forecasts the queue it has left. The cycle
 * digest covers every event of every cycle (kind, job, time, the exact GPUs); the forecast digest every
 * job's outcome, start and reason.
 *
 * <p>Re-recorded twice, for fixes to the EASY reservation: jobs started earlier in the same cycle now
 * count (gpufleet seeds 2 and 3 and priority-backfill moved; the straightforward scheduler with the fix and
 * the faster one gave the same digests), and free GPUs count one by one, not only in whole
 * tensor-parallel groups (every policy with backfill moved: gpufleet, priority-backfill, fifo-backfill).
 * The second fix is in the reservation plugin, which both schedulers share.
 */
class ForecastFixtureTest {
    private static final int[] SIZES = {1, 1, 2, 4, 8, 8, 16, 32, 64, 128};

    @ParameterizedTest(name = "{0} seed {1}")
    @CsvSource({
            "gpufleet, 1, be78393f6214792f, 18de85afbd6fc240",
            "gpufleet, 2, d68f031835f107a5, 3f3640a2f3e1ea36",
            "gpufleet, 3, 026009540cd81072, 421a95f882302521",
            "priority-backfill, 1, 3c5d9cfe6d8e0cd6, dfe00103b4ff5a1c",
            "priority, 1, 6845d2fd7c69699a, cfd5c65da5bf7fe6",
            "las, 1, 5bb26d9804e3d577, 73b63c487210895e",
            "srtf, 1, 19e9ebf2a1820c99, 18dc90edf556ec9e",
            "fair, 1, 608f9495c6b6e3c4, 5ee182160db4c74e",
            "fifo-backfill, 1, 2ae27c760ca72488, e813dfbcfb4dadee",
    })
    void decisionsAndForecastMatchTheRecordedOnes(String policy, long seed, String cycles, String forecast) {
        TimeLimitRuns limits = new TimeLimitRuns();
        Lifecycle lc = new Lifecycle(new FleetState(Fleets.labTopology(2, 2, 4, 4, 8)), PolicyRegistry.get(policy),
                TimeLimitRuns.options(RestartRule.IMMEDIATE), limits);
        Quotas quotas = new Quotas(Map.of("team1", 96));
        lc.setQuotas(quotas);
        SplittableRandom rng = new SplittableRandom(seed);
        Digest events = new Digest();
        int id = 0, decisions = 0, preemptions = 0;
        double t = 0;
        for (int step = 0; step < 220; step++) {
            for (int j : limits.overdue(lc.running().all(), t)) events.add("done " + lc.complete(j, t).job().id());
            for (var r : List.copyOf(lc.running().all()))
                if (limits.limit(r.id()) == null && rng.nextInt(40) == 0) events.add("cancel " + lc.cancel(r.id(), t).job().id());
            for (int k = rng.nextInt(6); k > 0; k--) submit(lc, limits, id++, rng, t);
            for (LifecycleEvent ev : lc.cycle(t)) {
                events.add(describe(ev));
                decisions++;
                if (ev instanceof LifecycleEvent.Preempted) preemptions++;
            }
            t += 60 + rng.nextInt(1200);
        }
        var snap = StartForecast.snapshot(lc, limits::limit, quotas, Map.of(), t);
        var r = StartForecast.run(snap);
        Digest fc = new Digest();
        int starts = 0;
        for (var e : r.jobs()) {
            fc.add(e.job() + " " + e.outcome() + " " + e.start() + " " + e.reason());
            if (e.outcome() == StartForecast.Outcome.STARTS) starts++;
        }
        double now = t;
        long starved = lc.waiting().stream().filter(j -> now - j.waitingSince() >= 12 * 3600).count();
        String waits = lc.waiting().size() + " waiting (" + starved + " over 12 h), " + starts + " forecast to start, "
                + decisions + " decisions (" + preemptions + " preemptions)";
        assertThat(lc.waiting().size()).as("a queue worth forecasting").isGreaterThan(100);
        assertThat(starved).as("jobs past the starvation bound").isPositive();
        assertThat(starts).as("starts found").isPositive();
        System.out.printf("%s seed %d: %s, cycles %s, forecast %s%n", policy, seed, waits, events.hex(), fc.hex());
        assertThat(events.hex()).as("the real cycles' decisions (" + waits + ")").isEqualTo(cycles);
        assertThat(fc.hex()).as("the forecast (" + waits + ")").isEqualTo(forecast);
    }

    /** A job of a drawn size, priority and team, with a limit of 10 minutes to 20 hours or (one in ten) none. */
    private static void submit(Lifecycle lc, TimeLimitRuns limits, int id, SplittableRandom rng, double at) {
        int gpus = SIZES[rng.nextInt(SIZES.length)];
        int tp = gpus >= 16 && rng.nextBoolean() ? 8 : 1;
        limits.set(id, rng.nextInt(10) == 0 ? null : (long) (600 + rng.nextInt(20 * 3600)));
        String cluster = rng.nextInt(12) == 0 ? "c" + rng.nextInt(2) : null;
        lc.submit(id, new JobSpec("j" + id, "team" + rng.nextInt(4), Parallelism.of(gpus, tp, 1, 1),
                TimeLimitRuns.UNKNOWN_WORK, CheckpointPolicy.NONE, 0, rng.nextInt(4), at, null, 3, cluster), at);
    }

    private static String describe(LifecycleEvent ev) {
        return switch (ev) {
            case LifecycleEvent.Started s -> "start " + s.job().id() + " " + s.time() + " " + gpus(s.placement());
            case LifecycleEvent.Preempted p -> "preempt " + p.job().id() + " " + p.time() + " for " + p.forJob().id();
            case LifecycleEvent.Rejected x -> "reject " + x.job().id() + " " + x.reason();
            default -> ev.getClass().getSimpleName() + " " + ev.job().id();
        };
    }

    private static String gpus(Placement p) {
        return Arrays.toString(p.hosts()) + Arrays.toString(p.masks());
    }

    /** SHA-256 over lines, shortened: equal digests mean equal line sequences. */
    private static final class Digest {
        private final MessageDigest md;
        private String hex;

        Digest() {
            try {
                md = MessageDigest.getInstance("SHA-256");
            } catch (java.security.NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }

        void add(String line) {
            md.update((line + "\n").getBytes(StandardCharsets.UTF_8));
        }

        String hex() {
            if (hex == null) hex = HexFormat.of().formatHex(md.digest()).substring(0, 16);
            return hex;
        }
    }
}
