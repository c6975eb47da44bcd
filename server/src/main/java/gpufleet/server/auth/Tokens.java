package gpufleet.server.auth;

import gpufleet.protocol.PrivateFiles;
import gpufleet.server.store.Store;
import gpufleet.server.store.TokenRecord;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The controller's tokens: made, checked, listed and revoked here, kept in the {@link Store}.
 *
 * <p>A token reads {@code gft_<id>_<secret>}: the id (10 characters) names it in listings and the
 * audit log, the secret is 32 random bytes. Only the SHA-256 of the whole token is stored, so the
 * database (or a backup of it) holds nothing that authenticates; the token is shown once, when it is
 * made. The prefix lets secret scanners recognise a leaked one.
 *
 * <p>Every request is checked against an in-memory copy of the table (the controller is its only
 * writer, and writes go to the store first), so authentication costs one hash and no query. Checking
 * looks the token up by id and compares hashes in constant time.
 */
public final class Tokens {
    /** The file in the data directory that holds the first admin token. */
    public static final String ADMIN_TOKEN_FILE = "admin-token";

    private static final Pattern FORMAT = Pattern.compile("gft_([a-z0-9]{10})_([A-Za-z0-9_-]{43})");
    private static final char[] ID_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789".toCharArray();

    /** A token just made: the record as stored, and the token itself, which is not kept anywhere. */
    public record Issued(TokenRecord record, String token) {}

    /** The outcome of checking a presented token: a principal, or why there is none. */
    public record Check(Principal principal, String refusal) {}

    private final Store store;
    private final Clock clock;
    private final SecureRandom random = new SecureRandom();
    private final Map<String, TokenRecord> byId = new ConcurrentHashMap<>();

    public Tokens(Store store, Clock clock) {
        this.store = store;
        this.clock = clock;
        for (TokenRecord t : store.tokens()) byId.put(t.id(), t);
    }

    /** Reads the tokens again from the store: another controller sharing the database may have made or revoked some. */
    public synchronized void reload() {
        Map<String, TokenRecord> fresh = new java.util.HashMap<>();
        for (TokenRecord t : store.tokens()) fresh.put(t.id(), t);
        byId.putAll(fresh);
        byId.keySet().retainAll(fresh.keySet());
    }

    private double now() {
        return clock.millis() / 1000.0;
    }

    /**
     * Makes a token. {@code team} is for MEMBER tokens, {@code host} for AGENT credentials; it expires
     * {@code ttlSeconds} after it is made, or never when that is null.
     */
    public synchronized Issued create(String name, Role role, String team, String host, Long ttlSeconds, String createdBy) {
        double now = now();
        Double expiresAt = ttlSeconds == null ? null : now + ttlSeconds;
        String id;
        do id = randomId(); while (byId.containsKey(id));
        byte[] secret = new byte[32];
        random.nextBytes(secret);
        String token = "gft_" + id + "_" + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
        TokenRecord rec = new TokenRecord(id, name, role.name(), team, host, hash(token), now, createdBy, expiresAt, null);
        store.insertToken(rec);
        byId.put(id, rec);
        return new Issued(rec, token);
    }

    /** Checks a presented token. */
    public Check check(String presented) {
        Matcher m = FORMAT.matcher(presented);
        if (!m.matches()) return new Check(null, "malformed token: expected gft_<id>_<secret>");
        TokenRecord t = byId.get(m.group(1));
        // made since this controller last read the tokens, by the leader of a database it shares: a standby
        // must know a host's credential that the leader gave out seconds before it died, or the agent,
        // refused as unknown, would take its credential for revoked and stop
        if (t == null) t = unseen(m.group(1));
        if (t == null || !MessageDigest.isEqual(hash(presented).getBytes(StandardCharsets.US_ASCII),
                t.hash().getBytes(StandardCharsets.US_ASCII)))
            return new Check(null, "unknown token");
        if (t.revokedAt() != null) return new Check(null, "token " + t.id() + " has been revoked");
        if (!t.activeAt(now())) return new Check(null, "token " + t.id() + " has expired");
        return new Check(new Principal(t.id(), t.name(), Role.valueOf(t.role()), t.team(), t.host()), null);
    }

    private TokenRecord unseen(String id) {
        TokenRecord t = store.token(id).orElse(null);
        if (t != null) byId.putIfAbsent(id, t);
        return t;
    }

    /** Every token, in order of creation. */
    public List<TokenRecord> list() {
        List<TokenRecord> out = new ArrayList<>(byId.values());
        out.sort(java.util.Comparator.comparingDouble(TokenRecord::createdAt).thenComparing(TokenRecord::id));
        return out;
    }

    public Optional<TokenRecord> get(String id) {
        return Optional.ofNullable(byId.get(id));
    }

    /** Revokes a token; returns it as it is now, or empty when there is no such token. */
    public synchronized Optional<TokenRecord> revoke(String id) {
        TokenRecord t = byId.get(id);
        if (t == null) return Optional.empty();
        if (t.revokedAt() != null) return Optional.of(t);
        double now = now();
        store.revokeToken(id, now);
        TokenRecord revoked = new TokenRecord(t.id(), t.name(), t.role(), t.team(), t.host(), t.hash(), t.createdAt(),
                t.createdBy(), t.expiresAt(), now);
        byId.put(id, revoked);
        return Optional.of(revoked);
    }

    /** The credential that speaks for {@code host} now, if one does. */
    public Optional<TokenRecord> liveCredentialFor(String host) {
        double now = now();
        return byId.values().stream()
                .filter(t -> Role.AGENT.name().equals(t.role()) && host.equals(t.host()) && t.activeAt(now))
                .findFirst();
    }

    /** How many admin tokens are usable now. */
    public long activeAdmins() {
        double now = now();
        return byId.values().stream().filter(t -> Role.ADMIN.name().equals(t.role()) && t.activeAt(now)).count();
    }

    /**
     * On a controller's first start (no token at all yet) makes an admin token and writes it to
     * {@code <dataDir>/admin-token}, readable by this user only. Returns the file when it did.
     */
    public synchronized Optional<Path> bootstrapAdmin(Path dataDir) {
        if (!byId.isEmpty()) return Optional.empty();
        return Optional.of(newAdmin(dataDir));
    }

    /** Makes a new admin token and writes it to {@code <dataDir>/admin-token}, replacing the file there. */
    public synchronized Path newAdmin(Path dataDir) {
        Issued admin = create("admin", Role.ADMIN, null, null, null, "controller");
        Path file = dataDir.resolve(ADMIN_TOKEN_FILE);
        writePrivate(file, admin.token() + "\n");
        return file;
    }

    /** Writes {@code text} to {@code file}, readable by this user only. */
    public static void writePrivate(Path file, String text) {
        PrivateFiles.write(file, text);
    }

    private String randomId() {
        char[] c = new char[10];
        for (int i = 0; i < c.length; i++) c[i] = ID_CHARS[random.nextInt(ID_CHARS.length)];
        return new String(c);
    }

    static String hash(String token) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }
}
