package gpufleet.agent;

import gpufleet.agent.gpu.SimulatedGpus;
import gpufleet.protocol.Assignment;
import gpufleet.protocol.Heartbeat;
import gpufleet.protocol.RankSlot;
import gpufleet.protocol.TaskReport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/** A real agent, with real rank processes, against a controller that records what the agent tells it. */
class AgentTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    private static Agent start(FakeController controller, Path work) throws Exception {
        return start(controller, work, null);
    }

    private static Agent start(FakeController controller, Path work, RunAs runAs) throws Exception {
        var config = new AgentConfig(controller.url(), "h1", "r1", "z1", null, work, Duration.ofMillis(200), Duration.ofMillis(500),
                null, null, runAs);
        return new Agent(config, new SimulatedGpus(2, SimulatedGpus.DEFAULT_MODEL, null, "h1")).start();
    }

    /** Generation {@code g} of job {@code job}, one rank (0) on GPU 0, running {@code script} with {@code args} as $1... */
    private static Assignment run(long job, long g, int restart, String script, String... args) {
        List<String> command = new ArrayList<>(List.of("/bin/sh", "-c", script, "sh"));
        command.addAll(List.of(args));
        return new Assignment(job, g, restart, "t", command, null, "127.0.0.1", 29_500, 1, 0, List.of(new RankSlot(0, 0, 0)));
    }

    private static void await(BooleanSupplier done, String what) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) fail("not within " + WAIT + ": " + what);
            Thread.sleep(20);
        }
    }

    private static String read(Path f) {
        try {
            return Files.exists(f) ? Files.readString(f, StandardCharsets.ISO_8859_1) : "";
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static TaskReport report(Heartbeat hb, long job) {
        return hb.tasks().stream().filter(t -> t.job() == job).findFirst().orElse(null);
    }

    /** As {@link #run} with the checkpoint interval the controller advises. */
    private static Assignment run(long job, long g, Double interval, String script, String... args) {
        Assignment a = run(job, g, 0, script, args);
        return new Assignment(a.job(), a.generation(), a.restart(), a.name(), a.command(), a.checkpointDir(),
                a.masterAddr(), a.masterPort(), a.worldSize(), a.groupRank(), a.ranks(), interval);
    }

    @Test
    void aRankIsToldTheAdvisedCheckpointIntervalAtStartAndReadsItsUpdatesFromItsFile(@TempDir Path dir) throws Exception {
        Path marks = dir.resolve("marks");
        // the rank says what it was told, then each new value of the file as it changes
        String script = "echo \"start $GPUFLEET_CHECKPOINT_INTERVAL $(cat \"$GPUFLEET_CHECKPOINT_INTERVAL_FILE\")\" >> \"$1\"; "
                + "last=$(cat \"$GPUFLEET_CHECKPOINT_INTERVAL_FILE\"); "
                + "while :; do now=$(cat \"$GPUFLEET_CHECKPOINT_INTERVAL_FILE\"); "
                + "if [ \"$now\" != \"$last\" ]; then echo \"now $now\" >> \"$1\"; last=$now; fi; sleep 0.02; done";
        try (var controller = new FakeController(); Agent agent = start(controller, dir.resolve("work"))) {
            controller.assign(run(1, 1, 1234.4, script, marks.toString()));
            await(() -> read(marks).contains("start"), "the rank starts");
            assertThat(read(marks)).startsWith("start 1234 1234\n");
            // the same run, advised a shorter interval (its hosts failed): the rank goes on and reads it
            controller.assign(run(1, 1, 600.0, script, marks.toString()));
            await(() -> read(marks).contains("now 600"), "the rank reads the new interval");
            assertThat(read(marks)).isEqualTo("start 1234 1234\nnow 600\n");
            Path interval = dir.resolve("work/jobs/1/checkpoint-interval.1");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(interval))).isEqualTo("rw-r--r--");

            // the job says what its checkpoints cost through its progress file; heartbeats carry it
            Files.writeString(dir.resolve("work/jobs/1/rank-0.1.progress"), "checkpoint 40 12.5\n");
            Heartbeat hb = controller.awaitHeartbeat(h -> report(h, 1) != null && report(h, 1).checkpointCost() != null,
                    WAIT, "the checkpoint's cost");
            assertThat(report(hb, 1).checkpointCost()).isEqualTo(12.5);
        }
        // a run the controller advises nothing has neither variable
        Path none = dir.resolve("none");
        try (var controller = new FakeController(); Agent agent = start(controller, dir.resolve("work2"))) {
            controller.assign(run(2, 1, 0, "echo \"${GPUFLEET_CHECKPOINT_INTERVAL-unset} ${GPUFLEET_CHECKPOINT_INTERVAL_FILE-unset}\" >> \"$1\"",
                    none.toString()));
            await(() -> read(none).contains("\n"), "the rank runs");
            assertThat(read(none)).isEqualTo("unset unset\n");
        }
    }

    @Test
    void aRunStartsOnlyOnceTheRanksStillStoppingOnItsGpusAreGone(@TempDir Path dir) throws Exception {
        Path marks = dir.resolve("marks"), pid = dir.resolve("pid");
        try (var controller = new FakeController(); Agent agent = start(controller, dir.resolve("work"))) {
            // job 1 ignores SIGTERM, so it holds GPU 0 through the whole kill grace (500 ms here)
            controller.assign(run(1, 1, 0, "echo $$ > \"$2\"; trap '' TERM; echo 'job 1 runs' >> \"$1\"; "
                    + "while :; do sleep 0.02; done", marks.toString(), pid.toString()));
            await(() -> read(marks).contains("job 1 runs"), "job 1 starts");
            // job 1 cancelled and job 2 placed on the same GPU at once, as the controller does
            controller.assign(run(2, 1, 0, "if kill -0 \"$(cat \"$2\")\" 2>/dev/null; then echo 'job 2 beside job 1' >> \"$1\"; "
                    + "else echo 'job 2 alone' >> \"$1\"; fi; sleep 60", marks.toString(), pid.toString()));
            await(() -> read(marks).contains("job 2"), "job 2 starts");
            assertThat(read(marks)).contains("job 2 alone").doesNotContain("job 2 beside job 1");
        }
    }

    @Test
    void aNewLeaderIsObeyedWhateverItsVersionsAndAReplacedLeadersLateAnswerIsNot(@TempDir Path dir) throws Exception {
        Path marks = dir.resolve("marks");
        try (var controller = new FakeController(); Agent agent = start(controller, dir.resolve("work"))) {
            // the first leader (epoch 3) counts its versions from a late start: a million
            controller.failOver(3, 1_000_000, run(1, 1, 0, "echo 'job 1 runs' >> \"$1\"; sleep 60", marks.toString()));
            await(() -> read(marks).contains("job 1 runs"), "job 1 starts under epoch 3");
            // a standby that started earlier takes over (epoch 4): its count is far lower, and it moved job 1 away
            controller.failOver(4, 10, run(2, 1, 0, "echo 'job 2 runs' >> \"$1\"; sleep 60", marks.toString()));
            await(() -> read(marks).contains("job 2 runs"), "job 2 starts under epoch 4, though its version is lower");
            controller.awaitHeartbeat(hb -> report(hb, 1) == null && report(hb, 2) != null, WAIT, "job 1 stopped, job 2 running");
            // the old leader, resumed after a pause, answers with its own (higher) count and its old list
            controller.failOver(3, 2_000_000, run(1, 1, 0, "echo 'job 1 runs again' >> \"$1\"; sleep 60", marks.toString()));
            controller.awaitHeartbeat(hb -> true, WAIT, "a heartbeat answered by the replaced leader");
            controller.awaitHeartbeat(hb -> true, WAIT, "another one");
            assertThat(read(marks)).doesNotContain("job 1 runs again");
            assertThat(controller.awaitHeartbeat(hb -> true, WAIT, "a third").tasks()).extracting(TaskReport::job)
                    .as("the agent keeps what the newer leader asked for").containsExactly(2L);
        }
    }

    @Test
    void theControllersCopyOfARanksLogHoldsEachRunOnceInOrder(@TempDir Path dir) throws Exception {
        Path pids = dir.resolve("pids");
        Path log = dir.resolve("work/jobs/7/rank-0.log");
        try (var controller = new FakeController(); Agent agent = start(controller, dir.resolve("work"))) {
            // run 1 writes on and ignores SIGTERM, so it writes through the kill grace (run 2 starts once it is gone)
            controller.assign(run(7, 1, 0, "echo $$ >> \"$1\"; trap '' TERM; i=0; "
                    + "while :; do i=$((i+1)); echo \"run 1 line $i\"; sleep 0.02; done", pids.toString()));
            await(() -> read(log).contains("run 1 line 5"), "run 1 writes");
            // runs that end at once: with an error, and without a program at all
            controller.assign(run(7, 2, 1, "echo run 2 fails at once; exit 3"));
            await(() -> read(log).contains("run 2 fails at once"), "run 2 writes");
            controller.awaitHeartbeat(hb -> report(hb, 7) != null && report(hb, 7).generation() == 2 && !report(hb, 7).exits().isEmpty(),
                    WAIT, "reporting run 2's exit");
            controller.assign(new Assignment(7, 3, 2, "t", List.of("/no/such/binary"), null, "127.0.0.1", 29_500, 1, 0,
                    List.of(new RankSlot(0, 0, 0))));
            controller.awaitHeartbeat(hb -> report(hb, 7) != null && report(hb, 7).generation() == 3 && !report(hb, 7).exits().isEmpty(),
                    WAIT, "reporting run 3's exit");
            controller.assign(run(7, 4, 3, "echo $$ >> \"$1\"; for i in 1 2 3; do echo \"run 4 line $i\"; done; sleep 600", pids.toString()));
            await(() -> read(log).contains("run 4 line 3"), "run 4 writes");
            controller.assign(); // the job is over
            awaitStopped(pids);

            long size = Files.size(log);
            try {
                await(() -> controller.shipped(7, 0).length >= size, "shipping the log");
            } catch (AssertionError e) {
                throw new AssertionError(e.getMessage() + "; shipped:\n" + new String(controller.shipped(7, 0), StandardCharsets.ISO_8859_1)
                        + "\nlocal:\n" + read(log));
            }
            assertThat(new String(controller.shipped(7, 0), StandardCharsets.ISO_8859_1))
                    .as("the controller's copy is the local log, each byte once, in order").isEqualTo(read(log));
            // each run's share went out under its own generation and holds its header, no other run's
            long last = 0;
            var shares = new java.util.TreeMap<Long, StringBuilder>();
            for (var c : controller.chunks()) {
                assertThat(c.generation()).as("generations arrive in order").isGreaterThanOrEqualTo(last);
                last = c.generation();
                shares.computeIfAbsent(last, g -> new StringBuilder()).append(new String(c.bytes(), StandardCharsets.ISO_8859_1));
            }
            assertThat(shares.keySet()).containsExactly(1L, 2L, 3L, 4L);
            shares.forEach((g, share) -> {
                String[] parts = share.toString().split("\\[gpufleet\\] job 7 rank 0 restart", -1);
                assertThat(parts).as("run %d's share holds one header: %s", g, share).hasSize(2);
                assertThat(parts[1]).startsWith(" " + (g - 1) + " (generation " + g + ")");
            });
            assertThat(read(log)).contains("exec", "/no/such/binary");
        }
    }

    @Test
    void theFirstHeartbeatCarriesEveryGpusTelemetryAndTheNextOnesNoneForTenSeconds(@TempDir Path dir) throws Exception {
        try (var controller = new FakeController(); Agent agent = start(controller, dir.resolve("work"))) {
            controller.assign(run(13, 1, 0, "sleep 600"));
            // from the first heartbeat on: the agent may have sent it before this line runs
            Heartbeat first = controller.awaitHeartbeatFrom(0, hb -> !hb.telemetry().isEmpty(), WAIT, "with telemetry");
            assertThat(first.telemetry()).extracting(gpufleet.protocol.GpuTelemetry::index).containsExactly(0, 1);
            assertThat(first.telemetry()).allSatisfy(t -> {
                assertThat(t.temperatureC()).isBetween(20, 95);
                assertThat(t.memoryTotalBytes()).isPositive();
                assertThat(t.eccErrors()).isZero();
            });
            // heartbeats every 200 ms: the next few carry none (telemetry goes out every 10 s)
            int before = controller.heartbeats().size();
            controller.awaitHeartbeat(hb -> controller.heartbeats().size() >= before + 3, WAIT, "three more");
            List<Heartbeat> all = controller.heartbeats();
            List<Heartbeat> later = all.subList(before, all.size());
            assertThat(later).allSatisfy(hb -> assertThat(hb.telemetry()).isEmpty());
        }
    }

    @Test
    void aCheckpointARankReportsShowsInTheNextHeartbeatAndNothingElseCounts(@TempDir Path dir) throws Exception {
        Path work = dir.resolve("work");
        Path go = dir.resolve("go");
        Path pids = dir.resolve("pids");
        Path ckpt = work.resolve("jobs/9/checkpoints");
        try (var controller = new FakeController(); Agent agent = start(controller, work)) {
            controller.assign(run(9, 1, 0, """
                    echo $$ >> "$1"
                    echo "progress file $GPUFLEET_PROGRESS_FILE"
                    echo half-written > "$GPUFLEET_CHECKPOINT_DIR/step-5.pt"
                    while [ ! -f "$2" ]; do sleep 0.05; done
                    echo "checkpoint 5" >> "$GPUFLEET_PROGRESS_FILE"
                    sleep 600
                    """, pids.toString(), go.toString()));
            await(() -> Files.exists(ckpt.resolve("step-5.pt")), "the rank writes to its checkpoint directory");
            // a file in the checkpoint directory is not a checkpoint until the job says so
            for (int i = 0; i < 3; i++)
                assertThat(report(controller.awaitHeartbeat(hb -> report(hb, 9) != null, WAIT, "for job 9"), 9).checkpointTime())
                        .as("no checkpoint reported yet").isNull();

            Path progress = work.resolve("jobs/9/rank-0.1.progress");
            assertThat(read(work.resolve("jobs/9/rank-0.log"))).contains("progress file " + progress);
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(progress))).isEqualTo("rw-------");
            Files.createFile(go);
            await(() -> read(progress).equals("checkpoint 5\n"), "the rank reports its checkpoint");
            double mtime = Files.getLastModifiedTime(progress).toMillis() / 1000.0;
            controller.awaitHeartbeat(hb -> true, WAIT, "at all"); // may have been built before the line was written
            Heartbeat next = controller.awaitHeartbeat(hb -> true, WAIT, "at all");
            assertThat(report(next, 9).checkpointTime()).as("the next heartbeat carries it").isEqualTo(mtime);

            // a new run of the rank gets a fresh, empty file: the old run's checkpoint is not its own
            controller.assign(run(9, 2, 1, "echo $$ >> \"$1\"; echo \"progress file $GPUFLEET_PROGRESS_FILE holds $(wc -c < \"$GPUFLEET_PROGRESS_FILE\") bytes\"; sleep 600",
                    pids.toString()));
            await(() -> read(work.resolve("jobs/9/rank-0.log")).contains("rank-0.2.progress holds 0 bytes"), "run 2 starts");
            assertThat(progress).as("the earlier run's file is gone").doesNotExist();
            for (int i = 0; i < 3; i++)
                assertThat(report(controller.awaitHeartbeat(hb -> report(hb, 9) != null && report(hb, 9).generation() == 2, WAIT, "for run 2"), 9)
                        .checkpointTime()).isNull();
            controller.assign();
            awaitStopped(pids);
        }
    }

    @Test
    void heartbeatsReportWhenARankLastMadeProgressAndKeepThatTimeOnceItGoesQuiet(@TempDir Path dir) throws Exception {
        Path work = dir.resolve("work");
        Path pids = dir.resolve("pids");
        try (var controller = new FakeController(); Agent agent = start(controller, work)) {
            // rank 0 reports five steps and then hangs; rank 1 never writes a line
            Assignment one = run(9, 1, 0, """
                    echo $$ >> "$1"
                    if [ "$RANK" = 0 ]; then
                      for s in 1 2 3 4 5; do echo "step $s" >> "$GPUFLEET_PROGRESS_FILE"; sleep 0.1; done
                    fi
                    sleep 600
                    """, pids.toString());
            controller.assign(new Assignment(one.job(), one.generation(), one.restart(), one.name(), one.command(), null,
                    one.masterAddr(), one.masterPort(), 2, 0, List.of(new RankSlot(0, 0, 0), new RankSlot(1, 1, 1))));
            Path progress = work.resolve("jobs/9/rank-0.1.progress");
            await(() -> read(pids).lines().count() == 2, "both ranks start");
            assertThat(work.resolve("jobs/9/rank-1.1.progress")).as("two ranks run").exists();
            await(() -> read(progress).endsWith("step 5\n"), "rank 0 writes its last step");
            double last = Files.getLastModifiedTime(progress).toMillis() / 1000.0;
            Heartbeat hb = controller.awaitHeartbeat(h -> report(h, 9) != null && Objects.equals(report(h, 9).progressTime(), last),
                    WAIT, "the last step's time");
            assertThat(report(hb, 9).checkpointTime()).as("steps are no checkpoints").isNull();
            // quiet from now on: later heartbeats keep reporting that time, so the controller sees it age
            int seen = controller.heartbeats().size();
            controller.awaitHeartbeat(h -> controller.heartbeats().size() >= seen + 3, WAIT, "three more");
            List<Heartbeat> later = controller.heartbeats().subList(seen, controller.heartbeats().size());
            assertThat(later).allSatisfy(h -> assertThat(report(h, 9).progressTime()).isEqualTo(last));
            controller.assign();
            awaitStopped(pids);
        }
    }

    @Test
    void aRankOfAnotherUserReportsThroughAProgressFileOfItsOwn(@TempDir Path dir) throws Exception {
        // as root (here and in CI) the rank runs as nobody; elsewhere as the agent's own user
        boolean root = RunAs.currentUid() == 0;
        RunAs runAs = root ? RunAs.parse("nobody") : null;
        // the temporary directory is private to its creator: open the way down to the agent's own modes
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path work = dir.resolve("work");
        try (var controller = new FakeController(); Agent agent = start(controller, work, runAs)) {
            controller.assign(run(11, 1, 0, "echo \"checkpoint 3\" >> \"$GPUFLEET_PROGRESS_FILE\" && echo reported as $(id -u); sleep 600"));
            Heartbeat hb = controller.awaitHeartbeat(h -> report(h, 11) != null && report(h, 11).checkpointTime() != null, WAIT,
                    "with job 11's checkpoint");
            Path progress = work.resolve("jobs/11/rank-0.1.progress");
            assertThat(report(hb, 11).checkpointTime()).isEqualTo(Files.getLastModifiedTime(progress).toMillis() / 1000.0);
            int uid = root ? runAs.uid() : RunAs.currentUid();
            assertThat(read(work.resolve("jobs/11/rank-0.log"))).contains("reported as " + uid);
            assertThat(Files.getAttribute(progress, "unix:uid")).isEqualTo(uid);
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(progress))).isEqualTo("rw-------");
        }
    }

    /** Waits until no process of the rank groups whose leaders' pids are listed in {@code pids} is left. */
    private static void awaitStopped(Path pids) throws java.io.IOException, InterruptedException {
        List<Long> groups = Files.readAllLines(pids).stream().map(Long::parseLong).toList();
        await(() -> {
            try {
                return ProcessGroupsTest.running(groups).isEmpty();
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }, "every rank stopped");
    }
}
