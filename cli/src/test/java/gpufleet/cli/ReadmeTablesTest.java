package gpufleet.cli;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static gpufleet.cli.CliTest.run;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The README's tables that gpufleet prints (the plan table and the two replay tables) are produced
 * again here and compared line for line, so that a change that moves a figure shows as a failing
 * test rather than a stale README. To regenerate them after an intended change:
 *
 * <pre>
 *   ./mvnw -B -q test -pl cli -am -Dtest=ReadmeTablesTest -Dsurefire.failIfNoSpecifiedTests=false -Dgpufleet.readme.update=true
 * </pre>
 *
 * which rewrites the blocks in README.md in place (and still fails, so that an update is never silent).
 * Both replay tables are compared whole: all seven policies on the 2,000-job Philly cut, about 15 s of
 * CPU each.
 */
class ReadmeTablesTest {
    static final String UPDATE_PROPERTY = "gpufleet.readme.update";

    /**
     * One table: the command that prints it, and the first characters of the README block's first
     * line; {@code occurrence} picks among blocks that start alike (0 = the first).
     */
    record Table(String name, String firstLine, int occurrence, List<String> args) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Path repoRoot() {
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent())
            if (Files.isRegularFile(d.resolve("README.md")) && Files.isRegularFile(d.resolve("gpufleet"))) return d;
        throw new IllegalStateException("no README.md with the gpufleet launcher above " + Path.of("").toAbsolutePath());
    }

    static Path trace() {
        for (Path d = repoRoot(); d != null; d = d.getParent()) {
            Path t = d.resolve("shared/traces/philly/philly_oct2017_first2000.csv");
            if (Files.isRegularFile(t)) return t;
        }
        throw new IllegalStateException("the replay tables need shared/traces beside the clone (../shared/traces)");
    }

    static Stream<Table> tables() {
        String policies = "fifo,fifo-backfill,sjf,srtf,las,fair,gpufleet";
        return Stream.of(
                new Table("plan", "llama-405b (405.9B parameters)", 0, List.of("plan", "--model", "llama-405b",
                        "--tokens", "15.6T", "--fleet", "h100-24k-roce", "--gpus", "16384")),
                new Table("replay 8x8", "POLICY ", 0, List.of("replay", "--trace", trace().toString(),
                        "--fleet", "hosts:8x8", "--policy", policies)),
                new Table("replay 32x8", "POLICY ", 1, List.of("replay", "--trace", trace().toString(),
                        "--fleet", "hosts:32x8", "--policy", policies)));
    }

    @ParameterizedTest
    @MethodSource("tables")
    void theReadmeShowsWhatTheCommandPrintsToday(Table t, @TempDir Path tmp) throws IOException {
        var args = new ArrayList<>(t.args());
        if (args.getFirst().equals("replay")) args.addAll(List.of("--out", tmp.toString()));
        var r = run(args.toArray(String[]::new));
        assertThat(r.code()).as(r.err()).isZero();
        List<String> printed = block(r.out().lines().toList(), t.firstLine(), 0);

        Path readme = repoRoot().resolve("README.md");
        List<String> lines = Files.readAllLines(readme, StandardCharsets.UTF_8);
        int at = blockStart(lines, t.firstLine(), t.occurrence());
        List<String> shown = block(lines.subList(at, lines.size()), t.firstLine(), 0);
        if (!strip(shown).equals(strip(printed)) && Boolean.getBoolean(UPDATE_PROPERTY)) {
            var updated = new ArrayList<>(lines.subList(0, at));
            updated.addAll(printed);
            updated.addAll(lines.subList(at + shown.size(), lines.size()));
            Files.write(readme, updated, StandardCharsets.UTF_8);
        }
        assertThat(strip(shown)).as("README.md's %s table against `gpufleet %s` (-D%s=true rewrites it)", t,
                String.join(" ", t.args()), UPDATE_PROPERTY).isEqualTo(strip(printed));
    }

    /** Where the {@code occurrence}-th fenced block whose first line starts with {@code first} begins. */
    static int blockStart(List<String> lines, String first, int occurrence) {
        int seen = 0;
        for (int i = 1; i < lines.size(); i++)
            if (lines.get(i - 1).equals("```") && lines.get(i).startsWith(first) && seen++ == occurrence) return i;
        throw new AssertionError("README.md has no block starting with '" + first + "' (#" + occurrence + ")");
    }

    /** From the first line starting with {@code first} up to the next blank line or fence. */
    static List<String> block(List<String> lines, String first, int from) {
        int start = from;
        while (start < lines.size() && !lines.get(start).startsWith(first)) start++;
        assertThat(start).as("a line starting with '%s'", first).isLessThan(lines.size());
        int end = start;
        while (end < lines.size() && !lines.get(end).isBlank() && !lines.get(end).startsWith("```")) end++;
        return lines.subList(start, end);
    }

    private static List<String> strip(List<String> lines) {
        return lines.stream().map(String::stripTrailing).toList();
    }
}
