package gpufleet.server;

import java.nio.file.Path;

/**
 * How the controller guards its API.
 *
 * @param auth          tokens required (the default); off only on a loopback address
 * @param tlsCert       PEM certificate chain for HTTPS, with {@code tlsKey}; both null for plain HTTP
 * @param tlsKey        PEM private key of {@code tlsCert}
 * @param ratePerSecond requests a second each client may make on average (0: no limit)
 * @param rateBurst     requests a client may make at once after being quiet
 */
public record Security(boolean auth, Path tlsCert, Path tlsKey, double ratePerSecond, double rateBurst) {
    public static final double DEFAULT_RATE = 100;
    public static final double DEFAULT_BURST = 200;

    public Security {
        if ((tlsCert == null) != (tlsKey == null))
            throw new IllegalArgumentException("TLS needs both a certificate and its key");
        if (!(ratePerSecond >= 0) || !(rateBurst >= 0))
            throw new IllegalArgumentException("rate limits must not be negative");
    }

    /** Tokens required, plain HTTP, the default rate limit. */
    public static Security defaults() {
        return new Security(true, null, null, DEFAULT_RATE, DEFAULT_BURST);
    }

    public Security withAuth(boolean on) {
        return new Security(on, tlsCert, tlsKey, ratePerSecond, rateBurst);
    }

    public Security withTls(Path cert, Path key) {
        return new Security(auth, cert, key, ratePerSecond, rateBurst);
    }

    public Security withRate(double perSecond, double burst) {
        return new Security(auth, tlsCert, tlsKey, perSecond, burst);
    }

    public boolean tls() {
        return tlsCert != null;
    }
}
