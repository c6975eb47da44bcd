package gpufleet.agent;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Copies what ranks write to their local log files to the controller, so `gpufleet logs` reads them
 * from one place and they outlive the host.
 *
 * <p>Every run of a rank on this host appends to the same file, so each run owns a byte range of it:
 * from where it began to where the next run of that rank began ({@link #begin}), or to the end of the
 * file for the newest run. A follower ships only its own run's range; bytes an old run's process
 * still writes after the next run began (while it is being stopped) go out as the new run's, so the
 * newest run's follower stops only once every run of that rank has ended. The controller's copy is
 * thus the local file, each byte once, in order.
 */
final class LogShipper {
    private static final int CHUNK = 256 * 1024;

    private static final class Followed {
        final long job;
        final int rank;
        final long generation;
        final Path file;
        long shipped;
        /** Where the next run of this rank began; guarded by the shipper. */
        long end = Long.MAX_VALUE;

        Followed(long job, int rank, long generation, Path file, long from) {
            this.job = job;
            this.rank = rank;
            this.generation = generation;
            this.file = file;
            this.shipped = from;
        }
    }

    private final ControllerClient client;
    private final Map<String, Followed> files = new LinkedHashMap<>();
    /** By job/rank, the runs (generations) whose processes may still write to that rank's file. */
    private final Map<String, Set<Long>> writing = new HashMap<>();
    private final Object shipping = new Object();

    LogShipper(ControllerClient client) {
        this.client = client;
    }

    /**
     * A new run of {@code job}'s {@code rank} is about to write to {@code log}: earlier runs' shares of the
     * file end here. Returns that offset, where the new run's share begins. Called before the new run
     * writes a byte.
     */
    synchronized long begin(long job, int rank, Path log) throws IOException {
        long at = Files.size(log);
        for (Followed f : files.values()) if (f.job == job && f.rank == rank) f.end = Math.min(f.end, at);
        return at;
    }

    synchronized void follow(Task t) {
        for (Task.Rank r : t.ranks) {
            files.put(t.job() + "/" + t.generation() + "/" + r.slot.rank(),
                    new Followed(t.job(), r.slot.rank(), t.generation(), r.log, r.logStart));
            writing.computeIfAbsent(t.job() + "/" + r.slot.rank(), k -> new HashSet<>()).add(t.generation());
        }
    }

    /** The task's processes are gone: once the rest is shipped, its files need no following on their account. */
    synchronized void ended(Task t) {
        for (Task.Rank r : t.ranks) {
            String key = t.job() + "/" + r.slot.rank();
            Set<Long> runs = writing.get(key);
            if (runs != null && runs.remove(t.generation()) && runs.isEmpty()) writing.remove(key);
        }
    }

    /** Ships new bytes of every followed file; returns how many bytes went out. One caller at a time. */
    long shipOnce() throws InterruptedException {
        synchronized (shipping) { // the log loop and close() both ship: the same bytes must not go out twice
            return shipEach();
        }
    }

    private long shipEach() throws InterruptedException {
        Followed[] now;
        synchronized (this) {
            now = files.values().toArray(Followed[]::new);
        }
        long total = 0;
        for (Followed f : now) {
            boolean done = false;
            try (RandomAccessFile raf = new RandomAccessFile(f.file.toFile(), "r")) {
                while (true) {
                    long limit;
                    boolean last;
                    synchronized (this) {
                        // under begin()'s lock: a length read before a new run began cannot hold its bytes
                        last = finished(f);
                        limit = Math.min(f.end, raf.length());
                    }
                    if (limit <= f.shipped) {
                        done = last;
                        break;
                    }
                    byte[] buf = new byte[(int) Math.min(CHUNK, limit - f.shipped)];
                    raf.seek(f.shipped);
                    int n = raf.read(buf);
                    if (n <= 0) break;
                    client.shipLog(f.job, f.rank, f.generation, n == buf.length ? buf : Arrays.copyOf(buf, n));
                    f.shipped += n;
                    total += n;
                }
            } catch (IOException e) {
                done = finished(f); // the file is gone: nothing more to ship
            } catch (ControllerClient.Failure e) {
                // unreachable, overloaded or rate-limited: try again later
                boolean later = e.code() == null ? e.status() == 0 || e.status() >= 500
                        : switch (e.code()) {
                            case RATE_LIMITED, INTERNAL, UNAVAILABLE, NOT_LEADER -> true;
                            default -> false;
                        };
                if (later) return total;
                done = finished(f); // refused (job gone): drop the rest rather than retry forever
            }
            if (done) remove(f);
        }
        return total;
    }

    /**
     * Whether nothing more can come for {@code f}: the next run has begun, or no process of any run of
     * its rank is left to write.
     */
    private synchronized boolean finished(Followed f) {
        return f.end != Long.MAX_VALUE || !writing.containsKey(f.job + "/" + f.rank);
    }

    private synchronized void remove(Followed f) {
        for (Iterator<Followed> it = files.values().iterator(); it.hasNext(); ) if (it.next() == f) it.remove();
    }

    synchronized int following() {
        return files.size();
    }
}
