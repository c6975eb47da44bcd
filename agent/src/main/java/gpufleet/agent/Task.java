package gpufleet.agent;

import gpufleet.protocol.Assignment;
import gpufleet.protocol.RankExit;
import gpufleet.protocol.RankSlot;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;

/**
 * One assignment on this host: a process per rank, started together, each writing stdout and stderr
 * to {@code <work-dir>/jobs/<job>/rank-<rank>.log} and reporting checkpoints through its own
 * {@link ProgressFile} next to it.
 */
final class Task {
    private static final System.Logger LOG = System.getLogger(Task.class.getName());

    /** A rank's process, or the exit code it got without one (it could not be started). */
    static final class Rank {
        final RankSlot slot;
        final Path log;
        final long logStart;
        final ProgressFile progress;
        final Process process; // null when it could not start
        volatile Integer exitCode;

        Rank(RankSlot slot, Path log, long logStart, ProgressFile progress, Process process, Integer exitCode) {
            this.slot = slot;
            this.log = log;
            this.logStart = logStart;
            this.progress = progress;
            this.process = process;
            this.exitCode = exitCode;
        }
    }

    /** Where a new run's share of a rank's log begins; {@link LogShipper#begin} ends the earlier runs' shares there. */
    interface LogStart {
        long begin(long job, int rank, Path log) throws IOException;
    }

    /** Exit code reported for a rank whose program could not be started, as a shell does for "command not found". */
    static final int CANNOT_START = 127;

    /** The variables that give a rank the checkpoint interval the controller advises, and where its updates go. */
    static final String INTERVAL_ENV = "GPUFLEET_CHECKPOINT_INTERVAL", INTERVAL_FILE_ENV = "GPUFLEET_CHECKPOINT_INTERVAL_FILE";

    final Assignment assignment;
    final List<Rank> ranks;
    /** Holds the advised checkpoint interval, whole seconds and a newline, rewritten when the controller changes it. */
    private final Path intervalFile;
    private Double interval; // guarded by this

    private Task(Assignment assignment, List<Rank> ranks, Path intervalFile) {
        this.assignment = assignment;
        this.ranks = ranks;
        this.intervalFile = intervalFile;
        this.interval = assignment.checkpointInterval();
    }

    /** The file a job's ranks on this host read the advised checkpoint interval from. */
    static Path intervalFile(Path jobDir, Assignment a) {
        return jobDir.resolve("checkpoint-interval." + a.generation());
    }

    /** An interval as ranks read it: whole seconds, at least 1. */
    static String seconds(double interval) {
        return Long.toString(Math.max(1, Math.round(interval)));
    }

    /**
     * The controller advises another checkpoint interval for this run: the file is replaced at once
     * (written aside, then renamed over it), so a rank reading it sees the old value or the new one.
     */
    synchronized void advise(Double newInterval) {
        if (newInterval == null || newInterval.equals(interval)) return;
        interval = newInterval;
        String problem = writeInterval(intervalFile, newInterval);
        if (problem != null)
            LOG.log(System.Logger.Level.WARNING, "job " + assignment.job() + ": cannot write " + intervalFile + ": " + problem);
        else
            LOG.log(System.Logger.Level.INFO, "job " + assignment.job() + ": checkpoint interval now " + seconds(newInterval) + " s");
    }

    synchronized Double interval() {
        return interval;
    }

    /** Writes the interval file; null when written, else what went wrong. */
    private static String writeInterval(Path file, double interval) {
        try {
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.writeString(tmp, seconds(interval) + "\n", StandardCharsets.UTF_8);
            // readable by the ranks whatever user they run as: it is advice, not a secret
            chmod(tmp, "rw-r--r--");
            Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            return null;
        } catch (IOException | RuntimeException e) {
            return e.getMessage();
        }
    }

    /** The environment of one rank: torchrun's variables and gpufleet's own. */
    static Map<String, String> environment(Assignment a, RankSlot slot, Path checkpointDir, Path progressFile) {
        return environment(a, slot, checkpointDir, progressFile, null);
    }

    /** As above, with the file the advised checkpoint interval is kept in (none without an interval). */
    static Map<String, String> environment(Assignment a, RankSlot slot, Path checkpointDir, Path progressFile,
                                           Path intervalFile) {
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
        // the run's generation: unlike the restart count it grows on preemption too, so a rank can name its run
        env.put("GPUFLEET_GENERATION", Long.toString(a.generation()));
        env.put("GPUFLEET_CHECKPOINT_DIR", checkpointDir.toString());
        env.put(ProgressFile.ENV, progressFile.toString());
        if (a.checkpointInterval() != null) {
            env.put(INTERVAL_ENV, seconds(a.checkpointInterval()));
            if (intervalFile != null) env.put(INTERVAL_FILE_ENV, intervalFile.toString());
        }
        // torchrun's name for the restart count, read by some training loops
        env.put("TORCHELASTIC_RESTART_COUNT", Integer.toString(a.restart()));
        return env;
    }

    /** Environment variables of the agent that a rank must not inherit: they authenticate to the controller. */
    static final java.util.Set<String> SECRET_ENV = java.util.Set.of("GPUFLEET_TOKEN", "GPUFLEET_JOIN_TOKEN");

    private static final java.nio.file.attribute.FileAttribute<?> OWNER_ONLY =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));

    /**
     * Starts every rank of {@code a}, as {@code runAs} when that is another user than the agent's. A
     * rank that cannot start is recorded as exited with {@link #CANNOT_START}.
     *
     * <p>Each rank's log is opened by the agent (mode 0600, in a job directory of mode 0711 when ranks
     * run as another user, 0700 otherwise) and handed to the rank as its stdout and stderr: a rank
     * writes its own log through that descriptor and can open no log at all, its own or another job's.
     *
     * <p>Each run of a rank gets a fresh, empty progress file in the job directory, mode 0600, owned by
     * the rank's user; its name carries the generation, so a rank of an earlier run still being stopped
     * cannot report into the new run's file. Earlier runs' files go.
     */
    static Task start(Assignment a, Path workDir, String hostName, RunAs runAs, LogStart logStart) {
        boolean switching = runAs != null && runAs.switches(RunAs.currentUid());
        Path jobs = workDir.resolve("jobs");
        Path jobDir = jobs.resolve(Long.toString(a.job()));
        Path ckpt = a.checkpointDir() != null ? Path.of(a.checkpointDir()) : jobDir.resolve("checkpoints");
        String setupProblem = null;
        try {
            Files.createDirectories(jobDir);
            chmod(jobs, switching ? "rwx--x--x" : "rwx------");
            chmod(jobDir, switching ? "rwx--x--x" : "rwx------");
            if (a.checkpointDir() == null) {
                Files.createDirectories(ckpt);
                if (switching) {
                    chmod(ckpt, "rwx------");
                    Files.setAttribute(ckpt, "unix:uid", runAs.uid());
                    Files.setAttribute(ckpt, "unix:gid", runAs.gid());
                }
            } else if (switching) {
                // a directory the job names is made by the job's user, with that user's rights, never the agent's
                setupProblem = asUser(runAs, List.of("mkdir", "-p", "--", ckpt.toString()));
            } else {
                Files.createDirectories(ckpt);
            }
        } catch (IOException | RuntimeException e) {
            setupProblem = e.getMessage();
        }
        removeEarlierProgressFiles(jobDir, a);
        Path intervalFile = intervalFile(jobDir, a);
        if (a.checkpointInterval() != null) {
            String problem = writeInterval(intervalFile, a.checkpointInterval());
            if (problem != null) LOG.log(System.Logger.Level.WARNING, "job " + a.job() + ": cannot write " + intervalFile + ": " + problem);
        }
        List<Rank> ranks = new ArrayList<>();
        for (RankSlot slot : a.ranks()) {
            Path log = jobDir.resolve("rank-" + slot.rank() + ".log");
            Path progressPath = jobDir.resolve("rank-" + slot.rank() + "." + a.generation() + ".progress");
            ProgressFile progress = new ProgressFile(progressPath, problem -> {
                LOG.log(System.Logger.Level.WARNING, "job " + a.job() + " rank " + slot.rank() + ": " + problem);
                try {
                    Files.writeString(log, "[gpufleet] " + problem + "\n", StandardCharsets.UTF_8, StandardOpenOption.APPEND);
                } catch (IOException ignored) {
                    // the agent's log has it
                }
            });
            long start = 0;
            Process p = null;
            Integer code = null;
            try {
                if (!Files.exists(log)) Files.createFile(log, OWNER_ONLY);
                chmod(log, "rw-------");
                start = logStart.begin(a.job(), slot.rank(), log);
                String header = "[gpufleet] job " + a.job() + " rank " + slot.rank() + " restart " + a.restart()
                        + " (generation " + a.generation() + ") on " + hostName + " GPU " + slot.gpu() + " at "
                        + Instant.now() + (switching ? " as " + runAs.describe() : "") + "\n";
                Files.writeString(log, header, StandardCharsets.UTF_8, StandardOpenOption.APPEND);
                if (setupProblem != null)
                    Files.writeString(log, "[gpufleet] checkpoint directory " + ckpt + ": " + setupProblem + "\n",
                            StandardCharsets.UTF_8, StandardOpenOption.APPEND);
                String progressProblem = createProgressFile(progressPath, switching ? runAs : null);
                if (progressProblem != null)
                    Files.writeString(log, "[gpufleet] " + ProgressFile.ENV + " " + progressPath + ": " + progressProblem + "\n",
                            StandardCharsets.UTF_8, StandardOpenOption.APPEND);
                ProcessBuilder pb = new ProcessBuilder(ProcessGroups.inOwnGroup(switching ? runAs.wrap(a.command()) : a.command()));
                pb.environment().keySet().removeAll(SECRET_ENV);
                pb.environment().putAll(environment(a, slot, ckpt, progressPath, intervalFile));
                if (switching && runAs.user() != null) {
                    pb.environment().put("USER", runAs.user());
                    pb.environment().put("LOGNAME", runAs.user());
                    if (runAs.home() != null) pb.environment().put("HOME", runAs.home());
                }
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
            ranks.add(new Rank(slot, log, start, progress, p, code));
        }
        return new Task(a, List.copyOf(ranks), intervalFile);
    }

    /** A fresh, empty progress file for one run of a rank; null when made, else what went wrong. */
    private static String createProgressFile(Path p, RunAs owner) {
        try {
            Files.deleteIfExists(p);
            Files.createFile(p, OWNER_ONLY);
            chmod(p, "rw-------");
            if (owner != null) {
                Files.setAttribute(p, "unix:uid", owner.uid());
                Files.setAttribute(p, "unix:gid", owner.gid());
            }
            return null;
        } catch (IOException | RuntimeException e) {
            return e.getMessage();
        }
    }

    /** Removes the progress files of earlier runs of {@code a}'s ranks on this host. */
    private static void removeEarlierProgressFiles(Path jobDir, Assignment a) {
        java.util.Set<String> prefixes = new java.util.HashSet<>();
        for (RankSlot s : a.ranks()) prefixes.add("rank-" + s.rank() + ".");
        try (var files = Files.list(jobDir)) {
            for (Path f : files.toList()) {
                String name = f.getFileName().toString();
                if (name.endsWith(".progress") && prefixes.contains(name.substring(0, name.indexOf('.') + 1)))
                    Files.deleteIfExists(f);
                else if (name.startsWith("checkpoint-interval.") && !name.equals(intervalFile(jobDir, a).getFileName().toString()))
                    Files.deleteIfExists(f);
            }
        } catch (IOException | RuntimeException e) {
            // a stale file is only clutter: each run reads its own
        }
    }

    private static void chmod(Path p, String mode) throws IOException {
        try {
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(mode));
        } catch (UnsupportedOperationException notPosix) {
            // nothing to tighten on such a file system
        }
    }

    /** Runs a short command as {@code runAs}; returns null when it succeeded, else what it said. */
    private static String asUser(RunAs runAs, List<String> command) {
        try {
            Process p = new ProcessBuilder(runAs.wrap(command)).redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile())).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (!p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return String.join(" ", command) + " did not finish";
            }
            return p.exitValue() == 0 ? null : out.isEmpty() ? String.join(" ", command) + " failed" : out;
        } catch (IOException e) {
            return e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
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

    /**
     * The newest checkpoint any rank of this run has reported in its progress file (epoch seconds), or
     * null; reads what the ranks appended since the last call.
     */
    Double checkpointTime() {
        Double newest = null;
        for (Rank r : ranks) {
            Double t = r.progress.poll();
            if (t != null && (newest == null || t > newest)) newest = t;
        }
        return newest;
    }

    /**
     * The stall of the newest checkpoint the ranks reported with one (call after {@link #checkpointTime},
     * which reads their files), the longest where ranks differ: the gang waits for its slowest; or null.
     */
    Double checkpointCost() {
        Double out = null;
        for (Rank r : ranks) {
            Double c = r.progress.cost();
            if (c != null && (out == null || c > out)) out = c;
        }
        return out;
    }

    /**
     * When any rank of this run last appended a line to its progress file (call after {@link #checkpointTime},
     * which reads their files), epoch seconds, the newest among ranks; or null while none has.
     */
    Double progressTime() {
        Double out = null;
        for (Rank r : ranks) {
            Double t = r.progress.progress();
            if (t != null && (out == null || t > out)) out = t;
        }
        return out;
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
