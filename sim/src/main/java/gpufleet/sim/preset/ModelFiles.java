package gpufleet.sim.preset;

import gpufleet.core.plan.ModelSpec;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Model descriptions for the planner: built-in presets of public model shapes, and the user's own
 * YAML or JSON files:
 *
 * <pre>
 * name: my-model
 * layers: 32
 * hidden: 4096
 * ffn: 14336
 * heads: 32
 * kvHeads: 8          # optional, default = heads
 * vocab: 128256
 * seqLen: 8192
 * gatedMlp: true      # optional, default true (SwiGLU)
 * tiedEmbeddings: false  # optional, default false
 * dropout: false      # optional, default false
 * </pre>
 */
public final class ModelFiles {
    private static final String L3 = "Dubey et al., \"The Llama 3 Herd of Models\", arXiv:2407.21783, Table 3 "
            + "(layers, model dimension, FFN dimension, attention and key/value heads, vocabulary 128K; the released "
            + "tokenizer has 128,256 entries); 8,192-token sequences in the main pre-training stage (sec. 3.4.1)";
    private static final Map<String, ModelSpec> PRESETS = new LinkedHashMap<>();

    static {
        add(new ModelSpec("llama-8b", 32, 4096, 14336, 32, 8, 128_256, 8192, true, false, false, L3));
        add(new ModelSpec("llama-70b", 80, 8192, 28672, 64, 8, 128_256, 8192, true, false, false, L3));
        add(new ModelSpec("llama-405b", 126, 16384, 53248, 128, 8, 128_256, 8192, true, false, false, L3));
        add(new ModelSpec("gpt3-175b", 96, 12288, 49152, 96, 96, 50_257, 2048, false, true, true,
                "Brown et al., \"Language Models are Few-Shot Learners\", arXiv:2005.14165, Table 2.1 (96 layers, "
                        + "d_model 12,288, 96 heads, context 2,048; FFN 4 x d_model, GPT-2 vocabulary of 50,257)"));
    }

    private static final List<String> FIELDS = List.of("name", "layers", "hidden", "ffn", "heads", "kvHeads", "vocab",
            "seqLen", "gatedMlp", "tiedEmbeddings", "dropout", "source");

    private ModelFiles() {}

    private static void add(ModelSpec m) {
        PRESETS.put(m.name(), m);
    }

    public static List<ModelSpec> presets() {
        return List.copyOf(PRESETS.values());
    }

    /** A preset by name, or a model file by path (.yaml, .yml or .json). */
    public static ModelSpec load(String nameOrPath) {
        if (nameOrPath != null && PRESETS.containsKey(nameOrPath.strip())) return PRESETS.get(nameOrPath.strip());
        if (nameOrPath == null || !Sources.looksLikePath(nameOrPath.strip()))
            throw new IllegalArgumentException("unknown model '" + nameOrPath + "'; known: "
                    + String.join(", ", PRESETS.keySet()) + " (or give a path to a .yaml, .yml or .json file)");
        Sources.Text t = Sources.resolve(nameOrPath, "model", "", List.of());
        return parse(t.text(), t.source());
    }

    public static ModelSpec parse(String text, String source) {
        Node root = Sources.parse(text, source).object(FIELDS);
        String name = root.has("name") ? root.get("name").text() : Sources.defaultName(source);
        int heads = root.require("heads").intValue(1, 100_000);
        try {
            return new ModelSpec(name, root.require("layers").intValue(1, 100_000), root.require("hidden").intValue(1, 1_000_000),
                    root.require("ffn").intValue(1, 10_000_000), heads,
                    root.has("kvHeads") ? root.get("kvHeads").intValue(1, 100_000) : heads,
                    root.require("vocab").intValue(1, 100_000_000), root.require("seqLen").intValue(1, 100_000_000),
                    bool(root, "gatedMlp", true), bool(root, "tiedEmbeddings", false), bool(root, "dropout", false),
                    root.has("source") ? root.get("source").text() : source);
        } catch (PresetFileException e) {
            throw e;
        } catch (IllegalArgumentException e) {
            throw root.error(e.getMessage());
        }
    }

    private static boolean bool(Node root, String key, boolean dflt) {
        if (!root.has(key)) return dflt;
        String s = root.get(key).text();
        if (s.equalsIgnoreCase("true")) return true;
        if (s.equalsIgnoreCase("false")) return false;
        throw root.get(key).error("expected true or false, got '" + s + "'");
    }
}
