package gpufleet.agent;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.function.Consumer;

/**
 * A rank's progress file, {@code $GPUFLEET_PROGRESS_FILE}: the job appends the line
 * {@code checkpoint STEP} (STEP a non-negative integer) once checkpoint STEP is completely and durably
 * written, or {@code checkpoint STEP SECONDS} to say too how many seconds writing it stalled training
 * (the controller advises the job's checkpoint interval from that). It is how gpufleet learns that work was saved; nothing else counts, since a file appearing
 * in the checkpoint directory says nothing about whether it is complete.
 *
 * <p>The agent reads what was appended since its last read, complete lines only (a partial last line
 * waits for its newline). A checkpoint's time is the file's modification time taken just before the
 * read that found the line, so within a heartbeat of its writing and never after the read.
 *
 * <p>Every complete line is progress, whatever it says ({@code step N} is the suggested form): its time,
 * taken the same way, is what the controller's hang detector watches. A job that writes none is never
 * taken as hung. A malformed {@code checkpoint} line is still progress, but no checkpoint, and is
 * reported once per file.
 */
final class ProgressFile {
    /** The variable that tells a rank where its progress file is. */
    static final String ENV = "GPUFLEET_PROGRESS_FILE";
    static final int MAX_LINE = 4096;
    private static final int CHUNK = 64 * 1024;
    /** At most this much is read at one poll, so a job writing without end costs a heartbeat little. */
    private static final long MAX_POLL = 4L << 20;

    private final Path file;
    private final Consumer<String> warn;
    private long offset; // consumed up to here: the end of the last complete line
    private boolean skipping; // inside an over-long line, dropped up to its newline
    private boolean warned;
    private Long step;
    private Double time;
    private Double cost;
    private Double progress;

    /** {@code warn} hears of the first malformed line. */
    ProgressFile(Path file, Consumer<String> warn) {
        this.file = file;
        this.warn = warn;
    }

    Path file() { return file; }

    /** Reads the lines completed since the last poll; returns the newest checkpoint's time (epoch seconds), or null. */
    synchronized Double poll() {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            double mtime = Files.getLastModifiedTime(file).toMillis() / 1000.0;
            long size = ch.size();
            if (size < offset) {
                // truncated or replaced: what it holds now is all new
                offset = 0;
                skipping = false;
            }
            long budget = MAX_POLL;
            ByteBuffer buf = ByteBuffer.allocate((int) Math.min(CHUNK, Math.max(0, size - offset)));
            while (offset < size && budget > 0) {
                buf.clear().limit((int) Math.min(buf.capacity(), size - offset));
                int n = 0;
                while (buf.hasRemaining()) {
                    int r = ch.read(buf, offset + n);
                    if (r < 0) break;
                    n += r;
                }
                if (n == 0) break;
                int used = lines(buf.array(), n, mtime);
                offset += used;
                budget -= used;
                // a partial last line waits for its newline; one cut by the chunk is read whole next round
                if (used == 0 || (used < n && offset + (n - used) >= size)) break;
            }
        } catch (NoSuchFileException gone) {
            // not created (or removed): nothing reported
        } catch (IOException e) {
            bad("cannot read " + file + ": " + e.getMessage());
        }
        return time;
    }

    /** The stall the newest checkpoint line that gave one reported, seconds, or null. */
    synchronized Double cost() { return cost; }

    /** When the newest line of any kind was read (call after {@link #poll}), epoch seconds, or null. */
    synchronized Double progress() { return progress; }

    /** The step of the newest checkpoint line, or null. */
    synchronized Long step() { return step; }

    /** Where the next read begins: just past the last complete line read. */
    synchronized long offset() { return offset; }

    /** Handles the complete lines in {@code b[0, n)}; returns how many bytes they take. */
    private int lines(byte[] b, int n, double mtime) {
        int start = 0;
        for (int i = 0; i < n; i++) {
            if (b[i] != '\n') continue;
            if (skipping) skipping = false;
            else line(new String(b, start, i - start, StandardCharsets.UTF_8), mtime);
            start = i + 1;
        }
        if (n - start >= MAX_LINE) {
            if (!skipping) bad("a line longer than " + MAX_LINE + " bytes");
            skipping = true;
            return n;
        }
        return start;
    }

    private void line(String line, double mtime) {
        progress = mtime; // any line the job completes shows it is alive and moving
        String[] words = line.strip().split("\\s+");
        if (!words[0].equals("checkpoint")) return; // progress only
        boolean costly = words.length == 3 && words[2].matches("[0-9]{1,6}(\\.[0-9]{1,9})?")
                && Double.parseDouble(words[2]) <= 86_400;
        if ((words.length == 2 || costly) && words[1].matches("[0-9]{1,18}")) {
            step = Long.parseLong(words[1]);
            time = mtime;
            if (costly) cost = Double.parseDouble(words[2]);
        } else {
            bad("'" + printable(line) + "' is not 'checkpoint STEP' or 'checkpoint STEP SECONDS'");
        }
    }

    private void bad(String problem) {
        if (warned) return;
        warned = true;
        warn.accept(ENV + " " + file + ": ignored " + problem + " (further problems with this file are not reported)");
    }

    private static String printable(String s) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < s.length() && out.length() < 80; i++) {
            char c = s.charAt(i);
            out.append(c < 0x20 || c == 0x7f ? '?' : c);
        }
        return s.length() > 80 ? out + "..." : out.toString();
    }
}
