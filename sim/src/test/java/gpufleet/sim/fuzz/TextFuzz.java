package gpufleet.sim.fuzz;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Mutations of a valid text file (YAML, JSON or CSV), from a seeded random stream: lines deleted,
 * duplicated, swapped or cut short; numbers replaced by extreme ones; values by other types, odd
 * Unicode, YAML's own devices (anchors, aliases, merge keys, tags, several documents) or separators;
 * deep nesting; and byte-level damage (invalid UTF-8, NUL, a byte-order mark, truncation). One to four
 * mutations an input; the same seed gives the same inputs.
 */
final class TextFuzz {
    private static final Pattern NUMBER = Pattern.compile("-?\\d+(\\.\\d+)?([eE][+-]?\\d+)?[KMGTBkmgtbhsd]?");
    private static final String[] NUMBERS = {"0", "-0", "-1", "1e308", "1e999", "-1e999", "NaN", ".nan", ".inf", "-.inf",
            "2147483648", "-2147483649", "9223372036854775808", "99999999999999999999999", "0x10", "0o17", "1_000",
            "4.9e-324", "1e-400", "0.0000001", "1K", "1T", "405B", "15.6T", "1e3T", "6.58h", "-3h", "1d", "1e9d", "00012",
            "1,000", "1.2.3", "+5", "Infinity"};
    private static final String[] VALUES = {"", "~", "null", "true", "no", "yes", "[]", "{}", "[1, [2, [3]]]", "{a: {b: c}}",
            "\"\"", "'unterminated", "\"unterminated", "x".repeat(10_000), "\u0000", "\t", "\u202e", "\ud83d\ude80", "日本語",
            "!!binary aGVsbG8=", "!!python/object:os.system 'true'", "!!java.net.URL [\"http://x\"]", "*undefined",
            "&anchor value", "<<: *anchor", ":", "- -", "? complex", "|", ">", "%YAML 1.2", "---", "...", "#comment",
            "${HOME}", "../../etc/passwd", "H100-SXM", "A100", "llm", "-", ",,,", "\"a,b\"", "1,2"};

    private final SplittableRandom r;

    TextFuzz(long seed) {
        this.r = new SplittableRandom(seed);
    }

    int nextInt(int bound) {
        return r.nextInt(bound);
    }

    /** A mutated copy of {@code seed}, as bytes. */
    byte[] mutate(String seed) {
        if (r.nextInt(12) == 0) return whole();
        String text = seed;
        for (int i = 1 + r.nextInt(4); i > 0; i--) text = mutateText(text);
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        return r.nextInt(8) == 0 ? mutateBytes(b) : b;
    }

    private String mutateText(String text) {
        List<String> lines = new ArrayList<>(Arrays.asList(text.split("\n", -1)));
        if (lines.isEmpty()) lines.add("");
        int i = r.nextInt(lines.size());
        switch (r.nextInt(12)) {
            case 0 -> lines.remove(i);
            case 1 -> lines.add(i, lines.get(r.nextInt(lines.size())));
            case 2 -> {
                int j = r.nextInt(lines.size());
                String t = lines.get(i);
                lines.set(i, lines.get(j));
                lines.set(j, t);
            }
            case 3 -> lines.set(i, lines.get(i).substring(0, r.nextInt(lines.get(i).length() + 1)));
            case 4, 5 -> lines.set(i, replaceNumber(lines.get(i)));
            case 6 -> lines.set(i, replaceValue(lines.get(i)));
            case 7 -> lines.add(i, lines.get(i).replaceAll("\\S.*", "") + pick(VALUES));
            case 8 -> lines.set(i, " ".repeat(r.nextInt(8)) + lines.get(i).strip());
            case 9 -> lines.set(i, lines.get(i) + pick(new String[] {" # x", "\r", "\t", ",", ":", " &a", " *a", "]", "}"}));
            case 10 -> lines.add(i, deep(r.nextInt(2) == 0 ? "[" : "{a: ", r.nextInt(2) == 0 ? "]" : "}", 1 + r.nextInt(5000)));
            default -> {
                // the same document many times over: a large file
                List<String> copy = new ArrayList<>(lines);
                for (int k = r.nextInt(20); k > 0; k--) lines.addAll(copy);
            }
        }
        return String.join("\n", lines);
    }

    private static String deep(String open, String close, int n) {
        return "x: " + open.repeat(n) + "1" + close.repeat(n);
    }

    private String replaceNumber(String line) {
        Matcher m = NUMBER.matcher(line);
        List<int[]> spans = new ArrayList<>();
        while (m.find()) spans.add(new int[] {m.start(), m.end()});
        if (spans.isEmpty()) return replaceValue(line);
        int[] s = spans.get(r.nextInt(spans.size()));
        return line.substring(0, s[0]) + pick(NUMBERS) + line.substring(s[1]);
    }

    private String replaceValue(String line) {
        int colon = line.indexOf(':');
        int comma = line.indexOf(',');
        if (colon >= 0 && r.nextBoolean()) return line.substring(0, colon + 1) + " " + pick(VALUES);
        if (comma >= 0) {
            String[] cells = line.split(",", -1);
            cells[r.nextInt(cells.length)] = r.nextBoolean() ? pick(VALUES) : pick(NUMBERS);
            return String.join(",", cells);
        }
        return pick(VALUES);
    }

    private byte[] mutateBytes(byte[] b) {
        return switch (r.nextInt(5)) {
            case 0 -> Arrays.copyOf(b, r.nextInt(b.length + 1));
            case 1 -> {
                byte[] c = b.clone();
                for (int k = 1 + r.nextInt(4); k > 0 && c.length > 0; k--) c[r.nextInt(c.length)] = (byte) (0x80 + r.nextInt(128));
                yield c;
            }
            case 2 -> {
                byte[] c = b.clone();
                if (c.length > 0) c[r.nextInt(c.length)] = 0;
                yield c;
            }
            case 3 -> concat(new byte[] {(byte) 0xef, (byte) 0xbb, (byte) 0xbf}, b);
            default -> new String(b, StandardCharsets.UTF_8).replace("\n", "\r\n").getBytes(StandardCharsets.UTF_8);
        };
    }

    private byte[] whole() {
        return switch (r.nextInt(6)) {
            case 0 -> new byte[0];
            case 1 -> "\n\n\n".getBytes(StandardCharsets.UTF_8);
            case 2 -> {
                byte[] b = new byte[1 + r.nextInt(300)];
                for (int i = 0; i < b.length; i++) b[i] = (byte) r.nextInt(256);
                yield b;
            }
            // the billion laughs: aliases that expand to far more than the file
            case 3 -> ("a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                    + "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
                    + "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n")
                    .getBytes(StandardCharsets.UTF_8);
            case 4 -> ("a: &a {b: *a}\n").getBytes(StandardCharsets.UTF_8);
            default -> ("[".repeat(100_000)).getBytes(StandardCharsets.UTF_8);
        };
    }

    private String pick(String[] xs) {
        return xs[r.nextInt(xs.length)];
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] c = new byte[a.length + b.length];
        System.arraycopy(a, 0, c, 0, a.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }
}
