package gpufleet.sim.preset;

import tools.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * One value of a parsed preset file together with the file it came from and its field path, so a
 * reader can reject it with a message that says exactly where ({@code clusters[2].hostsPerRack}).
 * A node may be missing (the key is absent or null); reading a missing node is an error that names
 * the field as required.
 */
final class Node {
    private final String source;
    private final String path;
    private final JsonNode json;

    private Node(String source, String path, JsonNode json) {
        this.source = source;
        this.path = path;
        this.json = json == null || json.isMissingNode() || json.isNull() ? null : json;
    }

    static Node root(String source, JsonNode json) {
        return new Node(source, "", json);
    }

    String source() {
        return source;
    }

    String path() {
        return path;
    }

    boolean isMissing() {
        return json == null;
    }

    boolean isString() {
        return json != null && json.isString();
    }

    boolean isObject() {
        return json != null && json.isObject();
    }

    /** The last segment of the path: the key this node sits under. */
    String key() {
        int dot = path.lastIndexOf('.');
        return dot < 0 ? path : path.substring(dot + 1);
    }

    PresetFileException error(String problem) {
        return PresetFileException.atField(source, path, problem);
    }

    /** The child under {@code key}; missing when this node is missing, not a mapping, or has no such key. */
    Node get(String key) {
        JsonNode child = json != null && json.isObject() ? json.get(key) : null;
        return new Node(source, path.isEmpty() ? key : path + "." + key, child);
    }

    boolean has(String key) {
        return !get(key).isMissing();
    }

    /** The child under {@code key}, which must be present. */
    Node require(String key) {
        Node n = get(key);
        if (n.isMissing()) throw error("missing required field '" + key + "'");
        return n;
    }

    /** Fails unless this node is a mapping whose keys are all in {@code allowed}. */
    Node object(Collection<String> allowed) {
        if (json == null || !json.isObject())
            throw error("expected a mapping (key: value lines), got " + describe());
        for (String key : json.propertyNames()) {
            if (!allowed.contains(key)) {
                String hint = closest(key, allowed);
                throw get(key).error("unknown field '" + key + "'" + (hint == null ? "" : " (did you mean '" + hint + "'?)")
                        + "; allowed: " + String.join(", ", allowed));
            }
        }
        return this;
    }

    /** The entries of a mapping, in file order. */
    List<Map.Entry<String, Node>> entries() {
        if (json == null || !json.isObject()) throw error("expected a mapping (key: value lines), got " + describe());
        var out = new ArrayList<Map.Entry<String, Node>>();
        for (String key : json.propertyNames()) out.add(Map.entry(key, get(key)));
        return out;
    }

    /** The elements of a list, each with its index in the path. */
    List<Node> list() {
        if (json == null || !json.isArray()) throw error("expected a list (lines starting with '- '), got " + describe());
        var out = new ArrayList<Node>(json.size());
        for (int i = 0; i < json.size(); i++) out.add(new Node(source, path + "[" + i + "]", json.get(i)));
        return out;
    }

    /** A scalar as text (numbers and booleans as written). */
    String text() {
        if (json == null) throw error("missing required value");
        if (json.isContainer()) throw error("expected a single value, got " + describe());
        String s = json.asString().strip();
        if (s.isEmpty()) throw error("must not be empty");
        return s;
    }

    /** A whole number in {@code [lo, hi]}. */
    long integer(long lo, long hi) {
        double v = scalar(Units::number, "a whole number");
        if (v != Math.rint(v) || Double.isInfinite(v)) throw error("expected a whole number, got " + describe());
        return checkRange((long) v, lo, hi);
    }

    int intValue(int lo, int hi) {
        return (int) integer(lo, hi);
    }

    /** A number at least {@code lo} (or above it when {@code loExclusive}) and at most {@code hi}. */
    double number(double lo, boolean loExclusive, double hi) {
        return checkRange(scalar(Units::number, "a number"), lo, loExclusive, hi);
    }

    /** A duration in seconds ({@link Units#seconds}). */
    double seconds(double lo, boolean loExclusive, double hi) {
        return checkRange(scalar(Units::seconds, "a duration such as 90s, 30m, 6h or 54d"), lo, loExclusive, hi);
    }

    /** A count such as 405B or 15.6T ({@link Units#count}). */
    double count(double lo, double hi) {
        return checkRange(scalar(Units::count, "a count such as 405e9, 405B or 15.6T"), lo, false, hi);
    }

    private double scalar(ToDoubleFunction<String> parse, String what) {
        if (json == null) throw error("missing required value");
        if (json.isNumber()) return json.doubleValue();
        if (json.isString()) {
            try {
                return parse.applyAsDouble(json.stringValue());
            } catch (IllegalArgumentException e) {
                throw error(e.getMessage());
            }
        }
        throw error("expected " + what + ", got " + describe());
    }

    private long checkRange(long v, long lo, long hi) {
        if (v < lo) throw error("must be at least " + lo + ", got " + v);
        if (v > hi) throw error("must be at most " + hi + ", got " + v);
        return v;
    }

    private double checkRange(double v, double lo, boolean loExclusive, double hi) {
        if (Double.isNaN(v)) throw error("expected a number, got " + describe());
        if (loExclusive ? !(v > lo) : !(v >= lo))
            throw error("must be " + (loExclusive ? "greater than " : "at least ") + fmt(lo) + ", got " + describe());
        if (v > hi) throw error("must be at most " + fmt(hi) + ", got " + describe());
        return v;
    }

    private String describe() {
        if (json == null) return "nothing";
        if (json.isObject()) return "a mapping";
        if (json.isArray()) return "a list";
        if (json.isString()) return "'" + json.stringValue() + "'";
        return json.asString();
    }

    static String fmt(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
    }

    /** The allowed key closest to a misspelt one, if it is close enough to be a likely typo. */
    static String closest(String key, Collection<String> allowed) {
        String best = null;
        int bestD = Integer.MAX_VALUE;
        for (String a : allowed) {
            int d = distance(key.toLowerCase(java.util.Locale.ROOT), a.toLowerCase(java.util.Locale.ROOT));
            if (d < bestD) {
                bestD = d;
                best = a;
            }
        }
        return bestD <= Math.max(1, key.length() / 3) ? best : null;
    }

    /** Edit distance counting a swap of two neighbouring letters as one edit (optimal string alignment). */
    private static int distance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) d[i][0] = i;
        for (int j = 0; j <= b.length(); j++) d[0][j] = j;
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1))
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
            }
        }
        return d[a.length()][b.length()];
    }
}
