package gpufleet.cli.loadgen;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What Linux and the JVM say about a process: CPU time and resident memory from {@code /proc}, heap
 * from the JVM's own GC log and {@code jcmd}. Read from outside, so the controller needs no
 * instrumentation and its figures are not mixed with the load generator's.
 */
public final class ProcStats {
    private ProcStats() {}

    private static volatile long clockTicks;

    /** {@code getconf CLK_TCK}: the unit of utime and stime; 100 on every Linux this was tried on. */
    public static long clockTicksPerSecond() {
        long t = clockTicks;
        if (t > 0) return t;
        t = 100;
        try {
            Process p = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).strip();
            if (p.waitFor(5, TimeUnit.SECONDS) && p.exitValue() == 0) t = Long.parseLong(out);
        } catch (IOException | NumberFormatException e) {
            // keep the usual value
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        clockTicks = t;
        return t;
    }

    /** CPU seconds (user + system) the process has used, or -1 when /proc cannot tell. */
    public static double cpuSeconds(long pid) {
        try {
            return parseCpuTicks(Files.readString(Path.of("/proc", Long.toString(pid), "stat")))
                    / (double) clockTicksPerSecond();
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /**
     * utime + stime from a {@code /proc/<pid>/stat} line. The command name (field 2) may hold spaces
     * and parentheses, so fields are counted from the last ')'.
     */
    static long parseCpuTicks(String stat) {
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split("\\s+");
        // f[0] is field 3 (state); utime and stime are fields 14 and 15
        return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    }

    /** A value in kB from {@code /proc/<pid>/status} (VmRSS, VmHWM), or -1. */
    public static long statusKb(long pid, String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status")))
                if (line.startsWith(field + ":"))
                    return Long.parseLong(line.substring(field.length() + 1).replace("kB", "").strip());
        } catch (IOException | RuntimeException e) {
            // gone, or not Linux
        }
        return -1;
    }

    /** Busy and total jiffies of the whole machine from the first line of /proc/stat, or null. */
    public static long[] machineJiffies() {
        try {
            String first = Files.readAllLines(Path.of("/proc/stat")).getFirst();
            String[] f = first.trim().split("\\s+");
            long total = 0, idle = 0;
            for (int i = 1; i < f.length; i++) {
                long v = Long.parseLong(f[i]);
                total += v;
                if (i == 4 || i == 5) idle += v; // idle, iowait
            }
            return new long[]{total - idle, total};
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** The 1-minute load average, or -1. */
    public static double loadAverage() {
        try {
            return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).split("\\s+")[0]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** Soft limit on open files for this process (children inherit it), or -1. */
    public static long openFilesLimit() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/limits")))
                if (line.startsWith("Max open files")) {
                    String v = line.substring("Max open files".length()).trim().split("\\s+")[0];
                    return v.equals("unlimited") ? Long.MAX_VALUE : Long.parseLong(v);
                }
        } catch (IOException | RuntimeException e) {
            // unknown
        }
        return -1;
    }

    /**
     * One collection from a {@code -Xlog:gc:...:utctime} log. Heap figures in MB. For G1 and the other
     * stop-the-world collectors {@code ms} is the pause; ZGC collects while the program runs, so its
     * lines give the cycle's length, not a pause, and {@code concurrent} is set.
     */
    public record GcPause(long epochMillis, String kind, long beforeMb, long afterMb, long committedMb, double ms,
                          boolean concurrent) {}

    private static final Pattern GC_LINE = Pattern.compile(
            "^\\[([^\\]]+)\\].*GC\\(\\d+\\) (Pause [A-Za-z ()0-9]*?) (\\d+)M->(\\d+)M\\((\\d+)M\\) ([0-9.]+)ms");
    private static final Pattern ZGC_LINE = Pattern.compile(
            "^\\[([^\\]]+)\\].*GC\\(\\d+\\) ((?:Major|Minor|Garbage) Collection \\([^)]*\\)) (\\d+)M\\(\\d+%\\)->(\\d+)M\\(\\d+%\\) ([0-9.]+)s");
    private static final DateTimeFormatter UTC_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSZ");

    /** The pauses in a GC log, skipping lines that are not pauses or do not parse. */
    public static List<GcPause> gcPauses(Path log) {
        List<GcPause> out = new ArrayList<>();
        List<String> lines;
        try {
            lines = Files.readAllLines(log);
        } catch (IOException e) {
            return out;
        }
        for (String line : lines) {
            try {
                Matcher m = GC_LINE.matcher(line);
                if (m.find()) {
                    out.add(new GcPause(epochMillis(m.group(1)), m.group(2).strip(), Long.parseLong(m.group(3)),
                            Long.parseLong(m.group(4)), Long.parseLong(m.group(5)), Double.parseDouble(m.group(6)), false));
                    continue;
                }
                Matcher z = ZGC_LINE.matcher(line);
                if (z.find())
                    out.add(new GcPause(epochMillis(z.group(1)), z.group(2), Long.parseLong(z.group(3)),
                            Long.parseLong(z.group(4)), 0, Double.parseDouble(z.group(5)) * 1000, true));
            } catch (RuntimeException e) {
                // a line of another shape
            }
        }
        return out;
    }

    private static long epochMillis(String utcTime) {
        return OffsetDateTime.parse(utcTime, UTC_TIME).toInstant().toEpochMilli();
    }

    private static final Pattern ZHEAP_USED = Pattern.compile("ZHeap\\s+used (\\d+)M, capacity (\\d+)M");
    private static final Pattern HEAP_USED = Pattern.compile("total (?:reserved )?\\d+K, committed (\\d+)K, used (\\d+)K");

    /**
     * Heap committed and used (kB) as {@code jcmd <pid> GC.heap_info} prints them, or null when jcmd is
     * missing or cannot attach. Costs a short-lived JVM, so it is run once, after the window.
     */
    public static long[] jcmdHeap(long pid) {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        if (!Files.isExecutable(jcmd)) return null;
        try {
            Process p = new ProcessBuilder(jcmd.toString(), Long.toString(pid), "GC.heap_info").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return null;
            }
            return parseHeapInfo(out);
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    static long[] parseHeapInfo(String out) {
        Matcher m = HEAP_USED.matcher(out);
        if (m.find()) return new long[]{Long.parseLong(m.group(1)), Long.parseLong(m.group(2))};
        Matcher z = ZHEAP_USED.matcher(out);
        if (z.find()) return new long[]{Long.parseLong(z.group(2)) * 1024, Long.parseLong(z.group(1)) * 1024};
        return null;
    }
}
