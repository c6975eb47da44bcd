package gpufleet.server;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Mutations of a valid JSON request body, drawn from a seeded random stream: the structural ones
 * (a field deleted, duplicated, added, its value swapped for another type, a huge or tiny number,
 * odd Unicode, deep nesting, long lists) applied to the tree one to three at a time, and byte-level
 * ones applied to its text (truncation, flipped or inserted bytes, invalid UTF-8, trailing garbage).
 * The same seed gives the same bodies.
 */
final class JsonFuzz {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    private static final String[] STRINGS = {"", " ", "\u0000", "a\nb", "\t", "\u202eevil", "\ud83d\ude80", "日本語",
            "\ud800", "../../etc/passwd", "x".repeat(5000), "null", "0", "-1", "true", "%00", "'; DROP TABLE jobs; --",
            "\\u0000", "H100", "default", "admin", "${jndi:ldap://x}", "gft_aaaaaaaaaa_" + "A".repeat(43)};
    private static final String[] NUMBERS = {"0", "-0", "-1", "1", "2147483647", "2147483648", "-2147483649",
            "9223372036854775807", "9223372036854775808", "-9223372036854775809", "1e400", "-1e400", "1e-400", "0.5",
            "1.0", "8.0000000001", "1E2", "123456789012345678901234567890", "4.9e-324", "1.7976931348623157e308"};

    private final SplittableRandom r;

    JsonFuzz(long seed) {
        this.r = new SplittableRandom(seed);
    }

    /** A mutated copy of {@code seed}, as the bytes of a request body. */
    byte[] mutate(JsonNode seed) {
        int kind = r.nextInt(10);
        if (kind < 6) {
            JsonNode tree = seed.deepCopy();
            int n = 1 + r.nextInt(3);
            String text = null;
            for (int i = 0; i < n; i++) {
                if (r.nextInt(12) == 0 && tree.isObject() && !tree.isEmpty()) {
                    text = duplicateKey((ObjectNode) tree);
                    break;
                }
                tree = mutateTree(tree);
            }
            if (text == null) text = render(tree);
            return text.getBytes(StandardCharsets.UTF_8);
        }
        if (kind < 9) return mutateBytes(JSON.writeValueAsString(seed).getBytes(StandardCharsets.UTF_8));
        return oddWhole();
    }

    private JsonNode mutateTree(JsonNode root) {
        List<JsonNode> containers = new ArrayList<>();
        collect(root, containers);
        JsonNode target = containers.get(r.nextInt(containers.size()));
        if (target instanceof ObjectNode o) {
            List<String> names = new ArrayList<>(o.propertyNames());
            switch (r.nextInt(4)) {
                case 0 -> {
                    if (!names.isEmpty()) o.remove(names.get(r.nextInt(names.size())));
                }
                case 1 -> o.set(r.nextBoolean() && !names.isEmpty() ? names.get(r.nextInt(names.size())) : randomName(), value(0));
                case 2 -> o.set(randomName(), value(0));
                default -> {
                    if (!names.isEmpty()) o.set(names.get(r.nextInt(names.size())), value(0));
                }
            }
        } else if (target instanceof ArrayNode a) {
            switch (r.nextInt(4)) {
                case 0 -> {
                    if (!a.isEmpty()) a.remove(r.nextInt(a.size()));
                }
                case 1 -> a.add(value(0));
                case 2 -> {
                    if (!a.isEmpty()) for (int i = r.nextInt(2000); i > 0; i--) a.add(a.get(0).deepCopy());
                }
                default -> {
                    if (!a.isEmpty()) a.set(r.nextInt(a.size()), value(0));
                }
            }
        }
        return root.isContainer() ? root : value(0);
    }

    private static void collect(JsonNode n, List<JsonNode> out) {
        if (!n.isContainer()) return;
        out.add(n);
        for (JsonNode c : n) collect(c, out);
    }

    private String randomName() {
        return switch (r.nextInt(4)) {
            case 0 -> STRINGS[r.nextInt(STRINGS.length)];
            case 1 -> "field" + r.nextInt(100);
            case 2 -> "__proto__";
            default -> "name";
        };
    }

    /** A random value of any JSON type; large or deep ones now and then. */
    private JsonNode value(int depth) {
        return switch (r.nextInt(depth > 3 ? 6 : 9)) {
            case 0 -> F.nullNode();
            case 1 -> F.booleanNode(r.nextBoolean());
            case 2 -> F.stringNode(STRINGS[r.nextInt(STRINGS.length)]);
            case 3 -> F.stringNode(randomUnicode(1 + r.nextInt(40)));
            case 4 -> JSON.readTree(NUMBERS[r.nextInt(NUMBERS.length)].replace("1e400", "1e308"));
            case 5 -> F.numberNode(r.nextLong());
            case 6 -> {
                ArrayNode a = F.arrayNode();
                for (int i = r.nextInt(4); i > 0; i--) a.add(value(depth + 1));
                yield a;
            }
            case 7 -> {
                ObjectNode o = F.objectNode();
                for (int i = r.nextInt(4); i > 0; i--) o.set(randomName(), value(depth + 1));
                yield o;
            }
            default -> deep(1 + r.nextInt(150)); // deeper ones only as text: the tree writer stops at 500
        };
    }

    private static JsonNode deep(int depth) {
        JsonNode n = F.numberNode(1);
        for (int i = 0; i < depth; i++) n = i % 2 == 0 ? F.arrayNode().add(n) : F.objectNode().set("a", n);
        return n;
    }

    private String randomUnicode(int len) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < len; i++) {
            int cp = switch (r.nextInt(4)) {
                case 0 -> r.nextInt(0x20, 0x7f);
                case 1 -> r.nextInt(0, 0x20);
                case 2 -> r.nextInt(0x80, 0xd7ff);
                default -> r.nextInt(0x10000, 0x10ffff);
            };
            sb.appendCodePoint(cp);
        }
        return sb.toString();
    }

    /** The object's text with one of its keys written twice (the tree cannot hold that). */
    private String duplicateKey(ObjectNode o) {
        List<String> names = new ArrayList<>(o.propertyNames());
        String k = names.get(r.nextInt(names.size()));
        String text = render(o);
        return text.substring(0, text.length() - 1) + "," + JSON.writeValueAsString(k) + ":" + render(value(0)) + "}";
    }

    /** Numbers too big for a double are written as literals: the tree cannot hold them either. */
    private String render(JsonNode tree) {
        String text = JSON.writeValueAsString(tree);
        if (r.nextInt(8) == 0) text = text.replaceFirst("\\b1\\.0E308\\b", NUMBERS[r.nextInt(NUMBERS.length)]);
        return text;
    }

    private byte[] mutateBytes(byte[] b) {
        return switch (r.nextInt(7)) {
            case 0 -> java.util.Arrays.copyOf(b, r.nextInt(b.length + 1));
            case 1 -> {
                byte[] c = b.clone();
                for (int i = 1 + r.nextInt(4); i > 0 && c.length > 0; i--) c[r.nextInt(c.length)] = (byte) r.nextInt(256);
                yield c;
            }
            case 2 -> {
                int at = r.nextInt(b.length + 1);
                byte[] ins = randomBytes(1 + r.nextInt(8));
                byte[] c = new byte[b.length + ins.length];
                System.arraycopy(b, 0, c, 0, at);
                System.arraycopy(ins, 0, c, at, ins.length);
                System.arraycopy(b, at, c, at + ins.length, b.length - at);
                yield c;
            }
            case 3 -> concat(b, " trailing".getBytes(StandardCharsets.UTF_8));
            case 4 -> concat(new byte[] {(byte) 0xef, (byte) 0xbb, (byte) 0xbf}, b);
            case 5 -> concat(b, b);
            default -> concat("/* comment */".getBytes(StandardCharsets.UTF_8), b);
        };
    }

    private byte[] oddWhole() {
        return switch (r.nextInt(10)) {
            case 0 -> new byte[0];
            case 1 -> "null".getBytes(StandardCharsets.UTF_8);
            case 2 -> "[]".getBytes(StandardCharsets.UTF_8);
            case 3 -> "\"a string\"".getBytes(StandardCharsets.UTF_8);
            case 4 -> "{}".getBytes(StandardCharsets.UTF_8);
            case 5 -> randomBytes(1 + r.nextInt(200));
            case 6 -> ("[".repeat(100_000) + "]".repeat(100_000)).getBytes(StandardCharsets.UTF_8);
            case 7 -> ("{\"a\":" + "9".repeat(200_000) + "}").getBytes(StandardCharsets.UTF_8);
            case 8 -> ("{\"name\":" + "[{\"a\":".repeat(3000) + "1" + "}]".repeat(3000) + "}").getBytes(StandardCharsets.UTF_8);
            default -> ("{\"name\":\"" + "\\u0041".repeat(50_000) + "\"}").getBytes(StandardCharsets.UTF_8);
        };
    }

    private byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) b[i] = (byte) r.nextInt(256);
        return b;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] c = new byte[a.length + b.length];
        System.arraycopy(a, 0, c, 0, a.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    /** A random string for a path segment or query value. */
    String segment() {
        return switch (r.nextInt(6)) {
            case 0 -> NUMBERS[r.nextInt(NUMBERS.length)];
            case 1 -> STRINGS[r.nextInt(STRINGS.length)];
            case 2 -> randomUnicode(1 + r.nextInt(20));
            case 3 -> Long.toString(r.nextLong(-5, 50));
            case 4 -> "";
            default -> "%" + Integer.toHexString(r.nextInt(256));
        };
    }

    int nextInt(int bound) {
        return r.nextInt(bound);
    }
}
