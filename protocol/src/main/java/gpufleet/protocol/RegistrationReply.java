package gpufleet.protocol;

/**
 * What an agent needs of the controller's answer to a registration (the answer is the host as stored;
 * a reader skips the rest).
 *
 * @param generation the host's new generation, presented on every later call
 * @param credential the host's own credential when it registered with a join token, once; null otherwise
 */
public record RegistrationReply(long id, long generation, String status, String credential) {}
