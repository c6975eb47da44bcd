package gpufleet.cli;

import gpufleet.agent.gpu.SimulatedGpus;
import gpufleet.testkit.TestDatabases;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import tools.jackson.databind.JsonNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Gangs through failure, end to end: a controller, agents as real processes with simulated GPUs,
 * and a small real program that checkpoints and resumes.
 */
class GangTest {
    @TempDir
    Path dir;
    TestFleet fleet;
    Path ckpt;

    @BeforeEach
    void setUp() throws IOException {
        ckpt = Files.createDirectories(dir.resolve("ckpt"));
    }

    /** A controller on SQLite: the database does not change what these tests are about. */
    private void start() {
        start(TestDatabases.Kind.SQLITE);
    }

    private void start(TestDatabases.Kind kind) {
        fleet = new TestFleet(dir, kind);
    }

    @AfterEach
    void tearDown() {
        if (fleet != null) fleet.close();
        // a first run told to hang never ends on its own: when a test fails before its ranks are killed, kill them here
        for (Launches.Launch l : Launches.in(ckpt).all())
            ProcessHandle.of(l.pid()).filter(h -> h.info().commandLine().orElse("").contains("train.sh"))
                    .ifPresent(ProcessHandle::destroyForcibly);
    }

    private String[] train(int steps, String pause, int failRank) throws IOException {
        return train(steps, pause, failRank, -1);
    }

    /** With {@code hangAt} at least 0, the first run's ranks stop advancing at that step and never end on their own. */
    private String[] train(int steps, String pause, int failRank, int hangAt) throws IOException {
        return new String[] {"/bin/sh", fleet.trainScript().toString(), Integer.toString(steps), pause,
                Integer.toString(failRank), Integer.toString(hangAt)};
    }

    private static List<String> hostsOf(JsonNode job) {
        List<String> out = new ArrayList<>();
        for (JsonNode p : job.get("placement")) out.add(p.get("host").stringValue());
        return out;
    }

    private static List<String> events(JsonNode job, String kind) {
        List<String> out = new ArrayList<>();
        for (JsonNode e : job.get("events")) if (e.get("kind").stringValue().equals(kind)) out.add(e.get("detail").stringValue());
        return out;
    }

    private int checkpointStep() {
        try {
            Path f = ckpt.resolve("step");
            return Files.exists(f) ? Integer.parseInt(Files.readString(f).strip()) : 0;
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
    }

    /** Pids the training program recorded for its ranks on a given restart (lines still being written are skipped). */
    private Set<Long> pids(int restart) {
        Set<Long> out = new HashSet<>();
        for (Launches.Launch l : Launches.in(ckpt).of(restart)) out.add(l.pid());
        return out;
    }

    private Set<Long> firstRunPids() {
        return pids(0);
    }

    private static boolean alive(long pid) {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.Kind.class)
    void aJobRestartsFromItsCheckpointWhenAnAgentDies(TestDatabases.Kind kind) throws Exception {
        start(kind);
        Process a = fleet.startAgent("host-a", "r1", 8);
        Process b = fleet.startAgent("host-b", "r1", 8);
        Process c = fleet.startAgent("host-c", "r2", 8);
        fleet.awaitHosts(3);
        // the first run stops at step 15 and never ends on its own: whatever of it is gone later was killed
        long id = fleet.submit("llama", 16, 8, 3, ckpt, train(100, "0.1", -1, 15));
        JsonNode running = fleet.awaitJob(id, "RUNNING", 10);
        List<String> first = hostsOf(running);
        assertThat(first).hasSize(2);
        fleet.await("a checkpoint at step 15", 30, this::checkpointStep, s -> s >= 15);

        // kill the agent holding the job's second half, as a crashed host would
        String victim = first.get(1);
        Process dead = switch (victim) {
            case "host-a" -> a;
            case "host-b" -> b;
            default -> c;
        };
        List<Launches.Launch> firstRun = fleet.await("all ranks up", 20, () -> Launches.in(ckpt).of(0), l -> l.size() == 16);
        // a rank is started by its agent directly (setsid execs in place), so its parent is the agent
        List<Long> orphans = firstRun.stream().filter(l -> l.parent() == dead.pid()).map(Launches.Launch::pid).toList();
        List<Long> survivors = firstRun.stream().filter(l -> l.parent() != dead.pid()).map(Launches.Launch::pid).toList();
        assertThat(orphans).as("ranks the victim started: " + firstRun).hasSize(8);
        assertThat(firstRun).allMatch(l -> alive(l.pid()));
        dead.destroyForcibly().waitFor();
        long killed = System.nanoTime();

        // the dead agent's watchdog (it looks once a second) kills its ranks long before the controller notices
        fleet.await("the dead agent's ranks killed by its watchdog", 4, () -> orphans.stream().filter(GangTest::alive).toList(),
                List::isEmpty);
        double afterKill = (System.nanoTime() - killed) / 1e9;
        assertThat(survivors).as("the live agent's ranks %.1f s after the kill, well inside the %d s heartbeat timeout",
                afterKill, TestFleet.HEARTBEAT_TIMEOUT.toSeconds()).allMatch(GangTest::alive);

        JsonNode again = fleet.await("job restarted", 30, () -> fleet.job(id),
                j -> j.get("restarts").intValue() == 1 && j.get("state").stringValue().equals("RUNNING"));
        assertThat(hostsOf(again)).doesNotContain(victim).hasSize(2);
        assertThat(again.get("generation").longValue()).isGreaterThan(running.get("generation").longValue());
        // the live agent stops the rest of the first run when it hears of the new generation
        fleet.await("first run's ranks gone", 15, () -> survivors.stream().filter(GangTest::alive).toList(), List::isEmpty);

        JsonNode done = fleet.awaitJob(id, "COMPLETED", 60);
        assertThat(done.get("restarts").intValue()).isEqualTo(1);
        assertThat(events(done, "RESTART")).singleElement().asString()
                .contains("HOST_LOST").contains(victim).contains("no heartbeat");
        // the second run resumed from the checkpoint the first run stopped at, and each rank ran once per restart
        assertThat(Files.readString(ckpt.resolve("done")).strip()).isEqualTo("restart=1 start=15");
        Map<Integer, Long> once = new java.util.TreeMap<>();
        for (int r = 0; r < 16; r++) once.put(r, 1L);
        assertThat(Launches.in(ckpt).perRank(0)).isEqualTo(once);
        assertThat(Launches.in(ckpt).perRank(1)).isEqualTo(once);
        assertThat(Launches.in(ckpt).all()).hasSize(32);
        assertThat(done.get("lostSeconds").doubleValue()).isGreaterThan(0);
        assertThat(done.get("ettr").doubleValue()).isGreaterThan(0).isLessThan(1);
        JsonNode hosts = fleet.get("/hosts");
        for (JsonNode h : hosts)
            if (h.get("name").stringValue().equals(victim)) assertThat(h.get("status").stringValue()).isEqualTo("DOWN");

        // what a researcher sees
        CliTest.Run shown = CliTest.run(fleet.cli("job", Long.toString(id)));
        assertThat(shown.code()).as(shown.err()).isZero();
        assertThat(shown.out()).contains("state        COMPLETED").contains("restarts: 1 of at most 3")
                .contains("HOST_LOST").contains(victim);
        CliTest.Run log = CliTest.run(fleet.cli("logs", Long.toString(id), "--rank", "0"));
        assertThat(log.out()).contains("restart 0 (generation").contains("restart 1 (generation")
                .contains("rank 0 done at step 100");

        // tokens went everywhere in this run (joins, credentials, every call); their secrets are shown nowhere
        fleet.assertNoSecretsShown(id);
    }

    @Test
    void aRankExitingNonZeroRestartsTheWholeGang() throws Exception {
        start();
        fleet.startAgent("host-a", "r1", 8);
        fleet.startAgent("host-b", "r1", 8);
        fleet.awaitHosts(2);
        long id = fleet.submit("crashy", 16, 8, 2, ckpt, train(30, "0.1", 9));
        JsonNode done = fleet.awaitJob(id, "COMPLETED", 60);
        assertThat(done.get("restarts").intValue()).isEqualTo(1);
        assertThat(events(done, "RESTART")).singleElement().asString()
                .contains("RANK_FAILED").contains("rank 9 on").contains("exited with code 3");
        assertThat(Files.readString(ckpt.resolve("done"))).startsWith("restart=1");
        // the other fifteen ranks of the failed run were stopped, not left running beside the restart
        for (long pid : pids(0)) assertThat(alive(pid)).as("pid " + pid).isFalse();
    }

    @Test
    void aJobOutOfRestartsFails() throws Exception {
        start();
        fleet.startAgent("host-a", "r1", 8);
        fleet.awaitHosts(1);
        long id = fleet.submit("fragile", 8, 8, 0, ckpt, train(30, "0.1", 2));
        JsonNode failed = fleet.awaitJob(id, "FAILED", 30);
        assertThat(failed.get("reason").stringValue()).contains("failed after 0 restarts").contains("rank 2");
        assertThat(failed.get("placement")).isEmpty();
    }

    @Test
    void aFatalXidDrainsTheHostAndMovesTheJob() throws Exception {
        start();
        fleet.startAgent("host-a", "r1", 8);
        fleet.startAgent("host-b", "r1", 8);
        fleet.awaitHosts(2);
        long id = fleet.submit("xid", 8, 8, 3, ckpt, train(60, "0.1", -1));
        JsonNode running = fleet.awaitJob(id, "RUNNING", 10);
        String host = hostsOf(running).getFirst();
        String other = host.equals("host-a") ? "host-b" : "host-a";
        SimulatedGpus.requestXid(fleet.agentWorkDir(host).resolve("inject"), 2, 79);

        JsonNode moved = fleet.await("job moved", 20, () -> fleet.job(id),
                j -> j.get("restarts").intValue() == 1 && j.get("state").stringValue().equals("RUNNING"));
        assertThat(hostsOf(moved)).containsExactly(other);
        JsonNode drained = fleet.await("host drained", 5, () -> fleet.get("/hosts"), hs -> {
            for (JsonNode h : hs)
                if (h.get("name").stringValue().equals(host)) return h.get("status").stringValue().equals("DRAINING");
            return false;
        });
        for (JsonNode h : drained)
            if (h.get("name").stringValue().equals(host)) {
                assertThat(h.get("statusReason").stringValue()).contains("GPU 2").contains("79");
                assertThat(h.get("unhealthyGpus").get(0).intValue()).isEqualTo(2);
            }
        assertThat(events(fleet.job(id), "RESTART")).singleElement().asString().contains("GPU_FAILED").contains(host);
        fleet.awaitJob(id, "COMPLETED", 60);
    }

    @Test
    void cancellingStopsEveryRank() throws Exception {
        start();
        fleet.startAgent("host-a", "r1", 8);
        fleet.awaitHosts(1);
        long id = fleet.submit("long", 4, 1, 0, ckpt, train(100_000, "1", -1));
        fleet.awaitJob(id, "RUNNING", 10);
        Set<Long> pids = fleet.await("four ranks up", 10, this::firstRunPids, s -> s.size() == 4);
        assertThat(pids).allMatch(GangTest::alive);
        fleet.post("/jobs/" + id + "/cancel", "");
        fleet.await("ranks stopped", 10, () -> pids.stream().filter(GangTest::alive).count(), n -> n == 0);
        assertThat(fleet.job(id).get("state").stringValue()).isEqualTo("CANCELLED");
    }

    @Test
    void revokingAHostsCredentialFencesItAndItsAgentStopsItsRanksAndExits() throws Exception {
        start();
        Process a = fleet.startAgent("host-a", "r1", 8);
        fleet.startAgent("host-b", "r1", 8);
        fleet.awaitHosts(2);
        long id = fleet.submit("fenced", 8, 8, 3, ckpt, train(100_000, "1", -1));
        JsonNode running = fleet.awaitJob(id, "RUNNING", 10);
        String host = hostsOf(running).getFirst();
        Set<Long> ranks = fleet.await("ranks up", 20, this::firstRunPids, s -> s.size() == 8);
        String credential = Files.readString(fleet.agentWorkDir(host).resolve("credential")).strip();

        CliTest.Run revoke = CliTest.run(fleet.cli("token", "revoke", credential.substring(4, 14)));
        assertThat(revoke.out()).as(revoke.err()).contains("host " + host + " is fenced");
        // at once, not after the heartbeat timeout: the job restarts on the other host
        JsonNode moved = fleet.await("job moved", 8, () -> fleet.job(id),
                j -> j.get("restarts").intValue() == 1 && j.get("state").stringValue().equals("RUNNING"));
        assertThat(hostsOf(moved)).doesNotContain(host);
        fleet.await("fenced ranks stopped", 15, () -> ranks.stream().filter(GangTest::alive).count(), n -> n == 0);
        Process fencedAgent = host.equals("host-a") ? a : fleet.agents.get(1);
        assertThat(fencedAgent.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)).as("the fenced agent exits").isTrue();
        assertThat(fencedAgent.exitValue()).isEqualTo(1);
        assertThat(Files.readString(fleet.agentWorkDir(host).resolve("agent.out")))
                .contains("no longer accepts this host's credential");
    }

    @Test
    void runningRanksSurviveAControllerRestart() throws Exception {
        start();
        fleet.startAgent("host-a", "r1", 8);
        fleet.startAgent("host-b", "r1", 8);
        fleet.awaitHosts(2);
        long id = fleet.submit("steady", 16, 8, 3, ckpt, train(60, "0.1", -1));
        JsonNode before = fleet.awaitJob(id, "RUNNING", 10);
        fleet.await("a checkpoint", 30, this::checkpointStep, s -> s >= 5);
        Set<Long> ranks = fleet.await("all ranks up", 20, this::firstRunPids, s -> s.size() == 16);

        fleet.restartController();
        JsonNode after = fleet.job(id);
        assertThat(after.get("state").stringValue()).isEqualTo("RUNNING");
        assertThat(after.get("generation")).isEqualTo(before.get("generation"));
        assertThat(ranks).hasSize(16).allMatch(GangTest::alive);

        JsonNode done = fleet.awaitJob(id, "COMPLETED", 60);
        assertThat(done.get("restarts").intValue()).isZero();
        assertThat(Files.readString(ckpt.resolve("done"))).startsWith("restart=0 start=0");
        // the restarted controller did not have the ranks started again
        Map<Integer, Long> once = new java.util.TreeMap<>();
        for (int r = 0; r < 16; r++) once.put(r, 1L);
        assertThat(Launches.in(ckpt).perRank(0)).isEqualTo(once);
        assertThat(Launches.in(ckpt).all()).hasSize(16);
    }
}
