package gpufleet.server.ha;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.pool.HikariPool;
import gpufleet.server.store.DatabaseSpec;
import gpufleet.server.store.StoreException;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * Which of the controllers sharing one PostgreSQL database leads: a lease in the one-row {@code leadership}
 * table. The leader renews it every {@link #RENEW_EVERY}; a standby that finds it expired (by the
 * database's clock) takes it over and bumps its epoch. Every state-changing transaction of the leader checks
 * that epoch before it commits ({@code SqlStore.fence}), so a leader that was paused or cut off past its
 * lease commits nothing once another has taken over, whatever its own clock says.
 *
 * <p>A lease row rather than a session-level advisory lock: an advisory lock lives as long as its
 * session, and the session of a process stopped with SIGSTOP stays open (its kernel still answers TCP), so a
 * paused leader would keep the lock for good and no standby could take over; a pooler in transaction mode
 * would lose it between statements. The row expires by time, whatever happened to its holder.
 *
 * <p>{@link #tick()} does one round (renew, or try to take over, or read who leads); {@link #start} runs it
 * on a thread of its own, so that a long rebuild after an election never delays a renewal. The listener
 * is called on that thread and must return quickly.
 */
public final class Leadership implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Leadership.class.getName());

    /** How long a lease lasts from its last renewal. Takeover after a leader dies: this, plus tens of ms (a standby looks just after the lease it read runs out). */
    public static final Duration LEASE = Duration.ofSeconds(6);
    /** How often the leader renews: three tries before its lease runs out. */
    public static final Duration RENEW_EVERY = Duration.ofSeconds(2);
    /** How often a standby looks for an expired lease. */
    public static final Duration POLL_EVERY = Duration.ofSeconds(1);

    /** What the lease row says: who holds it, at which epoch, and whether it is still in force. */
    public record Leader(long epoch, String holder, String address, boolean live) {}

    /** Told of this controller's elections and depositions, in order, on the leadership thread. */
    public interface Listener {
        void elected(long epoch);

        void deposed(long epoch, String why);

        /**
         * Another controller's lease was found not renewed on time: its holder may be dead, and this
         * controller may soon take over. Called once per late renewal.
         */
        default void overdue() { }

        /**
         * What a standby knows of the leader changed: the lease row names another epoch, or is no longer
         * (or again) in force, or its holder's renewal became late or came on time again. Who clients
         * should be sent to may have changed.
         */
        default void leaderChanged(Leader now) { }
    }

    /**
     * Where the database's transaction ids stood at a moment, as {@code pg_current_snapshot()} says: the
     * first id not yet assigned ({@code xmax}), and whether any transaction was still running then.
     * A takeover whose own transaction got exactly {@code xmax}, after a moment when none was running,
     * proves that nothing was written in between.
     */
    public record Watermark(long xmax, boolean quiet) {
        static Watermark parse(String snapshot) {
            String[] f = snapshot.split(":", -1);
            return new Watermark(Long.parseLong(f[1]), f.length < 3 || f[2].isEmpty());
        }
    }

    private final HikariDataSource pool;
    private final String holder;
    private final Duration lease;
    private final Duration renewEvery;
    private final Duration pollEvery;
    private final LongSupplier nanos;
    private volatile String address;
    private volatile Listener listener = new Listener() {
        @Override
        public void elected(long epoch) { }

        @Override
        public void deposed(long epoch, String why) { }
    };
    /** The epoch this controller leads with, or -1. Changed only under this object's monitor. */
    private volatile long epoch = -1;
    /** Until when (nanos) this controller may take itself for the leader without another renewal. */
    private volatile long validUntil;
    private volatile Leader known = new Leader(0, "", "", false);
    /** The transaction id of this controller's last takeover, or -1. */
    private volatile long takeoverXid = -1;
    /** Whether the late renewal now seen was already told to the listener. */
    private volatile boolean overdueTold;
    /** When another controller's lease in force was last read: how long it had left then, in ms; else -1. */
    private volatile long untilExpiryMs = -1;
    private volatile boolean closed;
    private volatile boolean held;
    private volatile int knownSchema = Integer.MAX_VALUE;
    private volatile String tooNew;
    private String lastFailure;
    private Thread thread;

    /**
     * A lease on {@code db} for the process {@code holder} (unique per process), which clients reach at
     * {@code address} (may be set later with {@link #address(String)}).
     */
    public Leadership(DatabaseSpec db, String holder, String address, Duration lease, Duration renewEvery,
                      Duration pollEvery, LongSupplier nanos) {
        if (renewEvery.compareTo(lease) >= 0) throw new IllegalArgumentException("renew more often than the lease lasts");
        this.holder = holder;
        this.address = address == null ? "" : address;
        this.lease = lease;
        this.renewEvery = renewEvery;
        this.pollEvery = pollEvery;
        this.nanos = nanos;
        HikariConfig cfg = new HikariConfig();
        cfg.setPoolName("gpufleet-leadership");
        cfg.setJdbcUrl(db.jdbcUrl());
        if (db.user() != null) cfg.setUsername(db.user());
        if (db.password() != null) cfg.setPassword(db.password());
        cfg.setAutoCommit(true);
        cfg.setMaximumPoolSize(1);
        cfg.setMinimumIdle(1);
        // a renewal that cannot finish well inside the lease is worth nothing: give up and try again
        long ms = Math.max(250, renewEvery.toMillis() / 2);
        cfg.setConnectionTimeout(ms);
        cfg.setValidationTimeout(ms);
        cfg.addDataSourceProperty("connectTimeout", Long.toString(Math.max(1, ms / 1000)));
        cfg.addDataSourceProperty("socketTimeout", Long.toString(Math.max(2, lease.toSeconds() / 2)));
        cfg.addDataSourceProperty("tcpKeepAlive", "true");
        try {
            pool = new HikariDataSource(cfg);
        } catch (HikariPool.PoolInitializationException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            throw new StoreException("cannot open database for the leader lease: " + cause.getMessage(), cause);
        }
    }

    /** A lease with the default timings and the system's monotonic clock. */
    public Leadership(DatabaseSpec db, String holder, String address) {
        this(db, holder, address, LEASE, RENEW_EVERY, POLL_EVERY, System::nanoTime);
    }

    /**
     * The newest schema version this controller's code knows. Meeting a database migrated further (a newer
     * controller started during a rolling upgrade) it gives the lease up if it holds it and never takes it
     * again: the older steps down, the newer leads.
     */
    public void knowsSchema(int version) {
        this.knownSchema = version;
    }

    public void listener(Listener l) {
        this.listener = l;
    }

    /** The address clients are sent to; written to the lease row at the next renewal. */
    public void address(String address) {
        this.address = address;
    }

    public String address() { return address; }

    public String holder() { return holder; }

    /** Runs {@link #tick()} on a daemon thread until {@link #close()}: every {@code renewEvery} while leading, else every {@code pollEvery}. */
    public synchronized void start() {
        if (thread != null) return;
        thread = Thread.ofPlatform().daemon().name("gpufleet-leadership").start(() -> {
            while (!closed) {
                try {
                    tick();
                } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.ERROR, "leader lease round failed", e);
                }
                try {
                    Thread.sleep(epoch >= 0 ? renewEvery.toMillis() : nextLook());
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
    }

    /**
     * How long a standby waits before its next look: {@code pollEvery}, or less when the lease it last read
     * runs out sooner, so that it looks just after (by the database's clock, as read then): a dead leader's
     * lease is taken within tens of milliseconds of running out rather than up to {@code pollEvery} later.
     */
    private long nextLook() {
        long until = untilExpiryMs;
        long poll = pollEvery.toMillis();
        return until < 0 ? poll : Math.max(10, Math.min(poll, until + EXPIRY_MARGIN_MS));
    }

    /** A look this long after a lease's expiry (as read) finds it expired despite the time the read itself took. */
    private static final long EXPIRY_MARGIN_MS = 20;

    /** Whether this controller leads: it holds the lease and its last renewal is not older than the lease (by its own clock). */
    public boolean leading() {
        return epoch >= 0 && nanos.getAsLong() - validUntil < 0;
    }

    /** The epoch this controller leads with, or -1. */
    public long epoch() {
        return epoch;
    }

    /** The lease row as last read or written. */
    public Leader leader() {
        return known;
    }

    /**
     * Whether no other controller may be leading now: the lease row, as last read, is not in force, or its
     * holder's renewal is late (it may be dead, and a standby may take over at its next look). A standby
     * that knows of a live leader sends clients there; one that does not has nobody to send them to.
     */
    public boolean leaderMayBeGone() {
        return epoch < 0 && (!known.live() || overdueTold);
    }

    /** The leader's address, when a controller holds a lease in force and said where it can be reached. */
    public Optional<String> leaderAddress() {
        Leader l = known;
        return l.live() && !l.address().isEmpty() ? Optional.of(l.address()) : Optional.empty();
    }

    /**
     * One round: the leader renews (or learns it was replaced and steps down); a standby takes an expired
     * lease, else notes who holds it. A database that cannot be reached is waited out, except that a leader
     * that could not renew for a whole lease steps down: another may have taken over by now.
     */
    public synchronized void tick() {
        if (closed || held) return;
        long began = nanos.getAsLong();
        try (Connection c = pool.getConnection()) {
            lastFailure = null;
            int schema = schemaVersion(c);
            if (schema > knownSchema) {
                String why = "the database's schema is at version " + schema + ", newer than this controller's ("
                        + knownSchema + "): a newer controller leads; upgrade this one";
                if (!why.equals(tooNew)) LOG.log(System.Logger.Level.WARNING, why);
                tooNew = why;
                if (epoch >= 0) {
                    release(c);
                    depose(why);
                }
                known = read(c);
                return;
            }
            tooNew = null;
            if (epoch >= 0) renew(c, began);
            else tryTakeOver(c, began);
        } catch (SQLException e) {
            String why = e.getMessage();
            if (!why.equals(lastFailure))
                LOG.log(System.Logger.Level.WARNING, "leader lease: the database did not answer: " + why);
            lastFailure = why;
            if (epoch >= 0 && nanos.getAsLong() - validUntil >= 0)
                depose("could not renew the lease for " + lease.toSeconds() + " s (" + why + ")");
        }
    }

    private void renew(Connection c, long began) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("""
                UPDATE leadership SET renewed_at = extract(epoch FROM clock_timestamp())::float8,
                    expires_at = extract(epoch FROM clock_timestamp())::float8 + ?, address = ?
                WHERE id = 1 AND epoch = ? AND holder = ?
                RETURNING epoch""")) {
            p.setDouble(1, lease.toMillis() / 1000.0);
            p.setString(2, address);
            p.setLong(3, epoch);
            p.setString(4, holder);
            try (ResultSet rs = p.executeQuery()) {
                if (rs.next()) {
                    // from when the renewal was sent: the database's lease began no earlier than that
                    validUntil = began + lease.toNanos();
                    known = new Leader(epoch, holder, address, true);
                    return;
                }
            }
        }
        Leader now = read(c);
        known = now;
        depose("another controller took the lease: epoch " + now.epoch()
                + (now.address().isEmpty() ? "" : ", at " + now.address()));
    }

    private void tryTakeOver(Connection c, long began) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("""
                UPDATE leadership SET epoch = epoch + 1, holder = ?, address = ?,
                    renewed_at = extract(epoch FROM clock_timestamp())::float8,
                    expires_at = extract(epoch FROM clock_timestamp())::float8 + ?
                WHERE id = 1 AND (expires_at < extract(epoch FROM clock_timestamp())::float8 OR holder = ?)
                RETURNING epoch, pg_current_xact_id()::text""")) {
            p.setString(1, holder);
            p.setString(2, address);
            p.setDouble(3, lease.toMillis() / 1000.0);
            p.setString(4, holder);
            try (ResultSet rs = p.executeQuery()) {
                if (rs.next()) {
                    long e = rs.getLong(1);
                    takeoverXid = Long.parseLong(rs.getString(2));
                    validUntil = began + lease.toNanos();
                    epoch = e;
                    known = new Leader(e, holder, address, true);
                    LOG.log(System.Logger.Level.INFO, "elected leader (epoch " + e + ")");
                    listener.elected(e);
                    return;
                }
            }
        }
        known = read(c);
    }

    private static int schemaVersion(Connection c) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("SELECT COALESCE(MAX(version), 0) FROM schema_version");
             ResultSet rs = p.executeQuery()) {
            rs.next();
            return rs.getInt(1);
        }
    }

    /** The transaction id this controller's last takeover committed with, or -1. */
    public long takeoverXid() {
        return takeoverXid;
    }

    /** Where the database's transaction ids stand now, or empty when it cannot say (it did not answer). */
    public Optional<Watermark> watermark() {
        try (Connection c = pool.getConnection();
             PreparedStatement p = c.prepareStatement("SELECT pg_current_snapshot()::text");
             ResultSet rs = p.executeQuery()) {
            rs.next();
            return Optional.of(Watermark.parse(rs.getString(1)));
        } catch (SQLException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** Ends this controller's lease now, so that a standby takes it at its next look. */
    private void release(Connection c) throws SQLException {
        try (PreparedStatement p = c.prepareStatement(
                "UPDATE leadership SET expires_at = 0 WHERE id = 1 AND epoch = ? AND holder = ?")) {
            p.setLong(1, epoch);
            p.setString(2, holder);
            p.executeUpdate();
        }
    }

    /** Why this controller will not lead (its schema is older than the database's), or empty. */
    public Optional<String> barred() {
        return Optional.ofNullable(tooNew);
    }

    private Leader read(Connection c) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("""
                SELECT epoch, holder, address, expires_at - extract(epoch FROM clock_timestamp())::float8
                FROM leadership WHERE id = 1""");
             ResultSet rs = p.executeQuery()) {
            if (!rs.next()) throw new SQLException("the leadership table has no row: the schema is not at version 8");
            double left = rs.getDouble(4);
            boolean live = left >= 0;
            boolean other = live && !holder.equals(rs.getString(2));
            untilExpiryMs = other ? (long) (left * 1000) : -1;
            // a renewal more than a quarter second late: the holder may be gone
            boolean late = other && left * 1000 < lease.toMillis() - renewEvery.toMillis() - 250;
            if (late && !overdueTold) {
                // the start of a takeover, in the log: what follows (the election, the view taken over) is timed from here
                LOG.log(System.Logger.Level.INFO, "the leader's lease (epoch " + rs.getLong(1) + ") was not renewed on time;"
                        + " it runs out in " + Math.max(0, (long) (left * 1000)) + " ms");
                listener.overdue();
            }
            boolean wasLate = overdueTold;
            overdueTold = late;
            Leader was = known;
            Leader now = new Leader(rs.getLong(1), rs.getString(2), rs.getString(3), live);
            if (now.epoch() != was.epoch() || now.live() != was.live() || late != wasLate) {
                known = now;
                listener.leaderChanged(now);
            }
            return now;
        }
    }

    /**
     * Fault injection for tests: while held, no round runs, as in a process stopped with SIGSTOP; the lease
     * runs out in the database while this side, by its own clock, may still think it leads.
     */
    public void holdRounds(boolean hold) {
        this.held = hold;
    }

    /** Steps down at once: told by the store that a commit found another epoch. */
    public synchronized void lost(long heldEpoch, long currentEpoch, String leaderAddress, String why) {
        if (epoch < 0 || epoch != heldEpoch) return;
        known = new Leader(currentEpoch, "", leaderAddress, !leaderAddress.isEmpty());
        depose(why);
    }

    private void depose(String why) {
        long was = epoch;
        epoch = -1;
        LOG.log(System.Logger.Level.WARNING, "no longer the leader (epoch " + was + "): " + why + "; now a standby");
        listener.deposed(was, why);
    }

    /**
     * Stops, giving the lease up when this controller holds it, so that a standby takes over at its next
     * look rather than when the lease runs out (a restart of the leader costs about a second).
     */
    @Override
    public void close() {
        stop(true);
    }

    /** Stops without giving the lease up, as a killed process would: it runs out by itself. */
    public void crash() {
        stop(false);
    }

    private void stop(boolean release) {
        Thread t;
        synchronized (this) {
            if (closed) return;
            closed = true;
            t = thread;
            if (release && epoch >= 0) {
                try (Connection c = pool.getConnection()) {
                    release(c);
                } catch (SQLException e) {
                    LOG.log(System.Logger.Level.WARNING, "could not give the leader lease up (it runs out in "
                            + lease.toSeconds() + " s): " + e.getMessage());
                }
                epoch = -1;
            }
        }
        if (t != null) {
            t.interrupt();
            try {
                t.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        pool.close();
    }
}
