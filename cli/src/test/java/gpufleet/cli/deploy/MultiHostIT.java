package gpufleet.cli.deploy;

import gpufleet.cli.deploy.NetnsFleet.Host;
import gpufleet.cli.deploy.NetnsFleet.RankProcess;
import gpufleet.cli.deploy.NetnsFleet.TraceLine;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static gpufleet.cli.deploy.NetnsFleet.awaitUntil;
import static gpufleet.cli.deploy.NetnsFleet.pause;

/**
 * A real multi-host deployment: a controller and five agents, each agent in its own network namespace
 * with its own address, all started with the shipped launcher as the READMEs tell an operator. One job
 * of 4 hosts x 8 simulated GPUs whose ranks meet over TCP at MASTER_ADDR:MASTER_PORT, then, one after
 * the other: (a) an agent killed with kill -9, (b) a rank exiting non-zero, (c) an XID 79 injected into
 * a GPU, (d) the controller killed with kill -9 and started again with the same command, and while the
 * job runs there, the agent holding rank 0 (e) restarted (SIGTERM, then the same command) and (f) killed
 * with kill -9 and started again at once.
 *
 * <p>After each, from the process table, the ranks' shared trace file, the controller's copy of the
 * logs and {@code gpufleet job -o json}: one live copy of every rank, no (restart, rank) launched twice
 * (a restart count names one run: a run that outlives a controller restart keeps it),
 * no line of a log shipped twice, lost time counted from the last checkpoint the job reported, and
 * every rank resuming from that checkpoint. The scenarios share one fleet; every finding is collected
 * and the test fails at the end with all of them, so one run shows every defect at once. It stops
 * early only where the fleet can no longer go on (a job that does not run again).
 */
@Timeout(value = 8, unit = TimeUnit.MINUTES)
class MultiHostIT {
    private static final int HOSTS = 5;
    private static final int WORLD = 32;
    /**
     * Steps of 0.5 s between checkpoints: 5 s, far more than it takes to notice a failure and stop the
     * gang, so that no checkpoint falls between a failure and the gang's stop.
     */
    private static final int CKPT_EVERY = 10;
    /** A failure is made this long after a reported checkpoint: work is lost, and the next checkpoint is far. */
    private static final long FAIL_AFTER_CKPT_MS = 1500;
    private static final Duration RESTART_WITHIN = Duration.ofSeconds(60);
    private static final Duration CLI = Duration.ofSeconds(60);

    private final List<String> findings = new ArrayList<>();
    private final long began = System.currentTimeMillis();
    private NetnsFleet fleet;
    private long job;

    /** The job as the API shows it at one moment. */
    private record Snapshot(int restart, long generation, double lost, int interruptions, double startTime) {}

    @Test
    void aFourHostJobRendezvousesAndSurvivesAgentLossRankFailureXidAndControllerCrash() throws Exception {
        Throwable stopped = null;
        NetnsFleet f = NetnsFleet.create(HOSTS);
        fleet = f;
        try {
            log("network " + f.subnet + ".0/24 on bridge " + f.bridge + ", hosts "
                    + f.hosts.stream().map(h -> h.name() + "=" + h.address()).toList());
            scenarios();
        } catch (Throwable t) {
            stopped = t;
        } finally {
            f.keepLogs(Path.of("target", "multihost"));
            f.close();
        }
        String remains = waitForRemoval(f);
        if (!remains.isEmpty()) findings.add("(cleanup) still on the machine after the test: " + remains);
        if (stopped != null || !findings.isEmpty()) {
            StringBuilder sb = new StringBuilder(findings.size() + " finding(s)"
                    + (stopped != null ? ", then stopped" : "") + " (logs and trace in cli/target/multihost):");
            for (String s : findings) sb.append("\n - ").append(s);
            if (stopped != null) sb.append("\n - stopped: ").append(stopped.getMessage());
            AssertionError e = new AssertionError(sb.toString());
            if (stopped != null) e.addSuppressed(stopped);
            throw e;
        }
    }

    private void scenarios() throws Exception {
        fleet.startController();
        log("controller on " + fleet.url());
        fleet.makeJoinToken();
        for (Host h : fleet.hosts) fleet.startAgent(h);
        fleet.awaitHostsUp(fleet.hosts, Duration.ofSeconds(120));
        log("5 agents joined");

        var sub = fleet.cli(CLI, "submit", "--name", "rendezvous", "--gpus", Integer.toString(WORLD), "--tp", "8",
                "--max-restarts", "20", "-o", "json", "--", "perl", fleet.program.toString(), fleet.trace.toString(),
                fleet.triggers.toString(), Integer.toString(WORLD), Integer.toString(CKPT_EVERY));
        if (sub.code() != 0) throw new AssertionError("gpufleet submit failed (" + sub.code() + "):\n" + sub.both());
        job = NetnsFleet.parse(sub.out()).path("id").asLong();
        awaitRun(0, "first start");
        log("job " + job + " running, 32 ranks met");
        firstStart();
        checkRun("start", 0, Set.of());

        agentKilled();
        rankFails();
        xid();
        controllerKilled();
        agentRestarted("e", false);
        agentRestarted("f", true);

        fleet.cli(CLI, "cancel", Long.toString(job));
        long cancelled = System.currentTimeMillis();
        List<RankProcess> left = fleet.rankProcesses(job);
        while (!left.isEmpty() && System.currentTimeMillis() < cancelled + 10_000) {
            pause(200);
            left = fleet.rankProcesses(job);
        }
        check("cancel", left.isEmpty(), "10 s after gpufleet cancel, ranks still run: " + brief(left));
        log("done");
    }

    // ---- the scenarios ----------------------------------------------------------------------------------

    private void firstStart() {
        String expected = fleet.checkpointRoot.resolve(Long.toString(job)).toString();
        JsonNode j = fleet.json("/api/v1/jobs/" + job);
        check("start", expected.equals(j.path("checkpointDir").asString()), "the job's checkpoint directory is '"
                + j.path("checkpointDir").asString() + "', not " + expected + " under the controller's --checkpoint-root");
        for (TraceLine l : launches(0)) {
            check("start", expected.equals(l.get("ckpt")), "rank " + l.rank() + " got GPUFLEET_CHECKPOINT_DIR="
                    + l.get("ckpt") + ", not " + expected);
            if (l.rank() == 0)
                check("start", !l.get("progress").equals("-"), "rank 0 was given no GPUFLEET_PROGRESS_FILE,"
                        + " so it cannot report a checkpoint");
        }
    }

    /** (a) The agent holding rank 0 is killed with kill -9: its ranks die with it, the job moves to the spare. */
    private void agentKilled() throws Exception {
        Snapshot before = snapshot();
        freshCheckpoint(before.restart(), FAIL_AFTER_CKPT_MS);
        before = snapshot();
        Host victim = fleet.host(rankProcess(0).host());
        long failT = System.currentTimeMillis();
        fleet.killAgent(victim);
        log("(a) killed the agent on " + victim.name());
        List<RankProcess> orphans = on(victim, before.restart());
        while (!orphans.isEmpty() && System.currentTimeMillis() < failT + 5_000) {
            pause(100);
            orphans = on(victim, before.restart());
        }
        check("a", orphans.isEmpty(), "5 s after kill -9 of the agent on " + victim.name() + ", " + orphans.size()
                + " of its ranks still run: " + brief(orphans));
        interrupted("a", before, failT, Set.of("HOST_LOST"), Set.of(victim.name()));
        killOrphans("a", victim, before.restart(), failT);

        // the operator brings the host back with the same command; the job, elsewhere now, must not notice
        int launchesBefore = launches().size();
        fleet.startAgent(victim);
        fleet.awaitHostsUp(List.of(victim), Duration.ofSeconds(60));
        pause(1500); // a few heartbeats of the re-joined agent
        Snapshot after = snapshot();
        check("a", after.restart() == before.restart() + 1 && after.interruptions() == before.interruptions() + 1,
                "the agent on " + victim.name() + " re-joining, with the job no longer there, changed its restarts from "
                        + (before.restart() + 1) + " to " + after.restart() + " (events: " + restartEvents() + ")");
        check("a", launches().size() == launchesBefore, "the agent on " + victim.name() + " re-joining relaunched "
                + (launches().size() - launchesBefore) + " ranks");
        log("(a) " + victim.name() + " back");
    }

    /**
     * (e) The agent holding rank 0 is restarted as a service manager restarts it (SIGTERM, then the same
     * command), or (f) killed with kill -9 and started again at once, while its job runs there: its ranks
     * are gone within 5 s, and the job is charged one restart for the one event.
     */
    private void agentRestarted(String scenario, boolean kill9) throws Exception {
        Snapshot before = snapshot();
        freshCheckpoint(before.restart(), FAIL_AFTER_CKPT_MS);
        before = snapshot();
        Host victim = fleet.host(rankProcess(0).host());
        long failT = System.currentTimeMillis();
        if (kill9) fleet.killAgent(victim);
        else fleet.stopAgent(victim);
        fleet.startAgent(victim);
        log("(" + scenario + ") " + (kill9 ? "killed (kill -9)" : "stopped (SIGTERM)") + " and started the agent on "
                + victim.name());
        List<RankProcess> orphans = on(victim, before.restart());
        while (!orphans.isEmpty() && System.currentTimeMillis() < failT + 5_000) {
            pause(100);
            orphans = on(victim, before.restart());
        }
        check(scenario, orphans.isEmpty(), "5 s after the agent on " + victim.name() + " was "
                + (kill9 ? "killed" : "stopped") + " and started again, " + orphans.size()
                + " of its old ranks still run: " + brief(orphans));
        interrupted(scenario, before, failT, Set.of("AGENT_RESTARTED", "HOST_LOST"), Set.of());
        killOrphans(scenario, victim, before.restart(), failT);
    }

    /** (b) One rank exits with 1: the gang stops together and restarts from the reported checkpoint. */
    private void rankFails() throws Exception {
        Snapshot before = snapshot();
        freshCheckpoint(before.restart(), FAIL_AFTER_CKPT_MS);
        before = snapshot();
        int rank = 13; // on the second host, away from rank 0
        fleet.touchTrigger(before.restart(), rank);
        int restart = before.restart();
        awaitUntil(Duration.ofSeconds(10), "rank " + rank + " to exit on its trigger", () -> exitOf(restart, rank).isPresent(),
                () -> "trace: " + fleet.trace().stream().filter(l -> l.rank() == rank).toList());
        long failT = exitOf(restart, rank).orElseThrow().t();
        log("(b) rank " + rank + " exited with 1");
        interrupted("b", before, failT, Set.of("RANK_FAILED"), Set.of());
    }

    /** (c) XID 79 on GPU 3 of the host holding ranks 16-23: it is drained, the job restarts elsewhere. */
    private void xid() throws Exception {
        Snapshot before = snapshot();
        // the XID lands a JVM's start-up (under a second to two) after the command starts
        freshCheckpoint(before.restart(), 1000);
        before = snapshot();
        Host target = fleet.host(rankProcess(16).host());
        long failT = System.currentTimeMillis();
        var r = fleet.cliOn(target, CLI, "agent", "inject-xid", "--work-dir", target.workDir().toString(), "--gpu", "3",
                "--xid", "79");
        if (r.code() != 0) throw new AssertionError("gpufleet agent inject-xid failed (" + r.code() + "):\n" + r.both());
        log("(c) XID 79 on " + target.name() + " GPU 3");
        interrupted("c", before, failT, Set.of("GPU_FAILED"), Set.of(target.name()));
        JsonNode h = hostRecord(target.name());
        check("c", "DRAINING".equals(h.path("status").asString()) && h.path("unhealthyGpus").toString().contains("3"),
                target.name() + " after XID 79 on GPU 3 is " + h.path("status").asString() + " with unhealthy GPUs "
                        + h.path("unhealthyGpus") + ", not DRAINING with GPU 3");
    }

    /** (d) The controller is killed with kill -9 and started again: the ranks run on, nothing is repeated. */
    private void controllerKilled() throws Exception {
        Snapshot before = snapshot();
        List<RankProcess> procs = fleet.rankProcesses(job);
        int launchesBefore = launches().size();
        fleet.killController();
        log("(d) killed the controller");
        fleet.restartController();
        long upT = System.currentTimeMillis();
        log("(d) controller back");
        // long enough for the controller to declare silent hosts lost if it wrongly would
        long until = upT + (NetnsFleet.HEARTBEAT_TIMEOUT_S + 3) * 1000L;
        while (System.currentTimeMillis() < until && launches().size() == launchesBefore) pause(200);

        List<RankProcess> now = fleet.rankProcesses(job);
        check("d", pids(now).equals(pids(procs)), "the ranks did not run on through the controller's restart: before "
                + brief(procs) + ", after " + brief(now));
        check("d", launches().size() == launchesBefore, "the controller's restart relaunched "
                + (launches().size() - launchesBefore) + " ranks: " + launches().subList(launchesBefore, launches().size())
                .stream().map(l -> "rank " + l.rank() + " restart " + l.restart()).limit(8).toList());
        JsonNode j = cliJob();
        check("d", "RUNNING".equals(j.path("state").asString()) && j.path("restarts").asInt() == before.restart()
                        && j.path("generation").asLong() == before.generation(),
                "after the controller's restart the job is " + j.path("state").asString() + ", restarts "
                        + j.path("restarts").asInt() + ", generation " + j.path("generation").asLong() + " (before: RUNNING, "
                        + before.restart() + ", " + before.generation() + "); events " + restartEvents());
        double lost = j.path("lostSeconds").asDouble() - before.lost();
        check("d", Math.abs(lost) <= 1.0, String.format(Locale.ROOT,
                "the controller's restart changed the lost time by %.1f s though no rank stopped", lost));
        // the agents ship again: rank 0's output after the restart reaches the controller
        awaitUntil(Duration.ofSeconds(20), "rank 0's output after the controller's restart to reach it",
                () -> fleet.rankLog(job, 0).lines().anyMatch(l -> stampOf(l) > upT + 1000),
                () -> "its log ends:\n" + tailOf(fleet.rankLog(job, 0), 5));
        checkRun("d", before.restart(), Set.of());
    }

    // ---- what every scenario checks ---------------------------------------------------------------------

    /**
     * After an interruption: the job runs again with one more restart, away from {@code excluded}, and
     * lost time and the resumed step agree with the last checkpoint the job reported before.
     */
    private void interrupted(String scenario, Snapshot before, long failT, Set<String> causes, Set<String> excluded) {
        int restart = before.restart() + 1;
        awaitRun(restart, "(" + scenario + ")");
        log("(" + scenario + ") job running again, restart " + restart);
        List<TraceLine> all = fleet.trace();
        long relaunchT = launches(restart).stream().mapToLong(TraceLine::t).min().orElseThrow();
        Optional<TraceLine> reported = all.stream()
                .filter(l -> l.kind().equals("ckpt") && l.job() == job && l.get("reported").equals("1") && l.t() < relaunchT)
                .max(Comparator.comparingLong(TraceLine::t));
        int expectedStep = reported.map(l -> l.integer("step")).orElse(0);

        Map<Integer, Integer> resumed = new TreeMap<>();
        for (TraceLine l : all)
            if (l.kind().equals("resumed") && l.job() == job && l.restart() == restart) resumed.put(l.rank(), l.integer("step"));
        Map<Integer, Integer> wrong = new TreeMap<>(resumed);
        wrong.values().removeIf(s -> s == expectedStep);
        check(scenario, wrong.isEmpty(), "ranks resumed from other steps than the last reported checkpoint "
                + expectedStep + " (rank=step): " + wrong);

        JsonNode j = cliJob();
        List<String> events = restartEvents(j);
        check(scenario, j.path("restarts").asInt() == restart && events.size() == before.interruptions() + 1,
                "one failure charged the job " + (j.path("restarts").asInt() - before.restart()) + " restarts and "
                        + (events.size() - before.interruptions()) + " interruption events: " + events);
        check(scenario, !events.isEmpty() && causes.stream().anyMatch(events.getLast()::startsWith),
                "the last interruption is " + (events.isEmpty() ? "none" : events.getLast()) + ", not " + causes);

        // lost: the work since the last reported checkpoint (since the run's start when it reported none)
        // plus the wait to run again, so from that moment to the new run's start at the controller
        boolean fromCheckpoint = reported.isPresent() && reported.get().t() / 1000.0 >= before.startTime();
        double from = fromCheckpoint ? reported.get().t() / 1000.0 : before.startTime();
        String since = fromCheckpoint ? "the checkpoint of step " + expectedStep + " was reported"
                : "the run began (it reported no checkpoint)";
        double newStart = j.path("startTime").asDouble();
        double lost = j.path("lostSeconds").asDouble() - before.lost();
        log(String.format(Locale.ROOT, "(%s) %s; resumed from step %s (last reported %d, %.1f s before the failure);"
                        + " lost time +%.1f s, %.1f s from when %s to the new run's start", scenario,
                events.isEmpty() ? "-" : events.getLast(), new TreeSet<>(resumed.values()), expectedStep,
                failT / 1000.0 - from, lost, newStart - from, since));
        check(scenario, newStart >= failT / 1000.0 - 0.2 && newStart <= relaunchT / 1000.0 + 0.2, String.format(Locale.ROOT,
                "the new run's startTime is %.1f s after the failure, but its ranks launched %.1f s after it",
                newStart - failT / 1000.0, (relaunchT - failT) / 1000.0));
        check(scenario, lost > 0.2, String.format(Locale.ROOT, "lost time grew by %.2f s though the ranks went back to"
                + " step %d, %.1f s of work before the failure", lost, expectedStep, failT / 1000.0 - from));
        check(scenario, Math.abs(lost - (newStart - from)) <= 1.0 && lost <= relaunchT / 1000.0 - from + 1.0,
                String.format(Locale.ROOT, "lost time grew by %.1f s, but %.1f s passed from when %s to the new run's"
                        + " start (%.1f s to its ranks' launch)", lost, newStart - from, since, relaunchT / 1000.0 - from));
        checkRun(scenario, restart, excluded);
    }

    /** One live copy of each rank, all of the current restart, on four hosts; no launch twice; clean logs. */
    private void checkRun(String scenario, int restart, Set<String> excluded) {
        List<RankProcess> procs = fleet.rankProcesses(job);
        Map<Integer, List<RankProcess>> byRank = procs.stream().collect(Collectors.groupingBy(RankProcess::rank, TreeMap::new,
                Collectors.toList()));
        List<String> notOne = new ArrayList<>();
        for (int r = 0; r < WORLD; r++) {
            List<RankProcess> copies = byRank.getOrDefault(r, List.of());
            if (copies.size() != 1) notOne.add("rank " + r + ": " + copies.size() + " " + brief(copies));
        }
        check(scenario, notOne.isEmpty(), "not exactly one live copy of each rank: " + head(notOne));
        List<RankProcess> stale = procs.stream().filter(p -> p.restart() != restart).toList();
        check(scenario, stale.isEmpty(), "ranks of an older run still live beside restart " + restart + ": " + brief(stale));
        List<RankProcess> current = procs.stream().filter(p -> p.restart() == restart).toList();
        Map<String, Long> perHost = current.stream().collect(Collectors.groupingBy(RankProcess::host, TreeMap::new,
                Collectors.counting()));
        check(scenario, perHost.size() == 4 && perHost.values().stream().allMatch(n -> n == 8),
                "the run is not 4 hosts x 8 ranks: " + perHost);
        check(scenario, perHost.keySet().stream().noneMatch(excluded::contains),
                "ranks run on " + excluded + ", which must not hold the job now: " + perHost);
        Optional<RankProcess> zero = current.stream().filter(p -> p.rank() == 0).findFirst();
        if (zero.isPresent() && !zero.get().host().equals("outside")) {
            String addr = fleet.host(zero.get().host()).address();
            List<RankProcess> otherMaster = current.stream().filter(p -> !addr.equals(p.masterAddr())).toList();
            check(scenario, otherMaster.isEmpty(), "MASTER_ADDR is not " + addr + ", rank 0's host " + zero.get().host()
                    + ": " + otherMaster.stream().map(p -> p.rank() + "->" + p.masterAddr()).limit(8).toList());
        }

        Map<String, Long> launched = launches().stream().collect(Collectors.groupingBy(
                l -> "restart " + l.restart() + " rank " + l.rank(), TreeMap::new, Collectors.counting()));
        List<String> twice = launched.entrySet().stream().filter(e -> e.getValue() > 1)
                .map(e -> e.getKey() + " x" + e.getValue()).toList();
        check(scenario, twice.isEmpty(), "ranks launched more than once in one run: " + head(twice));
        check(scenario, launches(restart).size() == WORLD, "restart " + restart + " launched " + launches(restart).size()
                + " ranks, not " + WORLD);
        checkLogs(scenario);
    }

    /**
     * The controller's copy of every rank's log: each line once, and one header per launch of that rank
     * (waiting for the agents to ship the newest lines).
     */
    private void checkLogs(String scenario) {
        Map<Integer, Long> launchesOf = launches().stream().collect(Collectors.groupingBy(TraceLine::rank, Collectors.counting()));
        Map<Integer, String> logs = new TreeMap<>();
        long deadline = System.currentTimeMillis() + 15_000;
        while (true) {
            for (int r = 0; r < WORLD; r++) logs.put(r, fleet.rankLog(job, r));
            boolean shipped = true;
            for (int r = 0; r < WORLD; r++) if (headers(logs.get(r), r) < launchesOf.getOrDefault(r, 0L)) shipped = false;
            if (shipped || System.currentTimeMillis() > deadline) break;
            pause(500);
        }
        List<String> repeats = new ArrayList<>();
        List<String> headerCounts = new ArrayList<>();
        int repeatedLines = 0;
        for (var e : logs.entrySet()) {
            Map<String, Integer> seen = new LinkedHashMap<>();
            for (String line : e.getValue().lines().toList()) if (!line.isBlank()) seen.merge(line, 1, Integer::sum);
            List<String> dup = seen.entrySet().stream().filter(x -> x.getValue() > 1).map(x -> x.getValue() + "x '" + x.getKey() + "'").toList();
            repeatedLines += dup.size();
            if (!dup.isEmpty()) repeats.add("rank " + e.getKey() + " (" + dup.size() + " lines, e.g. " + dup.getFirst() + ")");
            long h = headers(e.getValue(), e.getKey());
            long want = launchesOf.getOrDefault(e.getKey(), 0L);
            if (h != want) headerCounts.add("rank " + e.getKey() + ": " + h + " headers for " + want + " launches");
        }
        check(scenario, repeats.isEmpty(), repeats.size() + " ranks' logs at the controller repeat lines (" + repeatedLines
                + " lines in all): " + head(repeats));
        check(scenario, headerCounts.isEmpty(), "the controller's logs do not hold one header per launch: " + head(headerCounts));

        // and as an operator reads them
        for (int rank : List.of(0, 13)) {
            var r = fleet.cli(CLI, "logs", Long.toString(job), "--rank", Integer.toString(rank));
            Map<String, Integer> seen = new LinkedHashMap<>();
            for (String line : r.out().lines().toList()) if (!line.isBlank()) seen.merge(line, 1, Integer::sum);
            List<String> dup = seen.entrySet().stream().filter(x -> x.getValue() > 1).map(Map.Entry::getKey).toList();
            check(scenario, r.code() == 0 && dup.isEmpty(), "gpufleet logs " + job + " --rank " + rank + " (exit " + r.code()
                    + ") repeats " + dup.size() + " lines, e.g. " + head(dup) + (r.code() != 0 ? "\n" + r.both() : ""));
        }
    }

    // ---- waiting ----------------------------------------------------------------------------------------

    /** Waits until the job runs restart {@code restart} and all its ranks are past the rendezvous. */
    private void awaitRun(int restart, String what) {
        awaitUntil(RESTART_WITHIN, what + ": the job running restart " + restart + " with all " + WORLD
                + " ranks past the rendezvous", () -> {
            List<TraceLine> bad = fleet.trace().stream().filter(l -> l.kind().equals("bad")).toList();
            if (!bad.isEmpty())
                throw new AssertionError("ranks found their environment wrong and exited: " + head(bad.stream().map(TraceLine::raw).toList()));
            JsonNode j = fleet.json("/api/v1/jobs/" + job);
            String state = j.path("state").asString();
            if (Set.of("FAILED", "CANCELLED", "COMPLETED").contains(state))
                throw new AssertionError("the job ended " + state + ": " + j.path("reason").asString());
            return state.equals("RUNNING") && j.path("restarts").asInt() == restart && resumedCount(restart) == WORLD;
        }, () -> {
            JsonNode j = fleet.json("/api/v1/jobs/" + job);
            return "job " + j.path("state").asString() + ", restarts " + j.path("restarts").asInt() + ", reason "
                    + j.path("reason").asString() + "; restart " + restart + " launched " + launches(restart).size()
                    + " ranks, " + resumedCount(restart) + " met; events " + restartEvents(j);
        });
    }

    /** Waits for a checkpoint that rank 0 of {@code restart} writes from now on, then {@code pastMs} more. */
    private void freshCheckpoint(int restart, long pastMs) {
        long now = System.currentTimeMillis();
        awaitUntil(Duration.ofSeconds(20), "rank 0 of restart " + restart + " to write a checkpoint",
                () -> checkpointAfter(restart, now).isPresent(), () -> "trace ends: " + tailOf(fleet.trace()));
        TraceLine ck = checkpointAfter(restart, now).orElseThrow();
        while (System.currentTimeMillis() < ck.t() + pastMs) pause(50);
    }

    /**
     * Ranks of {@code restart} still running on {@code h} once their replacements run are a finding; the
     * test then kills them, so that later scenarios see their own faults only.
     */
    private void killOrphans(String scenario, Host h, int restart, long failT) {
        List<RankProcess> still = on(h, restart);
        if (still.isEmpty()) return;
        findings.add("(" + scenario + ") the old ranks on " + h.name() + " still ran beside their replacements "
                + (System.currentTimeMillis() - failT) / 1000 + " s after the agent went: " + brief(still)
                + "; the test kills them now");
        for (RankProcess p : still) NetnsFleet.sh("kill", "-9", Long.toString(p.pid()));
    }

    private Optional<TraceLine> checkpointAfter(int restart, long t) {
        return fleet.trace().stream().filter(l -> l.kind().equals("ckpt") && l.job() == job && l.restart() == restart
                && l.t() > t).findFirst();
    }

    private Optional<TraceLine> exitOf(int restart, int rank) {
        return fleet.trace().stream().filter(l -> l.kind().equals("exit") && l.job() == job && l.restart() == restart
                && l.rank() == rank).findFirst();
    }

    private static String waitForRemoval(NetnsFleet f) {
        // a namespace's veth goes away a moment after the namespace
        long deadline = System.currentTimeMillis() + 10_000;
        String left = f.remains();
        while (!left.isEmpty() && System.currentTimeMillis() < deadline) {
            pause(200);
            left = f.remains();
        }
        return left;
    }

    // ---- reading the state ------------------------------------------------------------------------------

    private Snapshot snapshot() {
        JsonNode j = fleet.json("/api/v1/jobs/" + job);
        return new Snapshot(j.path("restarts").asInt(), j.path("generation").asLong(), j.path("lostSeconds").asDouble(),
                restartEvents(j).size(), j.path("startTime").asDouble());
    }

    /** {@code gpufleet job ID -o json}, as an operator asks. */
    private JsonNode cliJob() {
        var r = fleet.cli(CLI, "job", Long.toString(job), "-o", "json");
        if (r.code() != 0) throw new AssertionError("gpufleet job " + job + " -o json failed (" + r.code() + "):\n" + r.both());
        return NetnsFleet.parse(r.out());
    }

    /** The details of the job's interruptions, oldest first. */
    private static List<String> restartEvents(JsonNode j) {
        List<String> out = new ArrayList<>();
        for (JsonNode e : j.path("events"))
            if (Set.of("RESTART", "FAILED").contains(e.path("kind").asString())) out.add(e.path("detail").asString());
        return out;
    }

    private List<String> restartEvents() {
        return restartEvents(fleet.json("/api/v1/jobs/" + job));
    }

    private JsonNode hostRecord(String name) {
        for (JsonNode h : fleet.json("/api/v1/hosts")) if (name.equals(h.path("name").asString())) return h;
        throw new AssertionError("no host " + name + " at the controller");
    }

    private RankProcess rankProcess(int rank) {
        return fleet.rankProcesses(job).stream().filter(p -> p.rank() == rank).findFirst()
                .orElseThrow(() -> new AssertionError("no live process of rank " + rank));
    }

    private List<RankProcess> on(Host h, int restart) {
        return fleet.rankProcesses(job).stream().filter(p -> p.host().equals(h.name()) && p.restart() == restart).toList();
    }

    private List<TraceLine> launches() {
        return fleet.trace().stream().filter(l -> l.kind().equals("launch") && l.job() == job).toList();
    }

    private List<TraceLine> launches(int restart) {
        return launches().stream().filter(l -> l.restart() == restart).toList();
    }

    private int resumedCount(int restart) {
        return (int) fleet.trace().stream().filter(l -> l.kind().equals("resumed") && l.job() == job && l.restart() == restart)
                .map(TraceLine::rank).distinct().count();
    }

    private long headers(String log, int rank) {
        String prefix = "[gpufleet] job " + job + " rank " + rank + " restart ";
        return log.lines().filter(l -> l.startsWith(prefix)).count();
    }

    /** The wall-clock stamp ({@code t=MILLIS}) of a line the program printed, or 0. */
    private static long stampOf(String line) {
        int i = line.indexOf(" t=");
        if (i < 0) return 0;
        int end = line.indexOf(' ', i + 3);
        try {
            return Long.parseLong(line.substring(i + 3, end < 0 ? line.length() : end));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static Set<Long> pids(List<RankProcess> ps) {
        return ps.stream().map(RankProcess::pid).collect(Collectors.toCollection(TreeSet::new));
    }

    // ---- reporting --------------------------------------------------------------------------------------

    private void check(String scenario, boolean ok, String what) {
        if (ok) return;
        findings.add("(" + scenario + ") " + what);
        log("FINDING (" + scenario + ") " + what);
    }

    private void log(String what) {
        System.out.printf(Locale.ROOT, "[MultiHostIT +%5.1fs] %s%n", (System.currentTimeMillis() - began) / 1000.0, what);
    }

    private static String brief(List<RankProcess> ps) {
        return head(ps.stream().map(p -> "pid " + p.pid() + " rank " + p.rank() + " restart " + p.restart() + " on " + p.host())
                .toList());
    }

    private static String head(List<String> xs) {
        return xs.size() <= 8 ? xs.toString() : xs.subList(0, 8) + " and " + (xs.size() - 8) + " more";
    }

    private static String tailOf(String log, int n) {
        List<String> lines = log.lines().toList();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - n), lines.size()));
    }

    private static String tailOf(List<TraceLine> trace) {
        return head(trace.subList(Math.max(0, trace.size() - 5), trace.size()).stream().map(TraceLine::raw).toList());
    }
}
