package gpufleet.agent;

import gpufleet.protocol.Assignment;
import gpufleet.protocol.RankExit;
import gpufleet.protocol.RankSlot;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;

/**
 * One assignment on this host: a process per rank, started together, each writing stdout and stderr
 * to {@code <work-dir>/jobs/<job>/rank-<rank>.log}.
 */
final class Task {
    /** A rank's process, or the exit code it got without one (it could not be started). */
    static final class Rank {
        final RankSlot slot;
        final Path log;
        final long logStart;
        final Process process; // null when it could not start
        volatile Integer exitCode;

        Rank(RankSlot slot, Path log, long logStart, Process process, Integer exitCode) {
            this.slot = slot;
            this.log = log;
            this.logStart = logStart;
            this.process = process;
            this.exitCode = exitCode;
        }
    }

    /** Exit code reported for a rank whose program could not be started, as a shell does for "command not found". */
    static final int CANNOT_START = 127;

    final Assignment assignment;
    final Path checkpointDir;
    final List<Rank> ranks;

    private Task(Assignment assignment, Path checkpointDir, List<Rank> ranks) {
        this.assignment = assignment;
        this.checkpointDir = checkpointDir;
        this.ranks = ranks;
    }

    /** The environment of one rank: torchrun's variables and gpufleet's own. */
    static Map<String, String> environment(Assignment a, RankSlot slot, Path checkpointDir) {
        Map<String, String> env = new LinkedHashMap<>();
        StringJoiner visible = new StringJoiner(",");
        for (RankSlot s : a.ranks()) visible.add(Integer.toString(s.gpu()));
        env.put("MASTER_ADDR", a.masterAddr());
        env.put("MASTER_PORT", Integer.toString(a.masterPort()));
        env.put("WORLD_SIZE", Integer.toString(a.worldSize()));
        env.put("RANK", Integer.toString(slot.rank()));
        env.put("LOCAL_RANK", Integer.toString(slot.localRank()));
        env.put("LOCAL_WORLD_SIZE", Integer.toString(a.ranks().size()));
        env.put("GROUP_RANK", Integer.toString(a.groupRank()));
        env.put("CUDA_VISIBLE_DEVICES", visible.toString());
        env.put("GPUFLEET_JOB_ID", Long.toString(a.job()));
        env.put("GPUFLEET_JOB_NAME", a.name());
        env.put("GPUFLEET_RESTART_COUNT", Integer.toString(a.restart()));
        env.put("GPUFLEET_CHECKPOINT_DIR", checkpointDir.toString());
        // torchrun's name for the restart count, read by some training loops
        env.put("TORCHELASTIC_RESTART_COUNT", Integer.toString(a.restart()));
        return env;
    }

    /** Starts every rank of {@code a}. A rank that cannot start is recorded as exited with {@link #CANNOT_START}. */
    static Task start(Assignment a, Path workDir, String hostName) {
        Path jobDir = workDir.resolve("jobs").resolve(Long.toString(a.job()));
        Path ckpt = a.checkpointDir() != null ? Path.of(a.checkpointDir()) : jobDir.resolve("checkpoints");
        List<Rank> ranks = new ArrayList<>();
        for (RankSlot slot : a.ranks()) {
            Path log = jobDir.resolve("rank-" + slot.rank() + ".log");
            long start = 0;
            Process p = null;
            Integer code = null;
            try {
                Files.createDirectories(jobDir);
                Files.createDirectories(ckpt);
                start = Files.exists(log) ? Files.size(log) : 0;
                String header = "[gpufleet] job " + a.job() + " rank " + slot.rank() + " restart " + a.restart()
                        + " (generation " + a.generation() + ") on " + hostName + " GPU " + slot.gpu() + " at "
                        + Instant.now() + "\n";
                Files.writeString(log, header, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
                ProcessBuilder pb = new ProcessBuilder(ProcessGroups.inOwnGroup(a.command()));
                pb.environment().putAll(environment(a, slot, ckpt));
                pb.redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
                pb.redirectErrorStream(true);
                pb.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
                p = pb.start();
            } catch (IOException e) {
                code = CANNOT_START;
                try {
                    Files.writeString(log, "[gpufleet] cannot start " + a.command() + ": " + e.getMessage() + "\n",
                            StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
                } catch (IOException ignored) {
                    // the exit code still tells the controller
                }
            }
            ranks.add(new Rank(slot, log, start, p, code));
        }
        return new Task(a, ckpt, List.copyOf(ranks));
    }

    long job() { return assignment.job(); }

    long generation() { return assignment.generation(); }

    /** Ranks that have ended, with their codes. */
    List<RankExit> exits() {
        List<RankExit> out = new ArrayList<>();
        for (Rank r : ranks) {
            if (r.exitCode == null && r.process != null && !r.process.isAlive()) r.exitCode = r.process.exitValue();
            if (r.exitCode != null) out.add(new RankExit(r.slot.rank(), r.exitCode));
        }
        return out;
    }

    boolean holdsRankZero() {
        return ranks.stream().anyMatch(r -> r.slot.rank() == 0);
    }

    List<Long> liveGroups() {
        List<Long> out = new ArrayList<>();
        for (Rank r : ranks) if (r.process != null && r.process.isAlive()) out.add(r.process.pid());
        return out;
    }

    /** Stops every rank's process tree. */
    void stop(long graceMs) {
        List<Thread> stoppers = new ArrayList<>();
        for (Rank r : ranks)
            if (r.process != null && r.process.isAlive())
                stoppers.add(Thread.ofVirtual().start(() -> ProcessGroups.stop(r.process, graceMs)));
        for (Thread t : stoppers) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
