package gpufleet.server;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;

/**
 * One controller per data directory. Two controllers on one embedded database would both schedule
 * (the same GPUs given to two jobs) and each would declare the other's hosts lost, so the second one
 * to start refuses, naming the first.
 *
 * <p>An OS file lock ({@code fcntl}) on {@code <data-dir>/controller.lock}, held for the controller's
 * lifetime: the kernel drops it when the process dies however it dies, so a controller killed with
 * SIGKILL never leaves a stale lock behind, and no pid file needs cleaning up. The file's contents
 * (pid, host, start time, address) only serve the refusal's message.
 */
public final class DataDirLock implements AutoCloseable {
    static final String FILE = "controller.lock";
    private final FileChannel channel;
    private final FileLock lock;

    private DataDirLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Takes the data directory for this process.
     *
     * @throws IllegalStateException when another controller holds it, saying which
     */
    public static DataDirLock acquire(Path dataDir, String listening) {
        Path file = dataDir.resolve(FILE);
        try {
            Files.createDirectories(dataDir);
            FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            FileLock l;
            try {
                l = ch.tryLock();
            } catch (OverlappingFileLockException sameProcess) {
                l = null;
            }
            if (l == null) {
                String holder = holder(ch);
                ch.close();
                throw new IllegalStateException("data directory " + dataDir.toAbsolutePath() + " is in use by another controller"
                        + (holder.isEmpty() ? "" : " (" + holder + ")") + ": one controller per data directory; stop that"
                        + " one first, or give this one another --data-dir");
            }
            String me = "pid " + ProcessHandle.current().pid() + " on " + hostName() + ", since " + Instant.now()
                    + (listening == null ? "" : ", listening on " + listening);
            ch.truncate(0);
            ch.write(ByteBuffer.wrap((me + "\n").getBytes(StandardCharsets.UTF_8)), 0);
            ch.force(false);
            return new DataDirLock(ch, l);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot lock the data directory " + dataDir + ": " + e.getMessage(), e);
        }
    }

    private static String holder(FileChannel ch) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(512);
        int n = ch.read(b, 0);
        return n <= 0 ? "" : new String(b.array(), 0, n, StandardCharsets.UTF_8).strip();
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "this host";
        }
    }

    /** Lets the directory go, as the kernel does when the process ends. */
    @Override
    public void close() {
        try {
            if (lock.isValid()) lock.release();
            channel.close();
        } catch (IOException e) {
            // the lock goes with the process anyway
        }
    }
}
