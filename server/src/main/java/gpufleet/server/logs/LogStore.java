package gpufleet.server.logs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/**
 * The output of each job's ranks, one append-only file per rank:
 * {@code <data-dir>/logs/<job>/rank-<rank>.log}.
 *
 * <p>Files rather than database rows: logs are large, written often and read as byte ranges, and
 * nothing about them needs a transaction with the job's state. Appends are not forced to disk; a
 * crash may lose the last lines, which the agent's next post does not repeat.
 *
 * <p>Appends to one file are serialised (a lock per file, striped) so two posts never interleave;
 * reads take no lock, and a read concurrent with an append sees a prefix of it, which the next read
 * from the returned offset completes.
 */
public final class LogStore {
    /** What one read returns at most. */
    public static final int MAX_READ = 1 << 20;

    private static final byte[] NOTHING = new byte[0];
    private final Path root;
    private final Object[] stripes = new Object[64];

    /** Keeps logs under {@code <dataDir>/logs}, creating it on the first append. */
    public LogStore(Path dataDir) {
        this.root = dataDir.resolve("logs");
        for (int i = 0; i < stripes.length; i++) stripes[i] = new Object();
    }

    /** Bytes from a log and the log's size when they were read. */
    public record Chunk(byte[] bytes, long size) {}

    /** Appends {@code bytes} to the rank's log; returns the log's size after. */
    public long append(long job, int rank, byte[] bytes) {
        Path f = file(job, rank);
        synchronized (stripes[Math.floorMod(31 * Long.hashCode(job) + rank, stripes.length)]) {
            try {
                Files.createDirectories(f.getParent());
                try (FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                        StandardOpenOption.APPEND)) {
                    ByteBuffer b = ByteBuffer.wrap(bytes);
                    while (b.hasRemaining()) ch.write(b);
                    return ch.size();
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot append to " + f, e);
            }
        }
    }

    /** Up to {@code max} bytes from {@code offset}; none when the log is missing or shorter than the offset. */
    public Chunk read(long job, int rank, long offset, int max) {
        if (offset < 0) throw new IllegalArgumentException("offset " + offset + " < 0");
        Path f = file(job, rank);
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
            long size = ch.size();
            if (offset >= size) return new Chunk(NOTHING, size);
            ByteBuffer b = ByteBuffer.allocate((int) Math.min(Math.min(max, MAX_READ), size - offset));
            int n;
            do n = ch.read(b, offset + b.position()); while (n > 0 && b.hasRemaining());
            return new Chunk(b.position() == b.capacity() ? b.array() : Arrays.copyOf(b.array(), b.position()), size);
        } catch (NoSuchFileException e) {
            return new Chunk(NOTHING, 0);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + f, e);
        }
    }

    private Path file(long job, int rank) {
        if (job < 1 || rank < 0) throw new IllegalArgumentException("bad job " + job + " or rank " + rank);
        return root.resolve(Long.toString(job)).resolve("rank-" + rank + ".log");
    }
}
