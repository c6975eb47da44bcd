package gpufleet.server.api;

import gpufleet.core.lifecycle.StartForecast;

import gpufleet.core.job.JobState;
import gpufleet.core.state.HostStatus;
import gpufleet.protocol.DrainRequest;
import gpufleet.protocol.ErrorBody;
import gpufleet.protocol.ErrorCode;
import gpufleet.protocol.GpuTelemetry;
import gpufleet.protocol.Heartbeat;
import gpufleet.protocol.InvalidField;
import gpufleet.protocol.JobRequest;
import gpufleet.protocol.Registration;
import gpufleet.protocol.ResumeRequest;
import gpufleet.protocol.TeamRequest;
import gpufleet.server.auth.Access;
import gpufleet.server.auth.Guard;
import gpufleet.server.auth.Principal;
import gpufleet.server.auth.Role;
import gpufleet.server.auth.Tokens;
import gpufleet.server.control.Controller;
import gpufleet.server.control.RequestError;
import gpufleet.server.ha.AgentBacklog;
import gpufleet.server.ha.HaRole;
import gpufleet.server.logs.LogStore;
import gpufleet.server.store.HostRecord;
import gpufleet.server.store.JobRecord;
import gpufleet.server.store.NewJob;
import gpufleet.server.store.NotLeaderException;
import gpufleet.server.store.StoreUnavailableException;
import gpufleet.server.view.TelemetryBook;
import io.javalin.Javalin;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The HTTP API under {@code /api/v1}. Handlers parse and validate, call the {@link Controller}, and
 * answer JSON. Every refusal is {@code {"error": {"code": ..., "message": ..., "field": ...}}} with a
 * 4xx status and an {@link ErrorCode} clients act on; an unexpected failure is a 500 ({@code internal})
 * with a generic message, never a stack trace.
 *
 * <p>Each route declares who may call it ({@link Access}); {@link Guard} checks that before the
 * handler runs, and the handlers check what needs the object (the job's team, the host's credential).
 */
public final class Api {
    public static final long MAX_BODY_BYTES = 1 << 20;
    /** Request attribute set once an error body is written, so the 404 fallback leaves it alone. */
    private static final String ANSWERED = "gpufleet.answered";
    private static final System.Logger LOG = System.getLogger(Api.class.getName());
    static final JsonMapper OUT = JsonMapper.builder().build();
    /** The longest an assignments poll may wait. */
    static final long MAX_WAIT_MS = 60_000;

    private final TelemetryBook telemetry;
    private final Controller controller;
    private final LogStore logs;
    private final Guard guard;
    private final String openapi;
    /** (job, generation, host) triples known to be placements: history never changes, so a hit stays true. */
    private final Set<String> ranOn = ConcurrentHashMap.newKeySet();

    /** What {@code /healthz} says of this controller's part: the only one leads; one of several says which. */
    private volatile java.util.function.Supplier<Map<String, Object>> role = () -> Map.of("role", "leader");

    /** Has {@code /healthz} report {@code role}'s fields (leader or standby, who leads). */
    public void reportRole(java.util.function.Supplier<Map<String, Object>> role) {
        this.role = role;
    }

    public Api(Controller controller, LogStore logs, Guard guard) {
        this(controller, logs, guard, new TelemetryBook());
    }

    /** With {@code telemetry}: where the GPU readings that come with heartbeats go (the dashboard's host panel reads them). */
    public Api(Controller controller, LogStore logs, Guard guard, TelemetryBook telemetry) {
        this.telemetry = telemetry;
        this.controller = controller;
        this.logs = logs;
        this.guard = guard;
        controller.onAssignmentsChanged(backlog::changed);
        try (InputStream in = Api.class.getResourceAsStream("/gpufleet/server/openapi.json")) {
            if (in == null) throw new IllegalStateException("openapi.json is missing from the classpath");
            this.openapi = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Whether Jetty has recycled the call's request (the server stopped under it). */
    static boolean requestGone(Context ctx) {
        try {
            ctx.req().getRequestURI();
            return false;
        } catch (RuntimeException recycled) {
            return true;
        }
    }

    /** Stops carrying on calls that waited for an election: the server is stopping. */
    public void close() {
        backlog.close();
    }

    /** A Javalin server with the routes, not started. */
    public Javalin create() {
        return create(config -> { });
    }

    /**
     * A Javalin server with the routes and those {@code more} declares (the dashboard, metrics, an HTTPS
     * connector), not started. Routes {@code more} adds are guarded like these: a route declared without
     * an {@link Access} is for admins only.
     */
    public Javalin create(Consumer<JavalinConfig> more) {
        return Javalin.create(config -> {
            config.http.maxRequestSize = MAX_BODY_BYTES;
            // DELETE /jobs is a wrong method (method_not_allowed), not a wrong path (no_such_route)
            config.http.prefer405over404 = true;
            // long polls end on their own after waitMs; the container must not cut them short
            config.http.asyncTimeout = MAX_WAIT_MS + 10_000;
            // Jetty gives every connection its own header-field cache, a 96 KB trie; with one long poll
            // open per agent that is 1.2 GB at 12,500 agents, and the collector thrashed long before.
            // Parsing the few headers an agent sends costs far less than keeping them cached.
            config.jetty.modifyHttpConfiguration(h -> h.setHeaderCacheSize(0));
            // Javalin copies every response body through a fresh buffer of this size (Jetty's 32 KB output
            // buffer by default): 32 KB of garbage per heartbeat answer of a few hundred bytes
            config.http.responseBufferSize = 4096;
            config.startup.showJavalinBanner = false;
            config.jetty.modifyServer(server -> server.setErrorHandler(new JsonErrorHandler()));
            var r = config.routes;
            r.before(guard::authenticate);
            r.beforeMatched(guard::authorize);
            r.afterMatched(guard::audit);
            r.get("/api/v1/healthz", ctx -> {
                Map<String, Object> out = new LinkedHashMap<>();
                out.put("status", "ok");
                out.put("schemaVersion", controller.store().schemaVersion());
                out.putAll(role.get());
                json(ctx, 200, out);
            }, Access.PUBLIC);
            r.get("/api/v1/openapi.json", ctx -> ctx.status(200).contentType("application/json").result(openapi),
                    Access.READ);
            r.post("/api/v1/jobs", afterElection(this::submit), Access.TEAM);
            r.get("/api/v1/jobs", this::listJobs, Access.READ);
            r.get("/api/v1/jobs/{id}", this::getJob, Access.READ);
            r.get("/api/v1/queue/forecast", this::forecast, Access.READ);
            r.post("/api/v1/jobs/{id}/cancel", afterElection(this::cancel), Access.TEAM);
            r.post("/api/v1/jobs/{id}/logs/{rank}", this::appendLog, Access.AGENT);
            r.get("/api/v1/jobs/{id}/logs/{rank}", this::readLog, Access.TEAM);
            r.post("/api/v1/hosts/register", this::register, Access.JOIN);
            r.post("/api/v1/hosts/{id}/heartbeat", afterElection(this::heartbeat), Access.AGENT);
            r.get("/api/v1/hosts/{id}/assignments", this::assignments, Access.AGENT);
            r.get("/api/v1/hosts", ctx -> json(ctx, 200, Views.hosts(controller.hosts())), Access.READ);
            r.post("/api/v1/hosts/{name}/drain", this::drain, Access.ADMIN);
            r.post("/api/v1/hosts/{name}/resume", this::resume, Access.ADMIN);
            r.get("/api/v1/teams", ctx -> json(ctx, 200, controller.store().teams().stream().map(Views::team).toList()), Access.READ);
            r.put("/api/v1/teams/{name}", this::putTeam, Access.ADMIN);
            new AccessApi(guard, controller).routes(r);

            r.exception(RequestError.class, (e, ctx) -> {
                if (e.status() != 429) drainBody(ctx);
                error(ctx, e.status(), e.code(), e.getMessage(), e.field());
            });
            // a request type's constructor refusing a value a handler built from the path or the query
            r.exception(InvalidField.class, (e, ctx) -> {
                drainBody(ctx);
                error(ctx, 400, e.code(), e.getMessage(), e.field());
            });
            // Javalin's own refusals: a path no route has (404), a method the path does not take (405),
            // a body over maxRequestSize (413); the API's handlers throw RequestError instead
            r.exception(HttpResponseException.class, (e, ctx) -> error(ctx, e.getStatus(),
                    e.getStatus() == 404 ? ErrorCode.NO_SUCH_ROUTE : ErrorCode.forStatus(e.getStatus()),
                    e.getStatus() == 413 ? "request body larger than " + MAX_BODY_BYTES + " bytes" : e.getMessage(),
                    e.getStatus() == 413 ? "body" : null));
            r.exception(Exception.class, (e, ctx) -> {
                // a call answered after the server stopped (a long poll the stop woke, an agent's call carried
                // on after an election): its request is gone, and there is nobody to tell
                if (requestGone(ctx)) return;
                StoreUnavailableException away = storeAway(e);
                if (away != null) {
                    // not a fault of the request or of this controller: the client retries, the view is rebuilt
                    // once the database answers again
                    controller.storeUnavailable(away);
                    drainBody(ctx);
                    ctx.header("Retry-After", "2");
                    error(ctx, 503, ErrorCode.UNAVAILABLE, away.getMessage(), null);
                    return;
                }
                LOG.log(System.Logger.Level.ERROR, "request " + ctx.method() + " " + ctx.path() + " failed", e);
                error(ctx, 500, ErrorCode.INTERNAL, "internal error", null);
            });
            r.error(404, ctx -> {
                if (ctx.attribute(ANSWERED) == null)
                    error(ctx, 404, ErrorCode.NO_SUCH_ROUTE, "no such route: " + ctx.method() + " " + ctx.path(), null);
            });
            r.error(405, ctx -> error(ctx, 405, ErrorCode.METHOD_NOT_ALLOWED, "method not allowed", null));
            more.accept(config);
        });
    }

    private void submit(Context ctx) {
        requireSmallBody(ctx);
        JobRequest req = Body.read(ctx.body(), JobRequest.class);
        Principal p = Guard.principal(ctx);
        // a member's jobs are its team's unless it says otherwise (and it may not say otherwise)
        String team = req.team() != null ? req.team() : p.role() == Role.MEMBER && !p.anyone() ? p.team() : "default";
        int gpus = req.gpus();
        Guard.forbid(p.mayActFor(team), who(p) + " cannot submit jobs for team " + team);
        JobRecord rec = controller.submit(new NewJob(req.name(), team, gpus, req.tp(), req.pp(), req.cp(), req.priority(),
                req.command(), req.maxRestarts(), req.checkpointDir(), req.timeLimitSeconds()));
        Guard.target(ctx, "job " + rec.id() + " (team " + team + ", " + gpus + " GPUs)");
        Map<String, Object> out = jobJson(rec);
        out.put("warnings", Controller.survivesAHost(rec) ? List.of() : List.of(NO_SHARED_CHECKPOINTS));
        json(ctx, 201, out);
    }

    /** Said at submit when a job's checkpoints would live on its hosts' local disks. */
    static final String NO_SHARED_CHECKPOINTS = "no checkpoint location survives a host: this job gave no"
            + " --checkpoint-dir and the controller has no --checkpoint-root, so its ranks checkpoint to their hosts'"
            + " local disks; after a failure it counts all work since its run began as lost";

    private void cancel(Context ctx) {
        long id = id(ctx, "id");
        JobRecord job = controller.store().job(id).orElseThrow(() -> RequestError.notFound("id", "no job " + id));
        Principal p = Guard.principal(ctx);
        Guard.forbid(p.mayActFor(job.team()), who(p) + " cannot cancel job " + id + " of team " + job.team());
        Guard.target(ctx, "job " + id);
        json(ctx, 200, jobJson(controller.cancel(id)));
    }

    /**
     * A job as the API shows it: the stored record, with the code of its waiting reason next to the
     * reason ({@code reasonCode}: the scheduler's status, null when it does not wait or no cycle has said
     * why yet).
     */
    private Map<String, Object> jobJson(JobRecord rec) {
        String code = rec.state().isWaiting() ? controller.reasonCode(rec.id()) : null;
        @SuppressWarnings("unchecked")
        Map<String, Object> out = new LinkedHashMap<>(OUT.convertValue(Views.job(rec, code), Map.class));
        return out;
    }

    /** How a refusal names the caller: its role, and a member's team. */
    private static String who(Principal p) {
        return Guard.article(p.role()) + (p.team() != null ? " of team " + p.team() : "");
    }

    private void listJobs(Context ctx) {
        JobState state = null;
        String s = ctx.queryParam("state");
        if (s != null) {
            try {
                state = JobState.valueOf(s.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw RequestError.badRequest("state", "unknown state '" + s + "'");
            }
        }
        List<JobRecord> jobs = controller.store().jobs(state, text(ctx, "team", 128));
        if (jobs.stream().noneMatch(j -> j.state().isWaiting())) {
            json(ctx, 200, jobs.stream().map(this::jobJson).toList());
            return;
        }
        // waiting jobs carry their expected start and why they wait
        StartForecast.Result f = controller.forecast();
        List<Object> out = new ArrayList<>(jobs.size());
        for (JobRecord j : jobs) {
            if (!j.state().isWaiting()) {
                out.add(jobJson(j));
                continue;
            }
            Map<String, Object> m = new LinkedHashMap<>(jobJson(j));
            m.putAll(forecastFields(f == null ? null : f.of(Math.toIntExact(j.id()))));
            out.add(m);
        }
        json(ctx, 200, out);
    }

    /** {@code GET /api/v1/queue/forecast}: every waiting job's expected start and why it waits. */
    private void forecast(Context ctx) {
        StartForecast.Result f = controller.forecast();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("computedAt", f == null ? null : f.now());
        out.put("horizonSeconds", StartForecast.DEFAULT_HORIZON_SEC);
        out.put("cycles", f == null ? 0 : f.cycles());
        List<Object> jobs = new ArrayList<>();
        if (f != null)
            for (StartForecast.Expected e : f.jobs()) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("id", e.job());
                m.putAll(forecastFields(e));
                jobs.add(m);
            }
        out.put("jobs", jobs);
        json(ctx, 200, out);
    }

    /**
     * A waiting job's forecast as the API shows it: {@code expectedStart} (epoch seconds, null when
     * unknown), {@code startOutcome} (STARTS, NO_ESTIMATE, BEYOND_HORIZON, NEVER; null when not yet
     * forecast) and {@code waitReason}.
     */
    private static Map<String, Object> forecastFields(StartForecast.Expected e) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("expectedStart", e == null || Double.isNaN(e.start()) ? null : e.start());
        m.put("startOutcome", e == null ? null : e.outcome().name());
        m.put("waitReason", e == null ? null : e.reason());
        return m;
    }

    private void getJob(Context ctx) {
        long id = id(ctx, "id");
        JobRecord rec = controller.store().job(id).orElseThrow(() -> RequestError.notFound("id", "no job " + id));
        Map<String, Object> out = jobJson(rec);
        double now = System.currentTimeMillis() / 1000.0;
        out.put("lostSeconds", rec.lostSecondsAt(now));
        out.put("ettr", rec.ettrAt(now));
        out.put("events", Views.events(controller.store().events(id)));
        if (rec.state().isWaiting()) {
            StartForecast.Result f = controller.forecast();
            out.putAll(forecastFields(f == null ? null : f.of(Math.toIntExact(id))));
        }
        json(ctx, 200, out);
    }

    /** Appends to a rank's log; only the holder of the job's current generation may write. */
    private void appendLog(Context ctx) {
        requireSmallBody(ctx);
        long id = id(ctx, "id");
        int rank = rank(ctx);
        long generation = query(ctx, "generation", true, 0, Long.MAX_VALUE, 0);
        JobRecord job = logJob(id, rank);
        // an agent ships the tail of a run it has just been told to stop: older generations may append,
        // a generation the job has not reached yet is a client's mistake
        if (generation > job.generation())
            throw RequestError.conflict(ErrorCode.GENERATION_AHEAD, "generation", "generation " + generation + " is ahead of job " + id
                    + ", which is at generation " + job.generation());
        Principal p = Guard.principal(ctx);
        if (!p.anyone()) {
            String key = id + "/" + generation + "/" + p.host();
            if (!ranOn.contains(key)) {
                Guard.forbid(p.host() != null && controller.store().ranOn(id, generation, p.host()),
                        "host " + p.host() + " did not run generation " + generation + " of job " + id);
                if (ranOn.size() > 100_000) ranOn.clear();
                ranOn.add(key);
            }
        }
        long size = logs.append(id, rank, ctx.bodyAsBytes());
        json(ctx, 200, Map.of("size", size));
    }

    private void readLog(Context ctx) {
        long id = id(ctx, "id");
        int rank = rank(ctx);
        long offset = query(ctx, "offset", false, 0, Long.MAX_VALUE, 0);
        JobRecord job = logJob(id, rank);
        Principal p = Guard.principal(ctx);
        Guard.forbid(p.mayActFor(job.team()), who(p) + " cannot read the logs of job " + id + " of team " + job.team());
        LogStore.Chunk c = logs.read(id, rank, offset, LogStore.MAX_READ);
        ctx.status(200).header("X-Log-Size", Long.toString(c.size())).contentType("text/plain").result(c.bytes());
    }

    /** The job whose log is asked for, refusing an unknown job or a rank it does not have. */
    private JobRecord logJob(long id, int rank) {
        JobRecord job = controller.store().job(id).orElseThrow(() -> RequestError.notFound("id", "no job " + id));
        if (rank >= job.gpus())
            throw RequestError.badRequest("rank", "job " + id + " has ranks 0.." + (job.gpus() - 1) + ", not " + rank);
        return job;
    }

    /** The reason is checked and written to the controller's log, not stored: hosts have no column for it yet. */
    private void register(Context ctx) {
        requireSmallBody(ctx);
        Registration reg = Body.read(ctx.body(), Registration.class);
        String name = reg.name();
        Principal p = Guard.principal(ctx);
        Guard.target(ctx, "host " + name);
        Tokens tokens = guard.tokens();
        if (p.anyone() || tokens == null) {
            json(ctx, 200, Views.host(controller.registerHost(reg, ctx.ip())));
            return;
        }
        if (p.role() == Role.AGENT) {
            Guard.forbid(p.speaksFor(name), "the credential of host " + p.host() + " cannot register host " + name);
            json(ctx, 200, Views.host(controller.registerHost(reg, ctx.ip())));
            return;
        }
        // a join token makes a host's credential, once: a host that has one must use it, so that a join
        // token cannot be used to take over a host that has joined (revoke its credential to rejoin it)
        synchronized (tokens) {
            var existing = tokens.liveCredentialFor(name);
            if (existing.isPresent())
                throw RequestError.conflict(ErrorCode.ALREADY_JOINED, "name", "host " + name + " has joined already (credential "
                        + existing.get().id() + "); its agent registers with that credential, or an admin revokes it"
                        + " to join the host again");
            HostRecord host = controller.registerHost(reg, ctx.ip());
            Tokens.Issued cred = tokens.create("host:" + name, Role.AGENT, null, name, null, p.name());
            Map<String, Object> out = new LinkedHashMap<>(OUT.convertValue(Views.host(host), Map.class));
            out.put("credentialId", cred.record().id());
            out.put("credential", cred.token());
            json(ctx, 200, out);
        }
    }

    /** Refuses unless the caller speaks for host {@code id}; an unknown host is a 404, so an agent registers again. */
    private void requireHost(Context ctx, long id) {
        Principal p = Guard.principal(ctx);
        if (p.anyone()) return;
        HostRecord h = controller.knownHost(id);
        if (h == null) throw RequestError.notFound("id", "no host " + id);
        Guard.forbid(p.speaksFor(h.name()), "the credential of host " + p.host() + " cannot act for host " + h.name());
    }

    private void heartbeat(Context ctx) {
        requireSmallBody(ctx);
        long id = id(ctx, "id");
        requireHost(ctx, id);
        var hb = Body.read(ctx.body(), Heartbeat.class);
        var reply = controller.heartbeat(id, hb);
        HostRecord h = controller.knownHost(id);
        if (h != null) telemetry.record(h.name(), System.currentTimeMillis() / 1000.0, hb.telemetry(), hb.gpus());
        json(ctx, 200, reply);
    }

    private void assignments(Context ctx) {
        var reply = afterElection(ctx, () -> {
            long id = id(ctx, "id");
            requireHost(ctx, id);
            long generation = query(ctx, "generation", true, 1, Long.MAX_VALUE, 0);
            long version = query(ctx, "version", false, Long.MIN_VALUE, Long.MAX_VALUE, -1);
            long waitMs = query(ctx, "waitMs", false, 0, MAX_WAIT_MS, 0);
            return controller.awaitAssignments(id, generation, version, waitMs);
        });
        ctx.future(() -> reply.thenAccept(r -> answer(ctx, r)));
    }

    private static void answer(Context ctx, Object reply) {
        try {
            json(ctx, 200, reply);
        } catch (RuntimeException clientGone) {
            // the agent hung up while waiting (it died, or its own timeout passed): nobody to answer
        }
    }

    /**
     * A change handler that, when the call reached this controller as a standby during an election
     * ({@link HaRole#ELECTION}), runs once the election is decided: as the leader's when this controller
     * won it, refused as a standby's (a redirect to the winner) otherwise.
     */
    private io.javalin.http.Handler afterElection(io.javalin.http.Handler h) {
        return ctx -> {
            CompletableFuture<Boolean> election = ctx.attribute(HaRole.ELECTION);
            if (election == null) {
                h.handle(ctx);
                return;
            }
            ctx.future(() -> afterElection(ctx, () -> {
                try {
                    h.handle(ctx);
                    return CompletableFuture.completedFuture(null);
                } catch (RuntimeException e) {
                    throw e;
                } catch (Exception e) {
                    throw new java.util.concurrent.CompletionException(e);
                }
            }));
        };
    }

    /** Where calls that waited for an election are carried on: many at once, each may wait for the lock. */
    private static final ExecutorService ELECTED = Executors.newVirtualThreadPerTaskExecutor();
    /**
     * Agents' calls that an election released run a few at a time (users' calls do not wait for them), a
     * host's whose assignments changed meanwhile first.
     */
    private final AgentBacklog backlog = AgentBacklog.forThisMachine(ELECTED);

    /**
     * An agent's call, run now; or, when it reached this controller as a standby during an election
     * ({@link HaRole#ELECTION}), once the election is decided: as the leader's call when this controller
     * won it (host and generation checked against the view it leads with), refused as a standby's
     * otherwise (a redirect to the new leader).
     */
    private <T> CompletableFuture<T> afterElection(Context ctx, Supplier<CompletableFuture<T>> call) {
        CompletableFuture<Boolean> election = ctx.attribute(HaRole.ELECTION);
        if (election == null) return call.get();
        boolean agent = ctx.path().startsWith("/api/v1/hosts/");
        return election.thenComposeAsync(leads -> {
            if (!leads) throw new NotLeaderException(-1, -1, "");
            return agent ? backlog.run(hostName(ctx), call) : call.get();
        }, ELECTED);
    }

    /** The name of the host an agent's call is about, or null when the path names no known host. */
    private String hostName(Context ctx) {
        try {
            HostRecord h = controller.knownHost(Long.parseLong(ctx.pathParam("id")));
            return h == null ? null : h.name();
        } catch (RuntimeException notAHost) {
            return null;
        }
    }

    /** Resumes a host; {@code {"force": true}} puts GPUs still reported faulty back too, and the audit log says so. */
    private void resume(Context ctx) {
        requireSmallBody(ctx);
        boolean force = Body.read(ctx.body(), ResumeRequest.class).force();
        Guard.target(ctx, "host " + ctx.pathParam("name") + (force ? " (forced: GPUs still reported faulty go back into service)" : ""));
        json(ctx, 200, Views.host(controller.setHostStatus(ctx.pathParam("name"), HostStatus.UP, null, force)));
    }

    private void drain(Context ctx) {
        requireSmallBody(ctx);
        String reason = Body.read(ctx.body(), DrainRequest.class).reason();
        Guard.target(ctx, "host " + ctx.pathParam("name") + (reason == null ? "" : ": " + reason));
        json(ctx, 200, Views.host(controller.setHostStatus(ctx.pathParam("name"), HostStatus.DRAINING, reason)));
    }

    /**
     * A text query parameter, or null when absent or empty. Refused like a body's strings when too long
     * or holding a control character: PostgreSQL cannot store or even compare a NUL, so one would
     * otherwise fail the query in the database.
     */
    static String text(Context ctx, String name, int maxLen) {
        String s = ctx.queryParam(name);
        if (s == null || s.isEmpty()) return null;
        if (s.length() > maxLen)
            throw RequestError.badRequest(name, "query parameter '" + name + "' is longer than " + maxLen + " characters");
        if (Body.hasControl(s))
            throw RequestError.badRequest(name, "query parameter '" + name + "' contains a control character");
        return s;
    }

    static long query(Context ctx, String name, boolean required, long min, long max, long dflt) {
        String s = ctx.queryParam(name);
        if (s == null || s.isEmpty()) {
            if (required) throw RequestError.badRequest(name, "query parameter '" + name + "' is required");
            return dflt;
        }
        try {
            long v = Long.parseLong(s);
            if (v < min || v > max) throw new NumberFormatException();
            return v;
        } catch (NumberFormatException e) {
            throw RequestError.badRequest(name, "query parameter '" + name + "' must be an integer in [" + min + ", "
                    + max + "], got '" + s + "'");
        }
    }

    private void putTeam(Context ctx) {
        requireSmallBody(ctx);
        String name = TeamRequest.checkName(ctx.pathParam("name"));
        Integer quota = Body.read(ctx.body(), TeamRequest.class).quotaGpus();
        Guard.target(ctx, "team " + name + " quota " + (quota == null ? "unlimited" : quota + " GPUs"));
        json(ctx, 200, Views.team(controller.putTeam(name, quota)));
    }

    private static long id(Context ctx, String param) {
        String s = ctx.pathParam(param);
        try {
            long id = Long.parseLong(s);
            if (id < 1) throw new NumberFormatException();
            return id;
        } catch (NumberFormatException e) {
            throw RequestError.badRequest(param, "'" + param + "' must be a positive integer, got '" + s + "'");
        }
    }

    private static int rank(Context ctx) {
        String s = ctx.pathParam("rank");
        try {
            int r = Integer.parseInt(s);
            if (r < 0) throw new NumberFormatException();
            return r;
        } catch (NumberFormatException e) {
            throw RequestError.badRequest("rank", "'rank' must be a non-negative integer, got '" + s + "'");
        }
    }

    /** A non-negative integer query parameter; required when {@code dflt} is null. */
    /** Refuses a declared body over the limit before reading it. */
    private static void requireSmallBody(Context ctx) {
        if (ctx.contentLength() > MAX_BODY_BYTES)
            throw new RequestError(ErrorCode.BODY_TOO_LARGE, "body", "request body larger than " + MAX_BODY_BYTES + " bytes");
    }

    static void json(Context ctx, int status, Object body) {
        ctx.status(status).contentType("application/json").result(OUT.writeValueAsString(body));
    }

    /**
     * Reads what is left of a refused request's body (within the size limit). Refusing before reading
     * makes Jetty close the connection while the client is still sending, and the client then sees a
     * broken pipe instead of the answer: an agent shipping a 256 KiB log chunk that is refused would
     * take that for the controller being away and retry forever. A flooding client (429) is not read.
     */
    private static void drainBody(Context ctx) {
        long n = ctx.contentLength();
        if (n == 0 || n > DRAIN_LIMIT) return;
        try {
            if (n <= MAX_BODY_BYTES) {
                ctx.bodyAsBytes();
                return;
            }
            // too large to keep, small enough to read past: the client then gets its 413 rather than a
            // broken pipe (a body beyond this is cut off: the connection closes)
            try (var in = ctx.req().getInputStream()) {
                byte[] sink = new byte[64 * 1024];
                while (in.read(sink) >= 0) {
                    // discarded
                }
            }
        } catch (RuntimeException | java.io.IOException tooLargeOrGone) {
            // the answer goes out anyway; the connection closes after it
        }
    }

    /** The largest refused body read to its end so that its sender sees the answer. */
    static final long DRAIN_LIMIT = 32L << 20;

    /** The database outage behind {@code e}, or null when it is some other failure. */
    private static StoreUnavailableException storeAway(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause())
            if (t instanceof StoreUnavailableException s) return s;
        return null;
    }

    private static void error(Context ctx, int status, ErrorCode code, String message, String field) {
        ctx.attribute(ANSWERED, Boolean.TRUE);
        json(ctx, status, errorBody(code, message, field));
    }

    /** {@code {"error": {"code", "message", "field"}}}, the body of every refusal, Jetty's own included. */
    static ErrorBody errorBody(ErrorCode code, String message, String field) {
        return ErrorBody.of(code, message, field);
    }
}
