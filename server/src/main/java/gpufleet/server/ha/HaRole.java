package gpufleet.server.ha;

import gpufleet.protocol.ErrorCode;
import gpufleet.server.auth.Tokens;
import gpufleet.server.control.Controller;
import gpufleet.server.store.NotLeaderException;
import gpufleet.server.store.SqlStore;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import tools.jackson.databind.json.JsonMapper;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A controller's part when several share one PostgreSQL database: leader or standby, as {@link Leadership}
 * decides. The leader schedules and commits under the epoch it was elected with. A standby schedules
 * nothing and commits nothing (its store is fenced with an epoch no transaction passes); it answers reads
 * (from the database, and from an in-memory view it rebuilds every {@link #REFRESH}) and answers every
 * change, agents' heartbeats and polls included, with {@code 307} to the leader's address (or {@code 503}
 * while no controller leads). On election it rebuilds its view from the store before it schedules: the
 * old leader's last commit is in it, since the takeover waited for that commit or fenced it out. It skips
 * that rebuild when its last refresh is provably current: the refresh began at a quiet
 * {@link Leadership.Watermark} and the takeover's transaction got the very next id, so nothing was written
 * in between. A standby refreshes as soon as the leader's renewal is late, so that after a leader's death
 * its view is usually current when the lease runs out.
 */
public final class HaRole implements Leadership.Listener, AutoCloseable {
    private static final System.Logger LOG = System.getLogger(HaRole.class.getName());
    private static final JsonMapper JSON = JsonMapper.builder().build();
    /** How often a standby rebuilds its in-memory view from the database. */
    public static final Duration REFRESH = Duration.ofSeconds(5);
    /** The header that names the leader on a redirect and on {@code /healthz}. */
    public static final String LEADER_HEADER = "X-Gpufleet-Leader";
    /**
     * The request attribute set on an agent's heartbeat or poll that reached this standby while no
     * controller may be leading: a {@code CompletableFuture<Boolean>} that completes with true once this
     * controller leads (the call is then answered as the leader's), false once another does or the wait
     * ran out (it is then refused as on any standby). Also set, already true, on an agent's call in the
     * first {@link #SETTLING_MS} after this controller took over, so that it queues with those.
     */
    public static final String ELECTION = "gpufleet.election";
    /**
     * The longest a heartbeat, a submission or a cancellation waits here for an election: a lease, so that
     * a takeover at its end answers it, and well inside the agent's own wait for an answer (10 s) and the
     * CLI's.
     */
    static final long HEARTBEAT_WAIT_MS = Leadership.LEASE.toMillis();
    /** The longest a poll waits here for an election, whatever wait it asked for. */
    static final long POLL_WAIT_MS = 2 * Leadership.LEASE.toMillis();
    /** The changes that wait here for an election (the API runs them once it is decided: Api.afterElection). */
    private static final java.util.regex.Pattern WAITING_CHANGE =
            java.util.regex.Pattern.compile("/api/v1/hosts/[0-9]+/heartbeat|/api/v1/jobs|/api/v1/jobs/[0-9]+/cancel");

    private final Leadership lease;
    private final SqlStore store;
    /** Elections and depositions take effect here, in order, off the lease's thread (a rebuild can be long). */
    private final ExecutorService transitions = Executors.newSingleThreadExecutor(
            r -> Thread.ofPlatform().daemon().name("gpufleet-ha-transitions").unstarted(r));
    private final ScheduledExecutorService refresher = Executors.newSingleThreadScheduledExecutor(
            r -> Thread.ofPlatform().daemon().name("gpufleet-ha-refresh").unstarted(r));
    private volatile Controller controller;
    private volatile Tokens tokens;
    /** True once an election has taken effect (view rebuilt); false from the moment leadership is lost. */
    private volatile boolean leading;
    /** When this controller last took over (System.nanoTime()), for {@link #SETTLING}. */
    private volatile long ledSince;
    /**
     * How long after taking over an agent's heartbeat or poll queues with those that waited for the
     * election (Api's backlog) rather than being run at once: agents whose wait ran out just before the
     * election, or that were between retries, arrive in the same seconds, thousands at a time at 100,000
     * GPUs, and run at once they took the processors from the first submission and cycle as much as the
     * waiting ones did (at 12,500 agents, takeovers where half the fleet arrived that way took 11-13 s
     * instead of 6-7).
     */
    static final long SETTLING_MS = 10_000;
    private static final CompletableFuture<Boolean> SETTLING = CompletableFuture.completedFuture(true);
    /**
     * Where the database's transaction ids stood just before the standby's last complete refresh began, or
     * null. Touched on the transitions thread only.
     */
    private Leadership.Watermark refreshedAt;
    /**
     * Calls waiting here for an election's outcome ({@link #ELECTION}): users' (submissions, cancellations)
     * and agents' apart, so that the few users' go first when an election releases a whole fleet's agents.
     */
    private final java.util.Set<java.util.concurrent.CompletableFuture<Boolean>> usersAwaitingElection =
            java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final java.util.Set<java.util.concurrent.CompletableFuture<Boolean>> agentsAwaitingElection =
            java.util.concurrent.ConcurrentHashMap.newKeySet();

    public HaRole(Leadership lease, SqlStore store) {
        this.lease = lease;
        this.store = store;
        lease.knowsSchema(SqlStore.knownSchemaVersion());
        store.fence(SqlStore.NOT_LEADING, this::fenced);
    }

    /**
     * Joins the election for {@code c}: one round at once (a lone controller leads before it serves), then
     * rounds on the lease's own thread.
     */
    public void begin(Controller c) {
        this.controller = c;
        c.scheduleWhile(this::scheduling);
        lease.listener(this);
        lease.tick();
        awaitTransitions();
        lease.start();
        // on the transitions thread, so that an election sees the refresh before it, complete
        refresher.scheduleWithFixedDelay(this::overdue, REFRESH.toMillis(), REFRESH.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The tokens to read again when another controller may have changed them. */
    public void tokens(Tokens t) {
        this.tokens = t;
    }

    /** Sets the address clients are sent to, when it is known only once the server listens (port 0). */
    public void advertise(String address) {
        if (lease.address().isEmpty()) {
            lease.address(address);
            lease.tick(); // written with the next renewal; a leader writes it now
        }
    }

    public String address() { return lease.address(); }

    /** Whether this controller leads and may schedule and change state now. */
    public boolean scheduling() {
        return leading && lease.leading();
    }

    @Override
    public void elected(long epoch) {
        // before anything is read: commits from here on are checked against this epoch
        store.fence(epoch, this::fenced);
        long xid = lease.takeoverXid();
        transitions.execute(() -> {
            long began = System.nanoTime();
            Leadership.Watermark w = refreshedAt;
            refreshedAt = null;
            // no transaction was running when the last refresh began, and the takeover's got the very next
            // id: nothing was written since, so the view is the database's state and need not be read again
            boolean current = w != null && w.quiet() && w.xmax() == xid;
            try {
                Controller c = controller;
                if (c != null && current) c.takeOver(epoch);
                else if (c != null) c.rebuild(true, epoch);
            } catch (RuntimeException e) {
                // the loop rebuilds again once the database answers; until then nothing commits anyway
                LOG.log(System.Logger.Level.WARNING, "cannot rebuild state after the election: " + e.getMessage());
            }
            long rebuilt = System.nanoTime();
            if (lease.epoch() == epoch) {
                ledSince = System.nanoTime();
                leading = true;
                Controller c = controller;
                // what waited through the election (a gang submitted meanwhile) is placed now, not at the next tick
                if (c != null) c.scheduleNow();
            }
            int users = usersAwaitingElection.size(), agents = agentsAwaitingElection.size();
            settleElection();
            // after the view: the tokens were read at the last refresh, and only those made since are missing
            // (a host that joined in the last seconds is refused for these milliseconds and retries)
            try {
                Tokens t = tokens;
                if (t != null) t.reload();
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "cannot read the tokens after the election: " + e.getMessage());
            }
            if (lease.epoch() == epoch)
                LOG.log(System.Logger.Level.INFO, "leading (epoch " + epoch + "); " + (current
                        ? "the standby's view was current (nothing committed since its last refresh), taken over in "
                        : "state rebuilt from the store in ") + (rebuilt - began) / 1_000_000 + " ms, tokens read in "
                        + (System.nanoTime() - rebuilt) / 1_000_000 + " ms; scheduling; " + users + " users' and " + agents
                        + " agents' calls waited here for the election");
        });
    }

    /** The leader's renewal is late: it may be gone. Refreshing now makes the view current for a takeover. */
    @Override
    public void overdue() {
        try {
            transitions.execute(this::refresh);
        } catch (java.util.concurrent.RejectedExecutionException stopping) {
            // closed meanwhile: no takeover to prepare
        }
    }

    @Override
    public void deposed(long epoch, String why) {
        leading = false;
        store.fence(SqlStore.NOT_LEADING, this::fenced);
        settleElection();
        transitions.execute(this::refresh);
    }

    @Override
    public void leaderChanged(Leadership.Leader now) {
        settleElection();
    }

    /**
     * Gives each agent's call waiting here for an election its outcome, once there is one: this controller
     * leads, or another leads with its lease in force and renewed on time.
     */
    private void settleElection() {
        for (var w : usersAwaitingElection) settle(w);
        for (var w : agentsAwaitingElection) settle(w);
    }

    private void settle(java.util.concurrent.CompletableFuture<Boolean> w) {
        if (scheduling()) w.complete(true);
        else if (!lease.leaderMayBeGone()) w.complete(false);
    }

    /**
     * How long a call that reached this standby may wait here for an election, or 0 when it is to be
     * refused at once: an agent's heartbeat or poll, a submission or a cancellation. While a leader is
     * known to be live the caller is sent there. Otherwise a user's call is answered as soon as there is a
     * leader rather than refused with "retry", and, without
     * this wait, every agent of the fleet would bounce between a dead leader's refused connections and this
     * standby's refusals, about once a second each, for the whole election: at 12,500 agents the standby
     * spent the time it needed to take over on answering them, and each agent only found the new leader
     * after its next pause. Waiting here, each agent's one call is answered as soon as the election is
     * decided, by the new leader itself when it is this controller.
     */
    private long electionWait(Context ctx) {
        if (!lease.leaderMayBeGone() || lease.barred().isPresent()) return 0;
        String path = ctx.path();
        if (ctx.method() == HandlerType.POST && WAITING_CHANGE.matcher(path).matches()) return HEARTBEAT_WAIT_MS;
        if (isPoll(ctx)) {
            try {
                String w = ctx.queryParam("waitMs");
                return w == null ? 0 : Math.min(POLL_WAIT_MS, Math.max(0, Long.parseLong(w)));
            } catch (NumberFormatException bad) {
                return 0; // refused as on any standby; the leader will say what is wrong with it
            }
        }
        return 0;
    }

    private java.util.concurrent.CompletableFuture<Boolean> awaitElection(long waitMs, boolean agent) {
        var w = new java.util.concurrent.CompletableFuture<Boolean>();
        var waiting = agent ? agentsAwaitingElection : usersAwaitingElection;
        waiting.add(w);
        w.whenComplete((x, e) -> waiting.remove(w));
        settle(w); // decided between the caller's look and the registration
        w.completeOnTimeout(false, waitMs, TimeUnit.MILLISECONDS);
        return w;
    }

    /** A commit found another epoch: this controller was replaced while it thought it led. */
    private void fenced(NotLeaderException e) {
        leading = false;
        if (e.heldEpoch() >= 0) lease.lost(e.heldEpoch(), e.currentEpoch(), e.leaderAddress(), "a commit found epoch "
                + e.currentEpoch() + " in the database, not its own " + e.heldEpoch());
    }

    /** A standby's periodic rebuild of its view (and its tokens) from what the leader committed. */
    private void refresh() {
        if (scheduling()) return;
        refreshedAt = null;
        Leadership.Watermark w = lease.watermark().orElse(null);
        try {
            Controller c = controller;
            if (c != null) c.rebuild(false);
            Tokens t = tokens;
            if (t != null) t.reload();
            refreshedAt = w;
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, "standby refresh failed: " + e.getMessage());
        }
    }

    private void awaitTransitions() {
        try {
            transitions.submit(() -> { }).get(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("election did not take effect: " + e, e);
        }
    }

    /** What {@code /healthz} adds: this controller's role, the leader's address and the epoch. */
    public Map<String, Object> status() {
        Map<String, Object> out = new LinkedHashMap<>();
        boolean lead = scheduling();
        Leadership.Leader l = lease.leader();
        out.put("role", lead ? "leader" : "standby");
        out.put("leader", lead ? lease.address() : lease.leaderAddress().orElse(null));
        out.put("epoch", lead ? lease.epoch() : l.epoch());
        out.put("address", lease.address());
        lease.barred().ifPresent(why -> out.put("barred", why));
        return out;
    }

    /**
     * Adds to the HTTP server: changes sent to a standby are refused with a redirect to the leader before
     * anything runs; a change that a deposed leader's store fenced out mid-request is answered the same way.
     */
    public void routes(JavalinConfig config) {
        config.routes.before(this::redirectChanges);
        config.routes.exception(NotLeaderException.class, (e, ctx) -> misdirected(ctx, e));
    }

    private void redirectChanges(Context ctx) {
        if (scheduling()) {
            if (System.nanoTime() - ledSince < SETTLING_MS * 1_000_000 && agentCall(ctx)) {
                drain(ctx); // read now, as for a call that waited: it is run later, off this request's thread
                ctx.attribute(ELECTION, SETTLING);
            }
            return;
        }
        // signing a browser in changes nothing: the dashboard works on a standby too
        if (!ctx.path().startsWith("/api/") || ctx.path().equals("/api/v1/session")) return;
        HandlerType m = ctx.method();
        boolean change = !(m == HandlerType.GET || m == HandlerType.HEAD || m == HandlerType.OPTIONS)
                // an agent's poll for what to run: only the leader's answer counts
                || ctx.path().endsWith("/assignments")
                // job logs are kept by the controller the agents ship them to: the leader
                || ctx.path().matches("/api/v1/jobs/[^/]+/logs/.*");
        if (!change) return;
        long wait = electionWait(ctx);
        if (wait > 0) {
            drain(ctx); // read now: the answer may come after the election, as another controller's
            ctx.attribute(ELECTION, awaitElection(wait, ctx.path().startsWith("/api/v1/hosts/")));
            return;
        }
        throw new NotLeaderException(-1, lease.leader().epoch(), lease.leaderAddress().orElse(""));
    }

    /** An agent's long poll for its assignments. */
    private static boolean isPoll(Context ctx) {
        String path = ctx.path();
        return ctx.method() == HandlerType.GET && path.startsWith("/api/v1/hosts/") && path.endsWith("/assignments");
    }

    /** An agent's heartbeat or long poll. */
    private static boolean agentCall(Context ctx) {
        String path = ctx.path();
        return isPoll(ctx) || ctx.method() == HandlerType.POST && path.startsWith("/api/v1/hosts/") && path.endsWith("/heartbeat");
    }

    private void misdirected(Context ctx, NotLeaderException e) {
        try {
            refuse(ctx, e);
        } catch (RuntimeException gone) {
            // a call that waited here for an election may have been given up by its sender meanwhile: its
            // request is gone, and there is nobody to answer
            if (ctx.attribute(ELECTION) == null) throw gone;
        }
    }

    private void refuse(Context ctx, NotLeaderException e) {
        drain(ctx);
        Optional<String> leader = (e.leaderAddress().isEmpty() ? lease.leaderAddress() : Optional.of(e.leaderAddress()))
                .filter(a -> !a.equals(lease.address()));
        Map<String, Object> error = new LinkedHashMap<>();
        error.put("code", (leader.isPresent() ? ErrorCode.NOT_LEADER : ErrorCode.UNAVAILABLE).wire());
        error.put("field", null);
        if (leader.isPresent()) {
            String q = ctx.queryString();
            ctx.status(307).header("Location", leader.get() + ctx.path() + (q == null || q.isEmpty() ? "" : "?" + q))
                    .header(LEADER_HEADER, leader.get());
            error.put("message", "this controller is a standby; the leader is at " + leader.get());
        } else {
            ctx.status(503).header("Retry-After", "1");
            error.put("message", "this controller is a standby and no controller leads at the moment (an election"
                    + " is under way); retry in a second");
        }
        ctx.contentType("application/json").result(JSON.writeValueAsString(Map.of("error", error)));
    }

    /** Reads a refused request's body, so that its sender sees the answer rather than a broken pipe. */
    private static void drain(Context ctx) {
        long n = ctx.contentLength();
        if (n <= 0 || n > (1 << 20)) return;
        try {
            ctx.bodyAsBytes();
        } catch (RuntimeException gone) {
            // the answer goes out anyway
        }
    }

    /** Stops, giving the lease up so that a standby takes over at once. */
    @Override
    public void close() {
        leading = false;
        for (var w : usersAwaitingElection) w.complete(false);
        for (var w : agentsAwaitingElection) w.complete(false);
        refresher.shutdownNow();
        lease.close();
        transitions.shutdownNow();
    }

    /** Stops as a killed process would: the lease is left to run out. */
    public void crash() {
        leading = false;
        refresher.shutdownNow();
        lease.crash();
        transitions.shutdownNow();
    }
}
