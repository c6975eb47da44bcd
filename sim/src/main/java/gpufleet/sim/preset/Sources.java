package gpufleet.sim.preset;

import tools.jackson.core.JacksonException;
import tools.jackson.core.TokenStreamLocation;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.dataformat.yaml.YAMLMapper;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Where preset text comes from (a built-in resource or a file the user names) and how it becomes a
 * {@link Node} tree: YAML, or JSON for files ending in {@code .json}. Syntax errors become
 * {@link PresetFileException}s with a line, a column and the offending line of text.
 */
final class Sources {
    private static final YAMLMapper YAML = YAMLMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY).build();
    private static final JsonMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY).build();

    /** Preset text and the name to show in messages. */
    record Text(String source, String text) {}

    private Sources() {}

    static boolean looksLikePath(String s) {
        String l = s.toLowerCase(Locale.ROOT);
        return l.endsWith(".yaml") || l.endsWith(".yml") || l.endsWith(".json") || s.contains("/")
                || s.contains(java.io.File.separator);
    }

    /**
     * The text behind a preset name or a path. A known preset name wins; anything else must be a
     * path to a .yaml, .yml or .json file.
     */
    static Text resolve(String nameOrPath, String kind, String dir, List<String> presets) {
        if (nameOrPath == null || nameOrPath.isBlank())
            throw PresetFileException.plain("", "no " + kind + " given; use a preset (" + String.join(", ", presets)
                    + ") or a path to a .yaml, .yml or .json file");
        String s = nameOrPath.strip();
        if (presets.contains(s)) return preset(s, kind, dir, presets);
        if (!looksLikePath(s))
            throw PresetFileException.plain(s, "unknown " + kind + " preset '" + s + "'; known: "
                    + String.join(", ", presets) + " (or give a path to a .yaml, .yml or .json file)");
        Path p = Path.of(s);
        try {
            return new Text(s, Files.readString(p, StandardCharsets.UTF_8));
        } catch (NoSuchFileException e) {
            throw PresetFileException.ofFile(s, "no such file");
        } catch (IOException e) {
            throw PresetFileException.ofFile(s, "cannot read: " + e.getMessage());
        }
    }

    static Text preset(String name, String kind, String dir, List<String> presets) {
        if (!presets.contains(name))
            throw PresetFileException.plain(name, "unknown " + kind + " preset '" + name + "'; known: "
                    + String.join(", ", presets));
        String resource = dir + name + ".yaml";
        try (InputStream in = Sources.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) throw new IllegalStateException("preset resource " + resource + " is missing from the build");
            String source = resource.substring(resource.indexOf("presets/") + "presets/".length());
            return new Text(source, new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read preset resource " + resource, e);
        }
    }

    /** The name a file without {@code name:} gets: its file name without directory and extension. */
    static String defaultName(String source) {
        String file = source.substring(Math.max(source.lastIndexOf('/'), source.lastIndexOf('\\')) + 1);
        int dot = file.lastIndexOf('.');
        return dot > 0 ? file.substring(0, dot) : file;
    }

    /** Parses text as JSON when {@code source} ends in .json, else as YAML; the root must be a mapping. */
    static Node parse(String text, String source) {
        boolean json = source.toLowerCase(Locale.ROOT).endsWith(".json");
        ObjectMapper mapper = json ? JSON : YAML;
        JsonNode tree;
        try {
            tree = mapper.readTree(text);
        } catch (JacksonException e) {
            throw syntaxError(source, text, json, e);
        }
        Node root = Node.root(source, tree);
        if (root.isMissing()) throw PresetFileException.ofFile(source, "the file is empty");
        if (!root.isObject())
            throw PresetFileException.ofFile(source, "expected a mapping of fields at the top level (name:, ...)");
        return root;
    }

    private static PresetFileException syntaxError(String source, String text, boolean json, JacksonException e) {
        TokenStreamLocation loc = e.getLocation();
        int line = loc == null ? 0 : Math.max(0, loc.getLineNr());
        int col = loc == null ? 0 : Math.max(0, loc.getColumnNr());
        String problem = summary(e.getOriginalMessage());
        String excerpt = excerpt(text, line, col);
        return PresetFileException.atLine(source, line, col,
                "invalid " + (json ? "JSON" : "YAML") + ": " + problem + excerpt);
    }

    /**
     * The parser's message without its own location lines and quoted snippets: the YAML parser
     * repeats "in reader, line N, column M:" followed by indented excerpts; JSON messages may name
     * the in-memory source.
     */
    static String summary(String message) {
        if (message == null || message.isBlank()) return "syntax error";
        var dup = java.util.regex.Pattern.compile("^Duplicate property \"([^\"]*)\"").matcher(message);
        if (dup.find()) return "duplicate key '" + dup.group(1) + "'";
        var parts = new StringBuilder();
        for (String l : message.split("\\R")) {
            if (l.isBlank() || Character.isWhitespace(l.charAt(0))) continue;
            String t = l.strip();
            if (t.startsWith("in reader") || t.startsWith("at [Source")) continue;
            if (parts.length() > 0) parts.append("; ");
            parts.append(t);
        }
        String s = parts.toString();
        int src = s.indexOf(" (for ");
        if (src > 0 && s.indexOf("[Source", src) > 0) s = s.substring(0, src);
        s = s.replaceAll("\\s*\\[Source:[^\\]]*\\]", "");
        return s.isEmpty() ? "syntax error" : s;
    }

    /** The offending line of text with a caret under the column, or nothing if the line is unknown. */
    private static String excerpt(String text, int line, int col) {
        if (line <= 0) return "";
        String[] lines = text.split("\\R", -1);
        if (line > lines.length) return "";
        String l = lines[line - 1].replace('\t', ' ');
        if (l.isBlank()) return "";
        return "\n    " + l + "\n    " + " ".repeat(Math.max(0, Math.min(col, l.length() + 1) - 1)) + "^";
    }
}
