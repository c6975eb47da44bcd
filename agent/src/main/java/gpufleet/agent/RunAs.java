package gpufleet.agent;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The unprivileged user a root agent runs its ranks as, through util-linux's {@code setpriv}: the
 * rank drops to the user's uid and gid (and the user's supplementary groups, which is how GPU device
 * files are often shared) before the job's command starts. The agent keeps root to itself: it opens
 * each rank's log file before the drop and hands the rank only the open descriptor, so a rank can
 * write its own log but open no other (logs are mode 0600 in directories mode 0711, owned by root),
 * nor read the host's credential.
 *
 * @param user a name from the user database, or null when given as {@code uid:gid}
 * @param home the user's home directory, or null
 */
public record RunAs(String user, int uid, int gid, String home) {
    static final Path SETPRIV = Path.of("/usr/bin/setpriv");

    /** {@code USER} or {@code UID:GID}; an unknown user is an IllegalArgumentException. */
    public static RunAs parse(String spec) {
        if (spec.matches("\\d+:\\d+")) {
            String[] p = spec.split(":");
            return new RunAs(null, Integer.parseInt(p[0]), Integer.parseInt(p[1]), null);
        }
        if (!spec.matches("[A-Za-z_][A-Za-z0-9._-]{0,31}\\$?"))
            throw new IllegalArgumentException("--run-as must be a user name or UID:GID, got '" + spec + "'");
        String line = getent(spec);
        if (line == null) throw new IllegalArgumentException("--run-as: no user '" + spec + "' on this host");
        String[] f = line.split(":", -1);
        if (f.length < 7) throw new IllegalArgumentException("--run-as: cannot read the entry of user '" + spec + "'");
        return new RunAs(f[0], Integer.parseInt(f[2]), Integer.parseInt(f[3]), f[5].isEmpty() ? null : f[5]);
    }

    private static String getent(String user) {
        try {
            Process p = new ProcessBuilder("getent", "passwd", user).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0 || out.isEmpty()) return null;
            return out.lines().findFirst().orElse(null);
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** The uid this process runs as. */
    public static int currentUid() {
        try {
            return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return "root".equals(System.getProperty("user.name")) ? 0 : -1;
        }
    }

    /** Whether switching to this user changes anything for a process running as {@code currentUid}. */
    public boolean switches(int currentUid) {
        return uid != currentUid;
    }

    /** {@code command} prefixed so that it runs as this user. */
    List<String> wrap(List<String> command) {
        List<String> out = new ArrayList<>(command.size() + 5);
        out.add(SETPRIV.toString());
        out.add("--reuid=" + uid);
        out.add("--regid=" + gid);
        out.add(user != null ? "--init-groups" : "--clear-groups");
        out.add("--");
        out.addAll(command);
        return out;
    }

    public String describe() {
        return (user != null ? user + " " : "") + "(uid " + uid + ", gid " + gid + ")";
    }
}
