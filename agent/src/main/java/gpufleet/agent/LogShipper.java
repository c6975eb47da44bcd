package gpufleet.agent;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Copies what ranks write to their local log files to the controller, so `gpufleet logs` reads them
 * from one place and they outlive the host. Each file is followed from where its run began.
 */
final class LogShipper {
    private static final int CHUNK = 256 * 1024;

    private static final class Followed {
        final long job;
        final int rank;
        final long generation;
        final Path file;
        long shipped;
        boolean ended;

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

    LogShipper(ControllerClient client) {
        this.client = client;
    }

    synchronized void follow(Task t) {
        for (Task.Rank r : t.ranks)
            files.put(t.job() + "/" + t.generation() + "/" + r.slot.rank(),
                    new Followed(t.job(), r.slot.rank(), t.generation(), r.log, r.logStart));
    }

    /** The task's processes are gone: ship what is left, then stop following. */
    synchronized void ended(Task t) {
        for (Task.Rank r : t.ranks) {
            Followed f = files.get(t.job() + "/" + t.generation() + "/" + r.slot.rank());
            if (f != null) f.ended = true;
        }
    }

    /** Ships new bytes of every followed file; returns how many bytes went out. */
    long shipOnce() throws InterruptedException {
        Followed[] now;
        synchronized (this) {
            now = files.values().toArray(Followed[]::new);
        }
        long total = 0;
        for (Followed f : now) {
            boolean drained = false;
            try (RandomAccessFile raf = new RandomAccessFile(f.file.toFile(), "r")) {
                while (true) {
                    long size = raf.length();
                    if (size <= f.shipped) {
                        drained = true;
                        break;
                    }
                    byte[] buf = new byte[(int) Math.min(CHUNK, size - f.shipped)];
                    raf.seek(f.shipped);
                    int n = raf.read(buf);
                    if (n <= 0) break;
                    client.shipLog(f.job, f.rank, f.generation, n == buf.length ? buf : Arrays.copyOf(buf, n));
                    f.shipped += n;
                    total += n;
                }
            } catch (IOException e) {
                drained = true; // the file is gone: nothing more to ship
            } catch (ControllerClient.Failure e) {
                // unreachable, overloaded or rate-limited: try again later
                if (e.status() == 0 || e.status() == 429 || e.status() >= 500) return total;
                drained = true; // refused (job gone): drop the rest rather than retry forever
            }
            if (drained && f.ended) remove(f);
        }
        return total;
    }

    private synchronized void remove(Followed f) {
        for (Iterator<Followed> it = files.values().iterator(); it.hasNext(); ) if (it.next() == f) it.remove();
    }

    synchronized int following() {
        return files.size();
    }
}
