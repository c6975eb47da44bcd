package gpufleet.protocol;

/** What {@code POST /tokens} adds after the {@link TokenView}'s fields: the token itself, never shown again. */
public record TokenSecretView(String token) {}
