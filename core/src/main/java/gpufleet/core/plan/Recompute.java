package gpufleet.core.plan;

/** Activation recomputation (Korthikanti et al. 2022, "Reducing Activation Recomputation in Large Transformer Models"). */
public enum Recompute {
    /** Keep every activation. */
    NONE,
    /** Recompute only the attention core (scores, softmax, dropout, attention over V); keep the rest. */
    SELECTIVE,
    /** Keep only each layer's input and recompute the whole layer forward during the backward pass. */
    FULL;

    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    public static Recompute parse(String s) {
        for (Recompute r : values()) if (r.label().equalsIgnoreCase(s.strip())) return r;
        throw new IllegalArgumentException("recompute must be none, selective or full, got '" + s + "'");
    }
}
