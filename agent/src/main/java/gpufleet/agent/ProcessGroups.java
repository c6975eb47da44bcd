package gpufleet.agent;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Each rank runs as the leader of its own process group (started through {@code setsid}), so killing
 * the group takes the rank's whole tree: a launcher script, its Python, the data-loader workers.
 *
 * <p>A rank must not outlive its agent: once the agent is gone nobody would report it or stop it, and
 * the controller restarts its job elsewhere. A small watchdog process, started by the agent and left
 * running if the agent is killed, waits for the agent to die and then kills every group listed in
 * {@code rank-groups} under the work directory. The agent rewrites that list whenever a rank starts or
 * ends, and at start-up kills whatever a previous agent left listed.
 */
final class ProcessGroups {
    private static final Path SETSID = Path.of("/usr/bin/setsid");
    private final Path listFile;

    ProcessGroups(Path workDir) {
        this.listFile = workDir.resolve("rank-groups");
    }

    /** The command that starts {@code command} as the leader of a new process group, where that is possible. */
    static List<String> inOwnGroup(List<String> command) {
        if (!Files.isExecutable(SETSID)) return command;
        List<String> out = new ArrayList<>(command.size() + 1);
        out.add(SETSID.toString());
        out.addAll(command);
        return out;
    }

    /** Kills the groups a previous agent left listed (its watchdog may have died with it). */
    void killLeftovers() {
        try {
            if (!Files.exists(listFile)) return;
            for (String line : Files.readAllLines(listFile)) {
                line = line.strip();
                if (!line.isEmpty()) signalGroup(Long.parseLong(line), "KILL");
            }
            Files.delete(listFile);
        } catch (IOException | NumberFormatException e) {
            System.err.println("gpufleet agent: cannot clean up after a previous agent: " + e.getMessage());
        }
    }

    /** Records which groups are live now, atomically. */
    synchronized void record(Collection<Long> groups) {
        try {
            Path tmp = listFile.resolveSibling(listFile.getFileName() + ".tmp");
            StringBuilder sb = new StringBuilder();
            for (long g : groups) sb.append(g).append('\n');
            Files.writeString(tmp, sb);
            Files.move(tmp, listFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            System.err.println("gpufleet agent: cannot record rank process groups: " + e.getMessage());
        }
    }

    /** Starts the watchdog for this agent process. */
    Process startWatchdog() throws IOException {
        String script = "while kill -0 \"$GF_AGENT\" 2>/dev/null; do sleep 1; done; "
                + "[ -f \"$GF_LIST\" ] && while read g; do kill -KILL -- \"-$g\" 2>/dev/null; done < \"$GF_LIST\"; exit 0";
        ProcessBuilder pb = new ProcessBuilder(inOwnGroup(List.of("/bin/sh", "-c", script)));
        pb.environment().put("GF_AGENT", Long.toString(ProcessHandle.current().pid()));
        pb.environment().put("GF_LIST", listFile.toAbsolutePath().toString());
        pb.redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
        pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
        pb.redirectError(ProcessBuilder.Redirect.DISCARD);
        return pb.start();
    }

    /**
     * Stops a rank: SIGTERM to its group (and any descendants that left it), then SIGKILL after
     * {@code graceMs} if it is still there.
     */
    static void stop(Process p, long graceMs) {
        List<ProcessHandle> tree = new ArrayList<>(p.descendants().toList());
        signalGroup(p.pid(), "TERM");
        p.destroy();
        for (ProcessHandle d : tree) d.destroy();
        try {
            if (!p.waitFor(graceMs, TimeUnit.MILLISECONDS)) {
                signalGroup(p.pid(), "KILL");
                p.destroyForcibly();
            }
            // the leader may have gone first: make sure nothing of the group lingers
            signalGroup(p.pid(), "KILL");
            for (ProcessHandle d : tree) d.destroyForcibly();
            p.waitFor(graceMs, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
        }
    }

    private static void signalGroup(long pgid, String signal) {
        try {
            Process k = new ProcessBuilder("kill", "-" + signal, "--", "-" + pgid)
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            k.waitFor(5, TimeUnit.SECONDS);
        } catch (IOException e) {
            // no kill(1): the JDK's own destroy above still ends the leader
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
