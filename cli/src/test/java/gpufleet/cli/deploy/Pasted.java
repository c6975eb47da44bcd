package gpufleet.cli.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A command line run as a reader pastes it: {@code /bin/sh -c LINE} in a directory, with an environment,
 * stdin from {@code /dev/null}, stdout and stderr together in a log file.
 */
final class Pasted {
    /**
     * What counts as a command's error when its exit status cannot tell (it was stopped at its time
     * budget, or it is a controller or agent still running): picocli's refusal, an error line in
     * gpufleet's own format ({@code gpufleet: ...}, {@code gpufleet agent: ...}; warnings excepted, and
     * the launcher's note that it builds the jar), or a stack trace.
     */
    static final Pattern ERROR = Pattern.compile(
            "Unknown option|Exception|(?m)^gpufleet(?: [a-z-]+)?: (?!warning|building the jar)");

    final String line;
    final Path log;
    final Process process;

    private Pasted(String line, Path log, Process process) {
        this.line = line;
        this.log = log;
        this.process = process;
    }

    static Pasted start(String line, Path dir, Map<String, String> env, Path log) {
        ProcessBuilder pb = new ProcessBuilder(List.of("/bin/sh", "-c", line)).directory(dir.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.to(log.toFile()));
        pb.environment().clear();
        pb.environment().putAll(env);
        try {
            return new Pasted(line, log, pb.start());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start /bin/sh -c " + line, e);
        }
    }

    /** Whether it ended within {@code limit}. */
    boolean waitFor(Duration limit) {
        try {
            return process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    String output() {
        try {
            return Files.readString(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The last lines of its output, for a failure message. */
    String tail() {
        String out = output();
        return out.length() <= 4000 ? out : "..." + out.substring(out.length() - 4000);
    }

    /** The first error {@link #ERROR} finds in its output, or null. */
    String error() {
        var m = ERROR.matcher(output());
        if (!m.find()) return null;
        String out = output();
        int from = out.lastIndexOf('\n', m.start()) + 1;
        int to = out.indexOf('\n', m.end());
        return out.substring(from, to < 0 ? out.length() : to);
    }

    /**
     * Stops them and everything they started (ranks in sessions of their own included, which are still
     * their descendants), all at once: SIGTERM to every process, SIGKILL to what is left after {@code grace}.
     */
    static void stop(List<Pasted> all, Duration grace) {
        List<ProcessHandle> tree = all.stream()
                .flatMap(p -> Stream.concat(Stream.of(p.process.toHandle()), p.process.descendants())).toList();
        tree.forEach(ProcessHandle::destroy);
        long deadline = System.nanoTime() + grace.toNanos();
        for (ProcessHandle h : tree) {
            long left = deadline - System.nanoTime();
            if (left <= 0) break;
            try {
                h.onExit().get(left, TimeUnit.NANOSECONDS);
            } catch (TimeoutException | ExecutionException e) {
                break;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        tree.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
        for (Pasted p : all) p.waitFor(Duration.ofSeconds(10));
    }

    void stop(Duration grace) {
        stop(List.of(this), grace);
    }
}
