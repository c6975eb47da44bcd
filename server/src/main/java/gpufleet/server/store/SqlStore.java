package gpufleet.server.store;

import gpufleet.core.job.JobState;
import gpufleet.core.state.HostStatus;
import gpufleet.protocol.GpuDescriptor;
import gpufleet.protocol.Registration;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.pool.HikariPool;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientConnectionException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@link Store} over JDBC: an SQLite file by default, any database that speaks the same portable SQL
 * (PostgreSQL) through {@link #SqlStore(String, String, String)}.
 *
 * <p>One connection at a time, used under this object's monitor: the controller is the only writer, and
 * one connection makes every method one serial transaction. Where several controllers share a PostgreSQL
 * database, only the elected one writes: {@link #fence} makes every transaction that changed something
 * check the leadership epoch before it commits. The connection comes from a pool of one
 * (HikariCP), which drops a connection that broke (the database restarted) and opens a new one, so the
 * store outlives an outage of its database: while the database cannot be reached every method throws
 * {@link StoreUnavailableException}, and the first call after it is back succeeds. SQLite runs in WAL mode
 * with {@code synchronous=FULL}, so a commit that returned survives the process being killed.
 *
 * <p>The schema comes from versioned scripts ({@code db/migration/V<n>__<what>.sql}) applied at
 * start-up in order, each in its own transaction together with its row in {@code schema_version}.
 * Ids are allocated as {@code max(id) + 1} inside the inserting transaction, which is safe with one
 * writer and needs no dialect-specific identity columns.
 */
public final class SqlStore implements Store {
    /** Migrations in order; the version is the number after the V. */
    static final List<String> MIGRATIONS = List.of("V1__initial_schema.sql", "V2__agents_and_accounting.sql",
            "V3__agent_incarnation.sql", "V4__tokens_audit_and_job_hosts.sql", "V5__restart_backoff.sql",
            "V6__time_limit.sql", "V7__attained_service.sql", "V8__leadership.sql", "V9__host_quarantine.sql");

    /** The newest schema version this code knows: the highest numbered migration. */
    public static int knownSchemaVersion() {
        return MIGRATIONS.stream().mapToInt(f -> Integer.parseInt(f.substring(1, f.indexOf("__")))).max().orElse(0);
    }

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final TypeReference<List<HostGpus>> PLACEMENT = new TypeReference<>() {};
    private static final TypeReference<List<String>> STRINGS = new TypeReference<>() {};
    private static final TypeReference<List<Integer>> INTS = new TypeReference<>() {};
    private static final TypeReference<List<GpuDescriptor>> GPUS = new TypeReference<>() {};

    /** How long a call waits for a connection while the database is away before it gives up. */
    static final long CONNECT_TIMEOUT_MS = 1500;
    /**
     * After a call found the database away, calls in this window fail at once instead of each waiting
     * {@link #CONNECT_TIMEOUT_MS} in turn behind this object's monitor; the first call after it tries again.
     */
    static final long AWAY_WINDOW_NANOS = 1_000_000_000L;

    private final HikariDataSource pool;
    private final boolean sqlite;
    /**
     * The leadership epoch every state-changing transaction must still find in the {@code leadership} row
     * before it commits; {@link #UNFENCED} when this store is its database's only writer (SQLite, or a
     * single controller). See {@link #fence(long, java.util.function.Consumer)}.
     */
    private volatile long fenceEpoch = UNFENCED;
    private volatile java.util.function.Consumer<NotLeaderException> onFenced = e -> { };
    public static final long UNFENCED = Long.MIN_VALUE;
    /** A fence no transaction passes: the epoch of a controller that does not lead. */
    public static final long NOT_LEADING = -1;
    /** What the error messages call the database: kind and address, never a password. */
    private final String label;
    /** The connection of the transaction in progress; null between transactions. Guarded by this. */
    private Connection conn;
    /** Until when calls fail fast (System.nanoTime), and why; null reason while the database is reachable. */
    private long awayUntil;
    private String awayReason;

    /** Opens (creating if needed) {@code <dataDir>/gpufleet.db}. */
    public static SqlStore sqlite(Path dataDir) {
        try {
            Files.createDirectories(dataDir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create data directory " + dataDir, e);
        }
        return new SqlStore("jdbc:sqlite:" + dataDir.resolve("gpufleet.db").toAbsolutePath(), null, null);
    }

    /**
     * Opens the database {@code dbSpec} names: PostgreSQL as {@code postgresql://host[:port]/dbname?user=u&password=p}
     * (also {@code postgres://}, {@code u:p@host}, or a full {@code jdbc:postgresql://} URL), or SQLite under
     * {@code dataDir} when it is null, blank or {@code sqlite}.
     *
     * @throws IllegalArgumentException if the spec is malformed; the message says what is wrong with it
     * @throws StoreException if the database cannot be reached, logged into or migrated
     */
    public static SqlStore open(String dbSpec, Path dataDir) {
        if (DatabaseSpec.isSqlite(dbSpec)) return sqlite(dataDir);
        DatabaseSpec db = DatabaseSpec.postgres(dbSpec);
        return new SqlStore(db.jdbcUrl(), db.user(), db.password());
    }

    public SqlStore(String jdbcUrl, String user, String password) {
        sqlite = jdbcUrl.startsWith("jdbc:sqlite:");
        label = label(jdbcUrl);
        HikariConfig cfg = new HikariConfig();
        cfg.setPoolName("gpufleet-db");
        cfg.setJdbcUrl(jdbcUrl);
        if (user != null) cfg.setUsername(user);
        if (password != null) cfg.setPassword(password);
        cfg.setAutoCommit(false);
        cfg.setMaximumPoolSize(1);
        cfg.setMinimumIdle(1);
        cfg.setConnectionTimeout(CONNECT_TIMEOUT_MS);
        cfg.setValidationTimeout(1000);
        if (sqlite) {
            // per-connection settings, applied by the driver to every connection it opens
            cfg.addDataSourceProperty("journal_mode", "WAL");
            cfg.addDataSourceProperty("synchronous", "FULL");
            cfg.addDataSourceProperty("foreign_keys", "true");
            cfg.addDataSourceProperty("busy_timeout", "5000");
            cfg.setMaxLifetime(0); // a file does not go away: keep the one connection for good
        } else {
            // defaults for what the URL does not set: a dead peer is noticed instead of waited on for good
            cfg.addDataSourceProperty("connectTimeout", "5");
            cfg.addDataSourceProperty("socketTimeout", "120");
            cfg.addDataSourceProperty("tcpKeepAlive", "true");
        }
        try {
            pool = new HikariDataSource(cfg);
        } catch (HikariPool.PoolInitializationException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            throw new StoreException("cannot open database " + jdbcUrl + ": " + cause.getMessage(), cause);
        }
        try (Connection c = pool.getConnection()) {
            conn = c;
            migrate();
        } catch (SQLException e) {
            pool.close();
            throw new StoreException("cannot open database " + jdbcUrl + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            pool.close();
            throw e;
        } finally {
            conn = null;
        }
    }

    /** The database as messages name it: {@code PostgreSQL at host:port/db} or {@code SQLite database <file>}. */
    static String label(String jdbcUrl) {
        if (jdbcUrl.startsWith("jdbc:sqlite:")) return "SQLite database " + jdbcUrl.substring("jdbc:sqlite:".length());
        String rest = jdbcUrl.replaceFirst("^jdbc:postgresql://", "");
        int q = rest.indexOf('?');
        if (q >= 0) rest = rest.substring(0, q);
        return "PostgreSQL at " + rest.replaceFirst("^[^@/]*@", "");
    }

    // ---- migrations ----------------------------------------------------------------------------

    private void migrate() throws SQLException {
        // controllers sharing one PostgreSQL database may start together: one migrates, the others wait and
        // then find nothing left to do (a session lock, released at the end or when the session dies)
        if (!sqlite) try (Statement s = conn.createStatement()) {
            s.execute("SELECT pg_advisory_lock(" + MIGRATION_LOCK + ")");
        }
        try {
            migrateLocked();
        } finally {
            if (!sqlite) try (Statement s = conn.createStatement()) {
                s.execute("SELECT pg_advisory_unlock(" + MIGRATION_LOCK + ")");
                conn.commit();
            }
        }
    }

    /** The advisory lock key that serialises migrations ("gpufleet" in ASCII, read as a number). */
    static final long MIGRATION_LOCK = 0x6770_7566_6c65_6574L;

    private void migrateLocked() throws SQLException {
        try (Statement s = conn.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, "
                    + "description TEXT NOT NULL, applied_at TEXT NOT NULL)");
        }
        conn.commit();
        // by set, not by the highest number: a migration numbered below one already applied (branches
        // that merged in another order) is still applied
        java.util.Set<Integer> applied = new java.util.HashSet<>();
        try (Statement s = conn.createStatement(); ResultSet rs = s.executeQuery("SELECT version FROM schema_version")) {
            while (rs.next()) applied.add(rs.getInt(1));
        }
        conn.commit();
        for (String file : MIGRATIONS) {
            int version = Integer.parseInt(file.substring(1, file.indexOf("__")));
            if (applied.contains(version)) continue;
            String description = file.substring(file.indexOf("__") + 2, file.lastIndexOf('.')).replace('_', ' ');
            try (Statement s = conn.createStatement()) {
                for (String sql : statements(readMigration(file))) s.execute(sql);
                try (PreparedStatement p = conn.prepareStatement(
                        "INSERT INTO schema_version (version, description, applied_at) VALUES (?, ?, ?)")) {
                    p.setInt(1, version);
                    p.setString(2, description);
                    p.setString(3, java.time.Instant.now().toString());
                    p.executeUpdate();
                }
                conn.commit();
            } catch (SQLException e) {
                conn.rollback();
                throw new SQLException("migration " + file + " failed: " + e.getMessage(), e);
            }
        }
    }

    private int currentVersion() throws SQLException {
        try (Statement s = conn.createStatement();
             ResultSet rs = s.executeQuery("SELECT COALESCE(MAX(version), 0) FROM schema_version")) {
            rs.next();
            int v = rs.getInt(1);
            conn.commit();
            return v;
        }
    }

    private static String readMigration(String file) {
        try (InputStream in = SqlStore.class.getResourceAsStream("/db/migration/" + file)) {
            if (in == null) throw new IllegalStateException("migration " + file + " is missing from the classpath");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Splits a script on semicolons at line ends, dropping {@code --} comment lines. */
    static List<String> statements(String script) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        for (String line : script.split("\n")) {
            String t = line.strip();
            if (t.startsWith("--") || t.isEmpty()) continue;
            cur.append(line).append('\n');
            if (t.endsWith(";")) {
                String sql = cur.toString().strip();
                out.add(sql.substring(0, sql.length() - 1));
                cur.setLength(0);
            }
        }
        if (!cur.toString().isBlank()) out.add(cur.toString().strip());
        return out;
    }

    @Override
    public synchronized int schemaVersion() {
        return tx(this::currentVersion);
    }

    // ---- hosts ---------------------------------------------------------------------------------

    @Override
    public synchronized HostRecord registerHost(Registration r, String address, double now) {
        return tx(() -> {
            long id = nextId("hosts");
            try (PreparedStatement p = conn.prepareStatement("""
                    INSERT INTO hosts (id, name, rack, zone, gpus, status, last_heartbeat, generation, registered_at,
                        address, gpu_info, incarnation)
                    VALUES (?, ?, ?, ?, ?, 'UP', ?, 1, ?, ?, ?, ?)
                    ON CONFLICT (name) DO UPDATE SET rack = excluded.rack, zone = excluded.zone,
                        gpus = excluded.gpus, last_heartbeat = excluded.last_heartbeat,
                        address = excluded.address, gpu_info = excluded.gpu_info,
                        status = CASE WHEN hosts.status <> 'DOWN' THEN hosts.status
                            WHEN hosts.quarantine IS NULL THEN 'UP' ELSE 'DRAINING' END,
                        status_reason = CASE WHEN hosts.status <> 'DOWN' THEN hosts.status_reason
                            ELSE COALESCE(hosts.quarantine, '') END,
                        incarnation = excluded.incarnation,
                        generation = CASE WHEN hosts.incarnation IS NOT NULL AND hosts.incarnation = excluded.incarnation
                            THEN hosts.generation ELSE hosts.generation + 1 END""")) {
                p.setLong(1, id);
                p.setString(2, r.name());
                p.setString(3, r.rack());
                p.setString(4, r.zone());
                p.setInt(5, r.gpus());
                p.setDouble(6, now);
                p.setDouble(7, now);
                p.setString(8, address);
                p.setString(9, JSON.writeValueAsString(r.gpuInfo()));
                p.setString(10, r.incarnation());
                p.executeUpdate();
            }
            return queryHosts("SELECT * FROM hosts WHERE name = ?", r.name()).getFirst();
        });
    }

    @Override
    public synchronized void setHostStatus(long hostId, HostStatus status, String reason, List<Integer> unhealthyGpus) {
        tx(() -> {
            try (PreparedStatement p = conn.prepareStatement(
                    "UPDATE hosts SET status = ?, status_reason = ?, unhealthy_gpus = ? WHERE id = ?")) {
                p.setString(1, status.name());
                p.setString(2, reason == null ? "" : reason);
                p.setString(3, JSON.writeValueAsString(unhealthyGpus == null ? List.of() : unhealthyGpus));
                p.setLong(4, hostId);
                if (p.executeUpdate() != 1) throw new StoreException("no host " + hostId, null);
            }
            return null;
        });
    }

    @Override
    public synchronized List<HostRecord> hosts() {
        return tx(() -> queryHosts("SELECT * FROM hosts ORDER BY id"));
    }

    @Override
    public synchronized Optional<HostRecord> host(long id) {
        return tx(() -> queryHosts("SELECT * FROM hosts WHERE id = ?", id).stream().findFirst());
    }

    @Override
    public synchronized Optional<HostRecord> hostByName(String name) {
        return tx(() -> queryHosts("SELECT * FROM hosts WHERE name = ?", name).stream().findFirst());
    }

    private List<HostRecord> queryHosts(String sql, Object... args) throws SQLException {
        try (PreparedStatement p = prepare(sql, args); ResultSet rs = p.executeQuery()) {
            List<HostRecord> out = new ArrayList<>();
            while (rs.next())
                out.add(new HostRecord(rs.getLong("id"), rs.getString("name"), rs.getString("rack"),
                        rs.getString("zone"), rs.getInt("gpus"), HostStatus.valueOf(rs.getString("status")),
                        null, rs.getLong("generation"), rs.getString("address"),
                        JSON.readValue(rs.getString("gpu_info"), GPUS), rs.getString("status_reason"),
                        JSON.readValue(rs.getString("unhealthy_gpus"), INTS), rs.getString("quarantine")));
            return out;
        }
    }

    @Override
    public synchronized void recordHostFailure(long hostId, double time, String cause, double forgetBefore) {
        tx(() -> {
            try (PreparedStatement p = prepare("DELETE FROM host_failures WHERE host_id = ? AND time <= ?", hostId,
                    forgetBefore)) {
                p.executeUpdate();
            }
            try (PreparedStatement p = prepare("INSERT INTO host_failures (host_id, time, cause) VALUES (?, ?, ?)",
                    hostId, time, cause == null ? "" : cause)) {
                p.executeUpdate();
            }
            return null;
        });
    }

    @Override
    public synchronized Double firstRegistration() {
        return tx(() -> {
            try (PreparedStatement p = prepare("SELECT MIN(registered_at) FROM hosts"); ResultSet rs = p.executeQuery()) {
                if (!rs.next()) return null;
                double t = rs.getDouble(1);
                return rs.wasNull() ? null : t;
            }
        });
    }

    @Override
    public synchronized List<HostFailure> hostFailuresSince(double since) {
        return tx(() -> {
            try (PreparedStatement p = prepare("SELECT host_id, time, cause FROM host_failures WHERE time > ? ORDER BY time",
                    since); ResultSet rs = p.executeQuery()) {
                List<HostFailure> out = new ArrayList<>();
                while (rs.next()) out.add(new HostFailure(rs.getLong(1), rs.getDouble(2), rs.getString(3)));
                return out;
            }
        });
    }

    @Override
    public synchronized void setQuarantine(long hostId, String reason) {
        tx(() -> {
            try (PreparedStatement p = conn.prepareStatement("UPDATE hosts SET quarantine = ? WHERE id = ?")) {
                p.setString(1, reason);
                p.setLong(2, hostId);
                if (p.executeUpdate() != 1) throw new StoreException("no host " + hostId, null);
            }
            if (reason != null)
                try (PreparedStatement p = prepare("DELETE FROM host_failures WHERE host_id = ?", hostId)) {
                    p.executeUpdate();
                }
            return null;
        });
    }

    // ---- teams ---------------------------------------------------------------------------------

    @Override
    public synchronized TeamRecord putTeam(String name, Integer quotaGpus) {
        return tx(() -> {
            try (PreparedStatement p = conn.prepareStatement("""
                    INSERT INTO teams (name, quota_gpus) VALUES (?, ?)
                    ON CONFLICT (name) DO UPDATE SET quota_gpus = excluded.quota_gpus""")) {
                p.setString(1, name);
                if (quotaGpus == null) p.setNull(2, java.sql.Types.INTEGER);
                else p.setInt(2, quotaGpus);
                p.executeUpdate();
            }
            return new TeamRecord(name, quotaGpus);
        });
    }

    @Override
    public synchronized List<TeamRecord> teams() {
        return tx(() -> {
            try (PreparedStatement p = conn.prepareStatement("SELECT name, quota_gpus FROM teams");
                 ResultSet rs = p.executeQuery()) {
                List<TeamRecord> out = new ArrayList<>();
                while (rs.next()) {
                    String name = rs.getString(1);
                    int q = rs.getInt(2);
                    out.add(new TeamRecord(name, rs.wasNull() ? null : q));
                }
                // not ORDER BY: PostgreSQL sorts text by the database's collation (often linguistic: "b"
                // before "B" before "c"), SQLite by code point; sorting here gives one order on both
                out.sort(java.util.Comparator.comparing(TeamRecord::name));
                return out;
            }
        });
    }

    // ---- jobs ----------------------------------------------------------------------------------

    @Override
    public synchronized JobRecord insertJob(NewJob j, double now, String checkpointRoot) {
        return tx(() -> {
            long id = nextId("jobs");
            String checkpointDir = j.checkpointDir() != null || checkpointRoot == null ? j.checkpointDir()
                    : checkpointRoot + (checkpointRoot.endsWith("/") ? "" : "/") + id;
            try (PreparedStatement p = conn.prepareStatement("""
                    INSERT INTO jobs (id, name, team, gpus, tp, pp, cp, priority, state, submit_time, command,
                        max_restarts, checkpoint_dir, restarts, reason, placement, generation, updated_time,
                        time_limit_seconds)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'PENDING', ?, ?, ?, ?, 0, 'submitted', NULL, 0, ?, ?)""")) {
                p.setLong(1, id);
                p.setString(2, j.name());
                p.setString(3, j.team());
                p.setInt(4, j.gpus());
                p.setInt(5, j.tp());
                p.setInt(6, j.pp());
                p.setInt(7, j.cp());
                p.setInt(8, j.priority());
                p.setDouble(9, now);
                p.setString(10, JSON.writeValueAsString(j.command()));
                p.setInt(11, j.maxRestarts());
                p.setString(12, checkpointDir);
                p.setDouble(13, now);
                if (j.timeLimitSeconds() == null) p.setNull(14, java.sql.Types.BIGINT);
                else p.setLong(14, j.timeLimitSeconds());
                p.executeUpdate();
            }
            addEvent(id, now, "SUBMITTED", j.gpus() + " GPUs for team " + j.team());
            return queryJobs("SELECT * FROM jobs WHERE id = ?", id).getFirst();
        });
    }

    @Override
    public synchronized List<JobRecord> jobs(JobState state, String team) {
        StringBuilder sql = new StringBuilder("SELECT * FROM jobs WHERE 1 = 1");
        List<Object> args = new ArrayList<>();
        if (state != null) {
            sql.append(" AND state = ?");
            args.add(state.name());
        }
        if (team != null) {
            sql.append(" AND team = ?");
            args.add(team);
        }
        sql.append(" ORDER BY id");
        return tx(() -> queryJobs(sql.toString(), args.toArray()));
    }

    @Override
    public synchronized List<JobRecord> liveJobs() {
        return tx(() -> queryJobs("SELECT * FROM jobs WHERE state NOT IN ('COMPLETED', 'FAILED', 'CANCELLED') ORDER BY id"));
    }

    @Override
    public synchronized JobTotals jobTotals() {
        return tx(() -> {
            Map<JobState, Integer> byState = new java.util.EnumMap<>(JobState.class);
            try (PreparedStatement p = prepare("SELECT state, COUNT(*) FROM jobs GROUP BY state"); ResultSet rs = p.executeQuery()) {
                while (rs.next()) byState.put(JobState.valueOf(rs.getString(1)), rs.getInt(2));
            }
            Map<String, Double> ended = new java.util.HashMap<>();
            try (PreparedStatement p = prepare("SELECT team, SUM(gpus * run_seconds) FROM jobs GROUP BY team");
                 ResultSet rs = p.executeQuery()) {
                while (rs.next()) ended.put(rs.getString(1), rs.getDouble(2));
            }
            return new JobTotals(byState, ended);
        });
    }

    @Override
    public synchronized Optional<JobRecord> job(long id) {
        return tx(() -> queryJobs("SELECT * FROM jobs WHERE id = ?", id).stream().findFirst());
    }

    @Override
    public synchronized List<JobEvent> events(long jobId) {
        return tx(() -> {
            try (PreparedStatement p = prepare("SELECT * FROM job_events WHERE job_id = ? ORDER BY seq", jobId);
                 ResultSet rs = p.executeQuery()) {
                List<JobEvent> out = new ArrayList<>();
                while (rs.next())
                    out.add(new JobEvent(rs.getLong("job_id"), rs.getInt("seq"), rs.getDouble("time"),
                            rs.getString("kind"), rs.getString("detail")));
                return out;
            }
        });
    }

    @Override
    public synchronized void apply(List<JobChange> changes, double now) {
        if (changes.isEmpty()) return;
        tx(() -> {
            for (JobChange c : changes) {
                if (c.state() == null) {
                    try (PreparedStatement p = prepare("UPDATE jobs SET reason = ?, updated_time = ? WHERE id = ?",
                            c.reason(), now, c.jobId())) {
                        if (p.executeUpdate() != 1) throw new StoreException("no job " + c.jobId(), null);
                    }
                    continue;
                }
                boolean running = c.state() == JobState.RUNNING;
                boolean terminal = c.state().isTerminal();
                JobChange.Accounting t = c.time();
                String placement = running ? JSON.writeValueAsString(c.placement()) : null;
                // a start ends any wait after an interruption: that wait is lost time
                try (PreparedStatement p = prepare("""
                        UPDATE jobs SET state = ?, placement = ?, reason = ?, generation = generation + 1,
                            start_time = CASE WHEN ? = 1 THEN ? ELSE start_time END,
                            first_start_time = CASE WHEN ? = 1 AND first_start_time IS NULL THEN ? ELSE first_start_time END,
                            lost_seconds = lost_seconds + ?
                                + CASE WHEN ? = 1 AND interrupted_at IS NOT NULL THEN ? - interrupted_at ELSE 0 END,
                            interrupted_at = CASE WHEN ? = 1 THEN ? WHEN ? = 1 THEN NULL ELSE interrupted_at END,
                            run_seconds = run_seconds + ?,
                            attained_gpu_seconds = attained_gpu_seconds + CAST(? AS DOUBLE PRECISION) * gpus,
                            lost_work_seconds = lost_work_seconds + ?,
                            estimated_end = ?,
                            restarts = restarts + ?,
                            last_checkpoint = CASE WHEN ? = 1 THEN ? ELSE last_checkpoint END,
                            end_time = CASE WHEN ? = 1 THEN ? ELSE end_time END,
                            retry_at = ?,
                            quick_failures = CASE WHEN ? = 1 THEN ? ELSE quick_failures END,
                            updated_time = ?
                        WHERE id = ? AND state IN (""" + sources(c.state()) + ")", c.state().name(), placement, c.reason() == null ? "" : c.reason(),
                        running ? 1 : 0, now, running ? 1 : 0, now,
                        t.lostSeconds(), running ? 1 : 0, now,
                        t.interrupted() ? 1 : 0, now, running || terminal ? 1 : 0,
                        t.runSeconds(), t.runSeconds(), t.lostSeconds(),
                        running && c.estimatedEnd() != null && Double.isFinite(c.estimatedEnd()) ? c.estimatedEnd() : null,
                        t.restarts(),
                        t.checkpoint() != null ? 1 : 0, t.checkpoint() == null ? 0.0 : t.checkpoint(),
                        terminal ? 1 : 0, now, t.interrupted() ? t.retryAt() : null,
                        t.quickFailures() != null ? 1 : 0, t.quickFailures() == null ? 0 : t.quickFailures(),
                        now, c.jobId())) {
                    if (p.executeUpdate() != 1) throw refused(c);
                }
                if (running) recordHosts(c);
                addEvent(c.jobId(), now, c.eventKind(), c.eventDetail() == null ? "" : c.eventDetail());
            }
            return null;
        });
    }

    /** The states a job may reach {@code to} from ({@link JobState#canMoveTo}), as a SQL list. */
    private static String sources(JobState to) {
        StringBuilder sb = new StringBuilder();
        for (JobState from : JobState.values())
            if (from.canMoveTo(to)) sb.append(sb.isEmpty() ? "" : ", ").append('\'').append(from.name()).append('\'');
        return sb.isEmpty() ? "NULL" : sb.toString();
    }

    /** Why a change matched no row: no such job, or a transition its state does not allow. */
    private StoreException refused(JobChange c) throws SQLException {
        try (PreparedStatement p = prepare("SELECT state FROM jobs WHERE id = ?", c.jobId()); ResultSet rs = p.executeQuery()) {
            if (!rs.next()) return new StoreException("no job " + c.jobId(), null);
            return new IllegalTransitionException(c.jobId(), JobState.valueOf(rs.getString(1)), c.state());
        }
    }

    /** Remembers which hosts the run that starts with this change holds, under the generation it starts at. */
    private void recordHosts(JobChange c) throws SQLException {
        for (String host : c.placement().stream().map(HostGpus::host).distinct().toList())
            try (PreparedStatement p = prepare("""
                    INSERT INTO job_hosts (job_id, generation, host)
                    SELECT id, generation, ? FROM jobs WHERE id = ?
                    ON CONFLICT (job_id, generation, host) DO NOTHING""", host, c.jobId())) {
                p.executeUpdate();
            }
    }

    @Override
    public synchronized boolean ranOn(long jobId, long generation, String host) {
        return tx(() -> {
            try (PreparedStatement p = prepare("SELECT 1 FROM job_hosts WHERE job_id = ? AND generation = ? AND host = ?",
                    jobId, generation, host); ResultSet rs = p.executeQuery()) {
                return rs.next();
            }
        });
    }

    // ---- tokens and the audit log --------------------------------------------------------------

    @Override
    public synchronized void insertToken(TokenRecord t) {
        tx(() -> {
            try (PreparedStatement p = prepare("""
                    INSERT INTO tokens (id, name, role, team, host, hash, created_at, created_by, expires_at, revoked_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""", t.id(), t.name(), t.role(), t.team(), t.host(), t.hash(),
                    t.createdAt(), t.createdBy(), t.expiresAt(), t.revokedAt())) {
                p.executeUpdate();
            }
            return null;
        });
    }

    @Override
    public synchronized List<TokenRecord> tokens() {
        return tx(() -> {
            try (PreparedStatement p = prepare("SELECT * FROM tokens ORDER BY created_at, id"); ResultSet rs = p.executeQuery()) {
                List<TokenRecord> out = new ArrayList<>();
                while (rs.next()) out.add(token(rs));
                return out;
            }
        });
    }

    @Override
    public synchronized java.util.Optional<TokenRecord> token(String id) {
        return tx(() -> {
            try (PreparedStatement p = prepare("SELECT * FROM tokens WHERE id = ?")) {
                p.setString(1, id);
                try (ResultSet rs = p.executeQuery()) {
                    return rs.next() ? java.util.Optional.of(token(rs)) : java.util.Optional.<TokenRecord>empty();
                }
            }
        });
    }

    private static TokenRecord token(ResultSet rs) throws SQLException {
        return new TokenRecord(rs.getString("id"), rs.getString("name"), rs.getString("role"),
                rs.getString("team"), rs.getString("host"), rs.getString("hash"), rs.getDouble("created_at"),
                rs.getString("created_by"), nullableDouble(rs, "expires_at"), nullableDouble(rs, "revoked_at"));
    }

    @Override
    public synchronized boolean revokeToken(String id, double now) {
        return tx(() -> {
            try (PreparedStatement p = prepare("UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                    now, id)) {
                return p.executeUpdate() == 1;
            }
        });
    }

    @Override
    public synchronized AuditEntry audit(AuditEntry e) {
        return tx(() -> {
            long seq;
            try (Statement s = conn.createStatement();
                 ResultSet rs = s.executeQuery("SELECT COALESCE(MAX(seq), 0) + 1 FROM audit_log")) {
                rs.next();
                seq = rs.getLong(1);
            }
            try (PreparedStatement p = prepare("""
                    INSERT INTO audit_log (seq, time, token_id, actor, role, address, action, target, status)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""", seq, e.time(), e.tokenId(), e.actor(), e.role(), e.address(),
                    e.action(), e.target(), e.status())) {
                p.executeUpdate();
            }
            return new AuditEntry(seq, e.time(), e.tokenId(), e.actor(), e.role(), e.address(), e.action(), e.target(),
                    e.status());
        });
    }

    @Override
    public synchronized List<AuditEntry> auditLog(Double since, String actor, int limit) {
        StringBuilder sql = new StringBuilder("SELECT * FROM audit_log WHERE 1 = 1");
        List<Object> args = new ArrayList<>();
        if (since != null) {
            sql.append(" AND time >= ?");
            args.add(since);
        }
        if (actor != null) {
            sql.append(" AND actor = ?");
            args.add(actor);
        }
        sql.append(" ORDER BY seq DESC LIMIT ?");
        args.add(limit);
        return tx(() -> {
            try (PreparedStatement p = prepare(sql.toString(), args.toArray()); ResultSet rs = p.executeQuery()) {
                return oldestFirst(rs);
            }
        });
    }

    @Override
    public synchronized List<AuditEntry> auditOf(String target, int limit) {
        String colon = target + ":", paren = target + " (";
        return tx(() -> {
            try (PreparedStatement p = prepare("""
                    SELECT * FROM audit_log WHERE status >= 200 AND status < 300
                      AND (target = ? OR substr(target, 1, ?) = ? OR substr(target, 1, ?) = ?)
                    ORDER BY seq DESC LIMIT ?""", target, colon.length(), colon, paren.length(), paren, limit);
                 ResultSet rs = p.executeQuery()) {
                return oldestFirst(rs);
            }
        });
    }

    /** Audit rows read newest first (the query's order, so LIMIT keeps the newest), returned oldest first. */
    private static List<AuditEntry> oldestFirst(ResultSet rs) throws SQLException {
        List<AuditEntry> out = new ArrayList<>();
        while (rs.next())
            out.add(new AuditEntry(rs.getLong("seq"), rs.getDouble("time"), rs.getString("token_id"),
                    rs.getString("actor"), rs.getString("role"), rs.getString("address"), rs.getString("action"),
                    rs.getString("target"), rs.getInt("status")));
        java.util.Collections.reverse(out);
        return out;
    }

    private void addEvent(long jobId, double now, String kind, String detail) throws SQLException {
        try (PreparedStatement p = prepare("""
                INSERT INTO job_events (job_id, seq, time, kind, detail)
                SELECT ?, COALESCE(MAX(seq), 0) + 1, ?, ?, ? FROM job_events WHERE job_id = ?""",
                jobId, now, kind, detail, jobId)) {
            p.executeUpdate();
        }
    }

    private List<JobRecord> queryJobs(String sql, Object... args) throws SQLException {
        try (PreparedStatement p = prepare(sql, args); ResultSet rs = p.executeQuery()) {
            List<JobRecord> out = new ArrayList<>();
            while (rs.next()) {
                String placement = rs.getString("placement");
                out.add(new JobRecord(rs.getLong("id"), rs.getString("name"), rs.getString("team"), rs.getInt("gpus"),
                        rs.getInt("tp"), rs.getInt("pp"), rs.getInt("cp"), rs.getInt("priority"),
                        JobState.valueOf(rs.getString("state")), rs.getDouble("submit_time"),
                        JSON.readValue(rs.getString("command"), STRINGS), rs.getInt("max_restarts"),
                        rs.getString("checkpoint_dir"), rs.getInt("restarts"), rs.getString("reason"),
                        placement == null ? List.of() : JSON.readValue(placement, PLACEMENT), rs.getLong("generation"),
                        nullableDouble(rs, "start_time"), nullableDouble(rs, "end_time"),
                        nullableDouble(rs, "first_start_time"), rs.getDouble("run_seconds"),
                        rs.getDouble("lost_seconds"), nullableDouble(rs, "last_checkpoint"),
                        nullableDouble(rs, "interrupted_at"), nullableDouble(rs, "retry_at"), rs.getInt("quick_failures"),
                        nullableLong(rs, "time_limit_seconds"), rs.getDouble("attained_gpu_seconds"),
                        rs.getDouble("lost_work_seconds"), nullableDouble(rs, "estimated_end")));
            }
            return out;
        }
    }

    // ---- plumbing ------------------------------------------------------------------------------

    private long nextId(String table) throws SQLException {
        try (Statement s = conn.createStatement();
             ResultSet rs = s.executeQuery("SELECT COALESCE(MAX(id), 0) + 1 FROM " + table)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private PreparedStatement prepare(String sql, Object... args) throws SQLException {
        PreparedStatement p = conn.prepareStatement(sql);
        for (int i = 0; i < args.length; i++) p.setObject(i + 1, args[i]);
        return p;
    }

    private static Double nullableDouble(ResultSet rs, String col) throws SQLException {
        double v = rs.getDouble(col);
        return rs.wasNull() ? null : v;
    }

    private static Long nullableLong(ResultSet rs, String col) throws SQLException {
        long v = rs.getLong(col);
        return rs.wasNull() ? null : v;
    }

    @FunctionalInterface
    private interface Work<T> {
        T run() throws SQLException;
    }

    /**
     * Runs {@code w} as one transaction: committed if it returns, rolled back if it throws. A connection
     * that broke before the commit was sent took its transaction with it (the database rolls back what a
     * lost session had not committed), so that case is retried once on a new connection: after a restart
     * of the database the pooled connection is dead, and the first call should not pay for it.
     */
    private <T> T tx(Work<T> w) {
        failFastWhileAway();
        for (int attempt = 0; ; attempt++) {
            boolean borrowed = false;
            boolean committing = false;
            try (Connection c = pool.getConnection()) {
                borrowed = true;
                conn = c;
                try {
                    T out = w.run();
                    if (fenceEpoch != UNFENCED) checkFence(c);
                    committing = true;
                    c.commit();
                    awayReason = null;
                    return out;
                } catch (SQLException | RuntimeException e) {
                    try {
                        c.rollback();
                    } catch (SQLException r) {
                        e.addSuppressed(r);
                    }
                    throw e;
                } finally {
                    conn = null;
                }
            } catch (SQLException | RuntimeException e) {
                if (!connectionFailure(e)) {
                    if (e instanceof RuntimeException re) throw re;
                    throw new StoreException("database error: " + e.getMessage(), e);
                }
                if (borrowed && !committing && attempt == 0) continue;
                throw away(e, committing);
            }
        }
    }

    /**
     * From now on every transaction that changed something commits only if the {@code leadership} row
     * still carries {@code epoch} (PostgreSQL only); one that finds another throws {@link NotLeaderException},
     * rolled back, after telling {@code onFenced}. {@link #NOT_LEADING} refuses every change.
     */
    public void fence(long epoch, java.util.function.Consumer<NotLeaderException> onFenced) {
        if (sqlite) throw new IllegalStateException("an SQLite store has one controller and no leadership to fence on");
        this.onFenced = onFenced;
        this.fenceEpoch = epoch;
    }

    /**
     * Checks, inside the transaction and just before its commit, that this controller still leads. Reads
     * pass untouched (no transaction id was assigned: nothing to fence). A write locks the leadership row
     * FOR SHARE: a takeover's UPDATE of that row then waits for this commit, or this check sees the epoch
     * the takeover wrote; either way a commit never lands after a newer leader has read the state.
     */
    private void checkFence(Connection c) throws SQLException {
        long epoch = fenceEpoch;
        try (Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT pg_current_xact_id_if_assigned() IS NOT NULL")) {
            rs.next();
            if (!rs.getBoolean(1)) return;
        }
        try (Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT epoch, address FROM leadership WHERE id = 1 FOR SHARE")) {
            boolean found = rs.next();
            long now = found ? rs.getLong(1) : 0;
            if (epoch != NOT_LEADING && now == epoch) return;
            NotLeaderException e = new NotLeaderException(epoch, now, found ? rs.getString(2) : "");
            onFenced.accept(e);
            throw e;
        }
    }

    private void failFastWhileAway() {
        if (awayReason != null && System.nanoTime() - awayUntil < 0)
            throw new StoreUnavailableException("database unreachable: " + awayReason + "; retry later", null);
    }

    private StoreUnavailableException away(Exception e, boolean committing) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) root = root.getCause();
        awayReason = "cannot reach " + label + " (" + root.getMessage() + ")";
        awayUntil = System.nanoTime() + AWAY_WINDOW_NANOS;
        return new StoreUnavailableException("database unreachable: " + awayReason
                + (committing ? "; the connection broke while committing, so the change may or may not have been applied"
                        : "; nothing was changed")
                + "; retry later", e);
    }

    /**
     * Whether {@code e} says the connection to the database is gone or could not be made (SQLSTATE class
     * 08, PostgreSQL's shutdown states 57P01-57P03), as opposed to the database refusing the statement.
     */
    static boolean connectionFailure(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof SQLTransientConnectionException || t instanceof SQLNonTransientConnectionException
                    || t instanceof SQLRecoverableException)
                return true;
            if (t instanceof SQLException s && s.getSQLState() != null
                    && (s.getSQLState().startsWith("08") || s.getSQLState().matches("57P0[123]")))
                return true;
        }
        return false;
    }

    /** The value of an SQLite {@code PRAGMA} on the store's connection (tests check the settings took). */
    synchronized String pragma(String name) {
        if (!name.matches("[a-z_]+")) throw new IllegalArgumentException("not a pragma name: " + name);
        return tx(() -> {
            try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery("PRAGMA " + name)) {
                return rs.next() ? rs.getString(1) : null;
            }
        });
    }

    @Override
    public synchronized void close() {
        pool.close();
    }
}
