package gpufleet.server.api;

import gpufleet.core.job.JobState;
import gpufleet.core.state.HostStatus;
import gpufleet.protocol.GpuDescriptor;
import gpufleet.protocol.GpuHealth;
import gpufleet.protocol.Heartbeat;
import gpufleet.protocol.RankExit;
import gpufleet.protocol.Registration;
import gpufleet.protocol.TaskReport;
import gpufleet.server.control.Controller;
import gpufleet.server.control.RequestError;
import gpufleet.server.logs.LogStore;
import gpufleet.server.store.JobRecord;
import gpufleet.server.store.NewJob;
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
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * The HTTP API under {@code /api/v1}. Handlers parse and validate, call the {@link Controller}, and
 * answer JSON. Every refusal is {@code {"error": ..., "field": ...}} with a 4xx status; an
 * unexpected failure is a 500 with a generic message, never a stack trace.
 */
public final class Api {
    public static final long MAX_BODY_BYTES = 1 << 20;
    /** Request attribute set once an error body is written, so the 404 fallback leaves it alone. */
    private static final String ANSWERED = "gpufleet.answered";
    private static final System.Logger LOG = System.getLogger(Api.class.getName());
    private static final JsonMapper OUT = JsonMapper.builder().build();
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
    private static final Set<String> JOB_FIELDS = Set.of("name", "team", "gpus", "tp", "pp", "cp", "priority", "command",
            "maxRestarts", "checkpointDir");
    private static final Set<String> HOST_FIELDS = Set.of("name", "gpus", "rack", "zone", "address", "gpuInfo",
            "incarnation");
    private static final Set<String> GPU_INFO_FIELDS = Set.of("index", "uuid", "model", "memoryMiB");
    private static final Set<String> TASK_FIELDS = Set.of("job", "generation", "exits", "checkpointTime");
    private static final Set<String> EXIT_FIELDS = Set.of("rank", "code");
    private static final Set<String> HEALTH_FIELDS = Set.of("index", "healthy", "xid", "detail");
    /** The longest an assignments poll may wait. */
    static final long MAX_WAIT_MS = 60_000;

    private final Controller controller;
    private final LogStore logs;
    private final String openapi;

    public Api(Controller controller, LogStore logs) {
        this.controller = controller;
        this.logs = logs;
        try (InputStream in = Api.class.getResourceAsStream("/gpufleet/server/openapi.json")) {
            if (in == null) throw new IllegalStateException("openapi.json is missing from the classpath");
            this.openapi = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A Javalin server with the routes, not started. */
    public Javalin create() {
        return create(config -> { });
    }

    /** A Javalin server with the routes and those {@code more} declares (the dashboard, metrics), not started. */
    public Javalin create(Consumer<JavalinConfig> more) {
        return Javalin.create(config -> {
            config.http.maxRequestSize = MAX_BODY_BYTES;
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
            var r = config.routes;
            r.get("/api/v1/healthz", ctx -> json(ctx, 200, Map.of("status", "ok",
                    "schemaVersion", controller.store().schemaVersion())));
            r.get("/api/v1/openapi.json", ctx -> ctx.status(200).contentType("application/json").result(openapi));
            r.post("/api/v1/jobs", this::submit);
            r.get("/api/v1/jobs", this::listJobs);
            r.get("/api/v1/jobs/{id}", this::getJob);
            r.post("/api/v1/jobs/{id}/cancel", ctx -> json(ctx, 200, controller.cancel(id(ctx, "id"))));
            r.post("/api/v1/jobs/{id}/logs/{rank}", this::appendLog);
            r.get("/api/v1/jobs/{id}/logs/{rank}", this::readLog);
            r.post("/api/v1/hosts/register", this::register);
            r.post("/api/v1/hosts/{id}/heartbeat", this::heartbeat);
            r.get("/api/v1/hosts/{id}/assignments", this::assignments);
            r.get("/api/v1/hosts", ctx -> json(ctx, 200, controller.hosts()));
            r.post("/api/v1/hosts/{name}/drain", this::drain);
            r.post("/api/v1/hosts/{name}/resume", ctx -> json(ctx, 200,
                    controller.setHostStatus(ctx.pathParam("name"), HostStatus.UP, null)));
            r.get("/api/v1/teams", ctx -> json(ctx, 200, controller.store().teams()));
            r.put("/api/v1/teams/{name}", this::putTeam);

            r.exception(RequestError.class, (e, ctx) -> error(ctx, e.status(), e.getMessage(), e.field()));
            r.exception(HttpResponseException.class, (e, ctx) -> error(ctx, e.getStatus(),
                    e.getStatus() == 413 ? "request body larger than " + MAX_BODY_BYTES + " bytes" : e.getMessage(),
                    e.getStatus() == 413 ? "body" : null));
            r.exception(Exception.class, (e, ctx) -> {
                LOG.log(System.Logger.Level.ERROR, "request " + ctx.method() + " " + ctx.path() + " failed", e);
                error(ctx, 500, "internal error", null);
            });
            r.error(404, ctx -> {
                if (ctx.attribute(ANSWERED) == null) error(ctx, 404, "no such route: " + ctx.method() + " " + ctx.path(), null);
            });
            r.error(405, ctx -> error(ctx, 405, "method not allowed", null));
            more.accept(config);
        });
    }

    private void submit(Context ctx) {
        requireSmallBody(ctx);
        Body b = Body.parse(ctx.body(), JOB_FIELDS);
        String name = b.string("name", true, null, 200);
        String team = b.string("team", true, null, 128);
        int gpus = b.integer("gpus", true, null, 1, 10_000_000);
        int tp = b.integer("tp", false, 1, 1, 64);
        int pp = b.integer("pp", false, 1, 1, 100_000);
        int cp = b.integer("cp", false, 1, 1, 100_000);
        int priority = b.integer("priority", false, 1, 0, 1000);
        var command = b.strings("command", true, 1000, 4096);
        if (command.isEmpty()) throw RequestError.badRequest("command", "'command' must not be empty");
        int maxRestarts = b.integer("maxRestarts", false, 3, 0, 1000);
        String checkpointDir = b.string("checkpointDir", false, null, 4096);
        if (gpus % tp != 0) throw RequestError.badRequest("tp", "tp (" + tp + ") must divide gpus (" + gpus + ")");
        long group = (long) tp * pp * cp;
        if (gpus % group != 0)
            throw RequestError.badRequest(gpus % (tp * (long) pp) != 0 ? "pp" : "cp",
                    "gpus (" + gpus + ") must be a multiple of tp x pp x cp (" + group + ")");
        JobRecord rec = controller.submit(new NewJob(name, team, gpus, tp, pp, cp, priority, command, maxRestarts,
                checkpointDir));
        json(ctx, 201, rec);
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
        json(ctx, 200, controller.store().jobs(state, ctx.queryParam("team")));
    }

    private void getJob(Context ctx) {
        long id = id(ctx, "id");
        JobRecord rec = controller.store().job(id).orElseThrow(() -> RequestError.notFound("id", "no job " + id));
        Map<String, Object> out = new LinkedHashMap<>(OUT.convertValue(rec, Map.class));
        double now = System.currentTimeMillis() / 1000.0;
        out.put("lostSeconds", rec.lostSecondsAt(now));
        out.put("ettr", rec.ettrAt(now));
        out.put("events", controller.store().events(id));
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
            throw RequestError.conflict("generation", "generation " + generation + " is ahead of job " + id
                    + ", which is at generation " + job.generation());
        long size = logs.append(id, rank, ctx.bodyAsBytes());
        json(ctx, 200, Map.of("size", size));
    }

    private void readLog(Context ctx) {
        long id = id(ctx, "id");
        int rank = rank(ctx);
        long offset = query(ctx, "offset", false, 0, Long.MAX_VALUE, 0);
        logJob(id, rank);
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
        Body b = Body.parse(ctx.body(), HOST_FIELDS);
        String name = name(b, "name", true, null);
        int gpus = b.integer("gpus", true, null, 1, 64);
        String rack = name(b, "rack", false, "rack0");
        String zone = name(b, "zone", false, "zone0");
        String address = b.string("address", false, null, 253);
        List<GpuDescriptor> info = new ArrayList<>();
        for (Body g : b.objects("gpuInfo", 64, GPU_INFO_FIELDS)) {
            int index = g.integer("index", true, null, 0, gpus - 1);
            if (info.stream().anyMatch(x -> x.index() == index))
                throw RequestError.badRequest("gpuInfo", "GPU index " + index + " is listed twice");
            info.add(new GpuDescriptor(index, g.string("uuid", false, "", 128), g.string("model", false, "", 128),
                    g.longValue("memoryMiB", false, 0) == null ? 0 : g.longValue("memoryMiB", false, 0)));
        }
        String incarnation = b.string("incarnation", false, null, 128);
        json(ctx, 200, controller.registerHost(new Registration(name, gpus, rack, zone, address, info, incarnation),
                ctx.ip()));
    }

    private void heartbeat(Context ctx) {
        requireSmallBody(ctx);
        long id = id(ctx, "id");
        Body b = Body.parse(ctx.body(), Set.of("generation", "tasks", "gpus"));
        long generation = b.longValue("generation", true, 1);
        List<TaskReport> tasks = new ArrayList<>();
        for (Body t : b.objects("tasks", 10_000, TASK_FIELDS)) {
            List<RankExit> exits = new ArrayList<>();
            for (Body e : t.objects("exits", 64, EXIT_FIELDS))
                exits.add(new RankExit(e.integer("rank", true, null, 0, Integer.MAX_VALUE),
                        e.integer("code", true, null, Integer.MIN_VALUE, Integer.MAX_VALUE)));
            tasks.add(new TaskReport(t.longValue("job", true, 1), t.longValue("generation", true, 0), exits,
                    t.number("checkpointTime", false, 0, 1e11)));
        }
        List<GpuHealth> gpus = new ArrayList<>();
        for (Body g : b.objects("gpus", 64, HEALTH_FIELDS))
            gpus.add(new GpuHealth(g.integer("index", true, null, 0, 63), g.bool("healthy", true, null),
                    g.integer("xid", false, null, 0, Integer.MAX_VALUE), g.string("detail", false, null, 500)));
        json(ctx, 200, controller.heartbeat(id, new Heartbeat(generation, tasks, gpus)));
    }

    private void assignments(Context ctx) {
        long id = id(ctx, "id");
        long generation = query(ctx, "generation", true, 1, Long.MAX_VALUE, 0);
        long version = query(ctx, "version", false, Long.MIN_VALUE, Long.MAX_VALUE, -1);
        long waitMs = query(ctx, "waitMs", false, 0, MAX_WAIT_MS, 0);
        var reply = controller.awaitAssignments(id, generation, version, waitMs);
        ctx.future(() -> reply.thenAccept(r -> {
            try {
                json(ctx, 200, r);
            } catch (RuntimeException clientGone) {
                // the agent hung up while waiting (it died, or its own timeout passed): nobody to answer
            }
        }));
    }

    private void drain(Context ctx) {
        requireSmallBody(ctx);
        Body b = Body.parse(ctx.body(), Set.of("reason"));
        String reason = b.string("reason", false, null, 500);
        json(ctx, 200, controller.setHostStatus(ctx.pathParam("name"), HostStatus.DRAINING, reason));
    }

    private static long query(Context ctx, String name, boolean required, long min, long max, long dflt) {
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
        String name = ctx.pathParam("name");
        if (!NAME.matcher(name).matches()) throw RequestError.badRequest("name", "team name must match " + NAME.pattern());
        Body b = Body.parse(ctx.body(), Set.of("quotaGpus"));
        Integer quota = b.integer("quotaGpus", false, null, 0, Integer.MAX_VALUE);
        json(ctx, 200, controller.putTeam(name, quota));
    }

    private static String name(Body b, String field, boolean required, String dflt) {
        String s = b.string(field, required, dflt, 128);
        if (s != null && !NAME.matcher(s).matches())
            throw RequestError.badRequest(field, "'" + field + "' must match " + NAME.pattern());
        return s;
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
            throw new RequestError(413, "body", "request body larger than " + MAX_BODY_BYTES + " bytes");
    }

    private static void json(Context ctx, int status, Object body) {
        ctx.status(status).contentType("application/json").result(OUT.writeValueAsString(body));
    }

    private static void error(Context ctx, int status, String message, String field) {
        ctx.attribute(ANSWERED, Boolean.TRUE);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("error", message);
        m.put("field", field);
        json(ctx, status, m);
    }
}
