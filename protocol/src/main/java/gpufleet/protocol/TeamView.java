package gpufleet.protocol;

/** A team as {@code GET /teams} and {@code PUT /teams/{name}} answer it; {@code quotaGpus} null means unlimited. */
public record TeamView(String name, Integer quotaGpus) {}
