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
 * {@code rank-groups.<agent pid>} under the work directory. The agent rewrites that list whenever a
 * rank starts or ends, and at start-up kills whatever earlier agents left listed.
 *
 * <p>Each agent process has a list of its own: a new agent started on the same work directory right
 * after a {@code kill -9} may list its new ranks before the old watchdog has woken up (it looks once a
 * second), and a shared list would have the old watchdog kill the new ranks, charging their job a
 * second restart for one agent restart.
 */
final class ProcessGroups {
    private static final Path SETSID = Path.of("/usr/bin/setsid");
    static final String LIST_PREFIX = "rank-groups";
    private final Path workDir;
    private final Path listFile;

    ProcessGroups(Path workDir) {
        this(workDir, ProcessHandle.current().pid());
    }

    ProcessGroups(Path workDir, long agentPid) {
        this.workDir = workDir;
        this.listFile = workDir.resolve(LIST_PREFIX + "." + agentPid);
    }

    /** The command that starts {@code command} as the leader of a new process group, where that is possible. */
    static List<String> inOwnGroup(List<String> command) {
        if (!Files.isExecutable(SETSID)) return command;
        List<String> out = new ArrayList<>(command.size() + 1);
        out.add(SETSID.toString());
        out.addAll(command);
        return out;
    }

    /** Kills the groups earlier agents on this work directory left listed (their watchdogs may have died with them). */
    void killLeftovers() {
        List<Path> lists = new ArrayList<>();
        try (var dir = Files.newDirectoryStream(workDir, LIST_PREFIX + "*")) {
            for (Path p : dir) if (!p.equals(listFile) && !p.getFileName().toString().endsWith(".tmp")) lists.add(p);
        } catch (java.nio.file.NoSuchFileException e) {
            return;
        } catch (IOException e) {
            System.err.println("gpufleet agent: cannot clean up after a previous agent: " + e.getMessage());
            return;
        }
        for (Path list : lists) {
            try {
                for (String line : Files.readAllLines(list)) {
                    Long g = groupId(line);
                    if (g != null) signalGroup(g, "KILL");
                    else if (!line.isBlank()) System.err.println("gpufleet agent: ignoring '" + line.strip() + "' in " + list);
                }
                Files.deleteIfExists(list);
            } catch (IOException e) {
                System.err.println("gpufleet agent: cannot clean up after a previous agent: " + e.getMessage());
            }
        }
    }

    /** This agent's list is of no use once it has stopped its ranks itself. */
    void forget() {
        try {
            Files.deleteIfExists(listFile);
        } catch (IOException e) {
            // a stale empty list harms nobody: the next agent removes it
        }
    }

    /**
     * A process group id from a line of the list, or null. 0 and 1 are refused: signalling group 0 hits
     * the sender's own group, and -1 means every process the sender may signal.
     */
    static Long groupId(String line) {
        String s = line.strip();
        if (s.isEmpty() || s.length() > 18 || !s.chars().allMatch(c -> c >= '0' && c <= '9') || s.startsWith("0")) return null;
        long g = Long.parseLong(s);
        return g > 1 ? g : null;
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

    /**
     * The watchdog, run by {@code /bin/sh}: waits for the agent to go, then SIGKILLs every group in the
     * list. It must work in dash (Debian's and Ubuntu's /bin/sh), bash and busybox sh, and
     * {@code kill -KILL "-$g"} is the one spelling all three accept: dash refuses {@code kill -KILL -- -G}
     * ("Illegal number") and busybox refuses {@code kill -s KILL -- -G}. Only lines that are plain
     * numbers above 1 are used, for the reasons in {@link #groupId}.
     */
    static final String WATCHDOG = """
            while kill -0 "$GF_AGENT" 2>/dev/null; do sleep 1; done
            [ -f "$GF_LIST" ] || exit 0
            while read -r g || [ -n "$g" ]; do
              case "$g" in
                ''|*[!0-9]*|0*|1) continue ;;
              esac
              kill -KILL "-$g" 2>/dev/null
            done < "$GF_LIST"
            exit 0
            """;

    /** Starts the watchdog for this agent process. */
    Process startWatchdog() throws IOException {
        return watchdog(List.of("/bin/sh"), ProcessHandle.current().pid(), listFile).start();
    }

    /** The watchdog of process {@code agent}, run by {@code shell} (a command that takes {@code -c SCRIPT}), in its own group. */
    static ProcessBuilder watchdog(List<String> shell, long agent, Path listFile) {
        List<String> command = new ArrayList<>(shell);
        command.addAll(List.of("-c", WATCHDOG));
        ProcessBuilder pb = new ProcessBuilder(inOwnGroup(command));
        pb.environment().put("GF_AGENT", Long.toString(agent));
        pb.environment().put("GF_LIST", listFile.toAbsolutePath().toString());
        pb.redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
        pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
        pb.redirectError(ProcessBuilder.Redirect.DISCARD);
        return pb;
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

    /**
     * Sends {@code signal} (a name such as TERM or KILL) to every process of group {@code pgid}, through
     * /bin/sh's own kill in the form the watchdog uses: the kill program (procps) is missing from slim images.
     */
    static void signalGroup(long pgid, String signal) {
        if (pgid <= 1 || !signal.matches("[A-Z0-9]+")) throw new IllegalArgumentException("signal " + signal + " to group " + pgid);
        try {
            Process k = new ProcessBuilder("/bin/sh", "-c", "kill -" + signal + " \"-$1\"", "sh", Long.toString(pgid))
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            k.waitFor(5, TimeUnit.SECONDS);
        } catch (IOException e) {
            // no /bin/sh: the JDK's own destroy in stop() still ends the leader and its descendants
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
