package gpufleet.agent;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * Ranks must not outlive an agent killed with SIGKILL: its watchdog kills their process groups. The
 * watchdog is a /bin/sh script, and /bin/sh is dash on Debian and Ubuntu, bash on some systems and
 * busybox on small images, so it runs here under each of them, against real process groups.
 */
class ProcessGroupsTest {
    /** Shells the watchdog must work in, and the package that brings each. */
    private static final Map<String, List<String>> SHELLS = Map.of(
            "dash", List.of("dash"),
            "bash", List.of("bash"),
            "busybox", List.of("busybox", "sh"));

    @TestFactory
    Stream<DynamicTest> theWatchdogKillsEveryRankGroupOfAKilledAgent(@TempDir Path dir) {
        Stream<DynamicTest> each = new TreeMap<>(SHELLS).entrySet().stream().map(e -> DynamicTest.dynamicTest("under " + e.getKey(),
                () -> watchdogKillsGroups(dir.resolve(e.getKey()), shell(e.getKey(), e.getValue()))));
        // and /bin/sh as found, whichever it is: that is what the agent runs
        return Stream.concat(each, Stream.of(DynamicTest.dynamicTest("under /bin/sh",
                () -> watchdogKillsGroups(dir.resolve("bin-sh"), List.of("/bin/sh")))));
    }

    private static void watchdogKillsGroups(Path dir, List<String> shell) throws Exception {
        Files.createDirectories(dir);
        List<Process> started = new ArrayList<>();
        List<Long> groups = new ArrayList<>();
        try {
            Process agent = new ProcessBuilder("sleep", "600").start();
            started.add(agent);
            for (int i = 0; i < 3; i++) {
                Process rank = new ProcessBuilder(ProcessGroups.inOwnGroup(List.of("/bin/sh", "-c", "sleep 600 & sleep 600")))
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectErrorStream(true).start();
                started.add(rank);
                groups.add(rank.pid());
            }
            for (long g : groups) awaitMembers(g, 2);
            Path list = dir.resolve("rank-groups");
            // lines the watchdog must skip: "0" would be its own group, so a watchdog that took it would die first
            Files.writeString(list, "0\nnot-a-group\n12x\n-" + groups.getFirst() + "\n\n"
                    + String.join("\n", groups.stream().map(String::valueOf).toList()));
            Process watchdog = ProcessGroups.watchdog(shell, agent.pid(), list).start();
            started.add(watchdog);
            long deadline0 = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (pgid(watchdog.pid()) != watchdog.pid() && System.nanoTime() < deadline0) Thread.sleep(10);
            assertThat(pgid(watchdog.pid())).as("the watchdog leads its own group").isEqualTo(watchdog.pid());
            assertThat(watchdog.waitFor(300, TimeUnit.MILLISECONDS)).as("%s: the watchdog waits while the agent lives", shell).isFalse();

            agent.destroyForcibly(); // SIGKILL, as an OOM killer or an operator's kill -9 would
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            List<String> left;
            while (!(left = running(groups)).isEmpty() && System.nanoTime() < deadline) Thread.sleep(50);
            assertThat(left).as("%s: processes of the rank groups still running 5 s after the agent was killed", shell).isEmpty();
            assertThat(watchdog.waitFor(5, TimeUnit.SECONDS)).as("%s: the watchdog exits", shell).isTrue();
            assertThat(watchdog.exitValue()).isZero();
        } finally {
            for (long g : groups) ProcessGroups.signalGroup(g, "KILL");
            for (Process p : started) p.destroyForcibly();
        }
    }

    @Test
    void signalGroupEndsAWholeGroupAndStopTakesTheRanksTree() throws Exception {
        for (String signal : List.of("TERM", "KILL")) {
            Process rank = new ProcessBuilder(ProcessGroups.inOwnGroup(List.of("/bin/sh", "-c", "sleep 600 & sleep 600"))).start();
            try {
                awaitMembers(rank.pid(), 2);
                ProcessGroups.signalGroup(rank.pid(), signal);
                awaitGone(rank.pid(), "after SIG" + signal);
            } finally {
                rank.destroyForcibly();
            }
        }
        // a rank that ignores SIGTERM is killed after the grace
        Process stubborn = new ProcessBuilder(ProcessGroups.inOwnGroup(List.of("/bin/sh", "-c", "trap '' TERM; sleep 600 & sleep 600"))).start();
        try {
            awaitMembers(stubborn.pid(), 2);
            ProcessGroups.stop(stubborn, 200);
            awaitGone(stubborn.pid(), "after stop");
        } finally {
            stubborn.destroyForcibly();
        }
    }

    /**
     * An agent killed with SIGKILL and started again at once on the same work directory: its new ranks
     * may be listed before the old watchdog wakes. The old watchdog kills only the old agent's ranks,
     * and the new agent kills what the old one left, so each rank dies once and the job one restart.
     */
    @Test
    void aNewAgentsRanksSurviveTheOldAgentsWatchdog(@TempDir Path dir) throws Exception {
        List<Process> started = new ArrayList<>();
        try {
            Process oldAgent = new ProcessBuilder("sleep", "600").start();
            Process newAgent = new ProcessBuilder("sleep", "600").start();
            started.addAll(List.of(oldAgent, newAgent));
            Process oldRank = rank();
            Process oldRank2 = rank();
            started.addAll(List.of(oldRank, oldRank2));
            ProcessGroups before = new ProcessGroups(dir, oldAgent.pid());
            before.record(List.of(oldRank.pid(), oldRank2.pid()));
            Process watchdog = ProcessGroups.watchdog(List.of("/bin/sh"), oldAgent.pid(), dir.resolve("rank-groups." + oldAgent.pid())).start();
            started.add(watchdog);
            assertThat(watchdog.waitFor(200, TimeUnit.MILLISECONDS)).isFalse();

            oldAgent.destroyForcibly();
            // the new agent comes up inside the old watchdog's one-second nap
            ProcessGroups after = new ProcessGroups(dir, newAgent.pid());
            Process newRank = rank();
            started.add(newRank);
            after.record(List.of(newRank.pid()));
            after.killLeftovers();

            assertThat(watchdog.waitFor(5, TimeUnit.SECONDS)).as("the old watchdog ends").isTrue();
            awaitGone(oldRank.pid(), "the old agent's ranks");
            awaitGone(oldRank2.pid(), "the old agent's ranks");
            assertThat(running(List.of(newRank.pid()))).as("the new agent's rank").isNotEmpty();
            assertThat(Files.exists(dir.resolve("rank-groups." + oldAgent.pid()))).as("the old list is gone").isFalse();
            assertThat(Files.readString(dir.resolve("rank-groups." + newAgent.pid())).strip()).isEqualTo(Long.toString(newRank.pid()));
        } finally {
            for (Process p : started) {
                ProcessGroups.signalGroup(p.pid(), "KILL");
                p.destroyForcibly();
            }
        }
    }

    private static Process rank() throws Exception {
        Process p = new ProcessBuilder(ProcessGroups.inOwnGroup(List.of("/bin/sh", "-c", "sleep 600 & sleep 600")))
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectErrorStream(true).start();
        awaitMembers(p.pid(), 2);
        return p;
    }

    @Test
    void onlyPlainGroupNumbersAboveOneAreTaken() {
        assertThat(ProcessGroups.groupId(" 4242 ")).isEqualTo(4242L);
        for (String bad : List.of("", "0", "1", "-4242", "01", "12x", "4 2", "99999999999999999999", "+5"))
            assertThat(ProcessGroups.groupId(bad)).as("'%s'", bad).isNull();
    }

    // ---- the process table ---------------------------------------------------------------------

    /** The command for a shell, or a failure that says what to install. */
    private static List<String> shell(String name, List<String> command) {
        for (String d : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":"))
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, command.getFirst()))) return command;
        return fail("the watchdog test needs " + command.getFirst() + " to run the watchdog under " + name
                + ": install it (Debian: apt-get install " + name + ")");
    }

    private static void awaitMembers(long pgid, int atLeast) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (running(List.of(pgid)).size() < atLeast) {
            if (System.nanoTime() > deadline) fail("group " + pgid + " never had " + atLeast + " processes: " + running(List.of(pgid)));
            Thread.sleep(20);
        }
    }

    private static void awaitGone(long pgid, String when) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        List<String> left;
        while (!(left = running(List.of(pgid))).isEmpty() && System.nanoTime() < deadline) Thread.sleep(20);
        assertThat(left).as("group %d %s", pgid, when).isEmpty();
    }

    /**
     * Processes in any of {@code groups} that have not exited, as "pid (command) group". A zombie has
     * exited: it waits only for its parent to reap it, which in a container whose init does not reap
     * can be never.
     */
    static List<String> running(List<Long> groups) throws IOException {
        List<String> out = new ArrayList<>();
        try (var procs = Files.list(Path.of("/proc"))) {
            for (Path p : procs.filter(p -> p.getFileName().toString().chars().allMatch(Character::isDigit)).toList()) {
                String stat;
                try {
                    stat = Files.readString(p.resolve("stat"));
                } catch (IOException gone) {
                    continue;
                }
                // pid (comm) state ppid pgrp ...; comm may hold spaces and parentheses
                String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                long pgrp = Long.parseLong(f[2]);
                if (groups.contains(pgrp) && !f[0].equals("Z") && !f[0].equals("X"))
                    out.add(stat.substring(0, stat.lastIndexOf(')') + 1) + " group " + pgrp);
            }
        }
        return out;
    }

    private static long pgid(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        return Long.parseLong(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[2]);
    }
}
