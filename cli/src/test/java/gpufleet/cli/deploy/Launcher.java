package gpufleet.cli.deploy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The shipped {@code ./gpufleet} launcher, run as a user runs it: a separate process started from a
 * shell, with the jar that {@code package} built. Tests of what operators type go through here, so
 * the launcher's argument parsing is what they exercise.
 */
public final class Launcher {
    /** The repository's root: the folder that holds the launcher. */
    public static final Path ROOT = findRoot();
    public static final Path GPUFLEET = ROOT.resolve("gpufleet");

    private Launcher() {}

    /** What a finished command printed. */
    public record Result(int code, String out, String err) {
        public String both() { return out + err; }
    }

    /** Runs {@code ./gpufleet args...} in {@code dir} and waits for it. */
    public static Result run(Path dir, Map<String, String> env, Duration timeout, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(GPUFLEET.toString());
        cmd.addAll(List.of(args));
        return exec(dir, env, timeout, cmd);
    }

    /** Runs a command line through {@code /bin/sh -c}, as a reader pastes it. */
    public static Result sh(Path dir, Map<String, String> env, Duration timeout, String script) {
        return exec(dir, env, timeout, List.of("/bin/sh", "-c", script));
    }

    static Result exec(Path dir, Map<String, String> env, Duration timeout, List<String> cmd) {
        try {
            Path out = Files.createTempFile("gpufleet-out", ".txt");
            Path err = Files.createTempFile("gpufleet-err", ".txt");
            try {
                ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile())
                        .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                        .redirectOutput(out.toFile()).redirectError(err.toFile());
                pb.environment().put("GPUFLEET_JAVA_OPTS", "-Xmx512m -XX:TieredStopAtLevel=1");
                pb.environment().putAll(env);
                Process p = pb.start();
                if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    p.descendants().forEach(ProcessHandle::destroyForcibly);
                    p.destroyForcibly();
                    p.waitFor();
                    throw new AssertionError("`" + String.join(" ", cmd) + "` did not finish within " + timeout
                            + "; it printed:\n" + Files.readString(out) + Files.readString(err));
                }
                return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                        Files.readString(err, StandardCharsets.UTF_8));
            } finally {
                Files.deleteIfExists(out);
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            throw new AssertionError("cannot run " + cmd + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /**
     * Runs {@code ./gpufleet args...} under {@code wrapper} (for example {@code ip netns exec NS}, as an
     * operator runs a command on another host) and waits for it.
     */
    public static Result runUnder(List<String> wrapper, Path dir, Map<String, String> env, Duration timeout,
                                  String... args) {
        List<String> cmd = new ArrayList<>(wrapper);
        cmd.add(GPUFLEET.toString());
        cmd.addAll(List.of(args));
        return exec(dir, env, timeout, cmd);
    }

    /** Starts {@code ./gpufleet args...} in the background, its output going to {@code log}. */
    public static Process start(Path dir, Map<String, String> env, Path log, String... args) throws IOException {
        return startUnder(List.of(), dir, env, log, args);
    }

    /**
     * Starts {@code ./gpufleet args...} under {@code wrapper} in the background. A wrapper that execs its
     * command ({@code ip netns exec}) leaves the returned process being the launcher's JVM itself.
     */
    public static Process startUnder(List<String> wrapper, Path dir, Map<String, String> env, Path log,
                                     String... args) throws IOException {
        List<String> cmd = new ArrayList<>(wrapper);
        cmd.add(GPUFLEET.toString());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().put("GPUFLEET_JAVA_OPTS", "-Xmx256m -XX:TieredStopAtLevel=1");
        pb.environment().putAll(env);
        return pb.start();
    }

    private static Path findRoot() {
        Path p = Path.of("").toAbsolutePath();
        for (Path q = p; q != null; q = q.getParent())
            if (Files.isExecutable(q.resolve("gpufleet")) && Files.isRegularFile(q.resolve("mvnw"))) return q;
        throw new IllegalStateException("no ./gpufleet launcher above " + p);
    }

    /**
     * Polls {@code probe} until {@code done} holds, at most {@code within}; fails with what it waited for,
     * the last value seen and {@code context} (what the processes under test said).
     */
    public static <T> T await(String what, Duration within, java.util.function.Supplier<T> probe,
                              java.util.function.Predicate<T> done, java.util.function.Supplier<String> context) {
        long deadline = System.nanoTime() + within.toNanos();
        T last = probe.get();
        while (!done.test(last)) {
            if (System.nanoTime() > deadline)
                throw new AssertionError("waited " + within.toSeconds() + " s for " + what + "; last seen: " + last
                        + "\n" + context.get());
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
            last = probe.get();
        }
        return last;
    }

    /** {@code file}'s text, or why it could not be read: for a failing test's message. */
    public static String tail(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return "(" + file + ": " + e.getMessage() + ")";
        }
    }

    /** Stops processes started for a test, the last started first, each with its children: TERM, then KILL after 20 s. */
    public static void stopAll(List<Process> processes) throws InterruptedException {
        for (Process p : processes.reversed()) {
            p.toHandle().descendants().forEach(ProcessHandle::destroy);
            p.destroy();
            if (!p.waitFor(20, TimeUnit.SECONDS)) p.destroyForcibly();
        }
    }
}
