package gpufleet.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What train.sh appends to {@code launches} in its checkpoint directory, one line per launch of a rank:
 * {@code RESTART RANK PID PARENT_PID NONCE}. Lines are only ever appended, so a rank started twice in
 * one generation leaves two.
 */
record Launches(List<Launch> all) {
    record Launch(int restart, int rank, long pid, long parent, String nonce) {}

    static Launches in(Path checkpointDir) {
        String text;
        try {
            text = Files.readString(checkpointDir.resolve("launches"));
        } catch (NoSuchFileException none) {
            return new Launches(List.of());
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        List<Launch> out = new ArrayList<>();
        // a line without its newline yet is still being written; it is counted on the next read
        int end = text.lastIndexOf('\n');
        for (String line : text.substring(0, end + 1).split("\n")) {
            if (line.isEmpty()) continue;
            String[] f = line.split(" ");
            if (f.length != 5) throw new AssertionError("malformed launch record '" + line + "' in " + checkpointDir);
            out.add(new Launch(Integer.parseInt(f[0]), Integer.parseInt(f[1]), Long.parseLong(f[2]), Long.parseLong(f[3]), f[4]));
        }
        return new Launches(List.copyOf(out));
    }

    List<Launch> of(int restart) {
        return all.stream().filter(l -> l.restart() == restart).toList();
    }

    /** How many times each rank was launched on {@code restart}, by rank. */
    Map<Integer, Long> perRank(int restart) {
        Map<Integer, Long> out = new TreeMap<>();
        for (Launch l : of(restart)) out.merge(l.rank(), 1L, Long::sum);
        return out;
    }
}
