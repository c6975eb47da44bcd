package gpufleet.server.web;

import gpufleet.server.control.Controller;
import gpufleet.server.control.RequestError;
import gpufleet.server.store.JobRecord;
import gpufleet.server.view.FleetSnapshot;
import gpufleet.server.view.TelemetryBook;
import gpufleet.server.view.Usage;
import gpufleet.render.Charts;
import gpufleet.render.Charts.Bar;
import gpufleet.render.Fmt;
import gpufleet.render.Palette;
import gpufleet.render.Script;
import gpufleet.render.Style;
import gpufleet.server.auth.Access;
import gpufleet.server.auth.Guard;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The web dashboard, served by the controller: one page ({@code index.html}) that draws the fleet,
 * jobs, teams and the scheduler's queue from the JSON API and redraws on the {@link EventStream}.
 * Nothing to build and nothing fetched from outside: the page, its script and its styles are
 * resources of this jar, and the stylesheet, table script and charts are the twin report's own
 * ({@link Style}, {@link Script}, {@link Charts}).
 *
 * <p>Every page has its own URL ({@code /jobs/42}); the server answers each with the same
 * {@code index.html} and the script draws the page the URL names.
 *
 * <p>Routes: the pages; {@code /ui/*} for assets and server-drawn chart fragments; under
 * {@code /api/v1}, {@code fleet} (the heatmap's data), {@code usage} (teams' use this month),
 * {@code events} (server-sent events) and the actions taken on a job or host; {@code /ui/csrf} for the
 * token that the page's drain, resume and cancel buttons send with their requests.
 */
public final class Dashboard {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final List<String> PAGES = List.of("/", "/jobs", "/jobs/{id}", "/teams", "/scheduler");

    private final Controller controller;
    private final TelemetryBook telemetry;
    private final EventStream events;
    private final double gpuHourUsd;
    private final String index = resource("index.html");
    private final String script = resource("dashboard.js");
    private final String styles = resource("dashboard.css");

    public Dashboard(Controller controller, EventStream events, double gpuHourUsd) {
        this(controller, events, gpuHourUsd, new TelemetryBook());
    }

    public Dashboard(Controller controller, EventStream events, double gpuHourUsd, TelemetryBook telemetry) {
        this.telemetry = telemetry;
        this.controller = controller;
        this.events = events;
        this.gpuHourUsd = gpuHourUsd;
    }

    /** Declares the dashboard's routes. */
    public void routes(JavalinConfig config) {
        var r = config.routes;
        // the pages and their code hold no data and are served to anyone, so that a browser can show the
        // sign-in; everything with data in it needs a token that may read (a viewer's will do)
        for (String page : PAGES) r.get(page, ctx -> asset(ctx, "text/html; charset=utf-8", index), Access.PUBLIC);
        r.get("/ui/gpufleet.css", ctx -> asset(ctx, "text/css; charset=utf-8", Style.css()), Access.PUBLIC);
        r.get("/ui/gpufleet.js", ctx -> asset(ctx, "text/javascript; charset=utf-8", Script.js()), Access.PUBLIC);
        r.get("/ui/dashboard.css", ctx -> asset(ctx, "text/css; charset=utf-8", styles), Access.PUBLIC);
        r.get("/ui/dashboard.js", ctx -> asset(ctx, "text/javascript; charset=utf-8", script), Access.PUBLIC);
        r.get("/ui/fragments/jobs/{id}/timeline", this::timeline, Access.READ);
        r.get("/ui/fragments/usage", this::usageChart, Access.READ);
        r.get("/api/v1/fleet", ctx -> json(ctx, FleetSnapshot.take(controller, now())), Access.READ);
        r.get("/api/v1/usage", ctx -> json(ctx, usage()), Access.READ);
        r.sse("/api/v1/events", events::attach, Access.READ);
        // what the dashboard's own buttons need: the CSRF token that lets its session cookie make a change,
        // and who last acted on a job or host ("cancelled by alice")
        r.get("/ui/csrf", this::csrf, Access.READ);
        r.get("/api/v1/jobs/{id}/actions", ctx -> json(ctx, actions("job " + id(ctx))), Access.READ);
        r.get("/api/v1/hosts/{name}/gpus", ctx -> json(ctx, telemetry.of(ctx.pathParam("name"))), Access.READ);
        r.get("/api/v1/hosts/{name}/actions", ctx -> json(ctx, actions("host " + ctx.pathParam("name"))), Access.READ);
    }

    /** A change carried out on a job or host, as the audit log has it, less the token and address. */
    public record Action(double time, String actor, String role, String action, String target) {}

    private static final java.util.regex.Pattern OPERATOR_ACTION = java.util.regex.Pattern.compile("POST /api/v1/\\S+/(drain|resume|cancel)");

    private List<Action> actions(String target) {
        List<Action> out = new ArrayList<>();
        for (var e : controller.store().auditOf(target, 50))
            // people's changes, not an agent registering its host
            if (OPERATOR_ACTION.matcher(e.action()).matches()) out.add(new Action(e.time(), e.actor(), e.role().toLowerCase(java.util.Locale.ROOT), e.action(), e.target()));
        return out;
    }

    private void csrf(Context ctx) {
        String session = ctx.cookie(Guard.SESSION_COOKIE);
        // a caller with a bearer token needs none; only a page signed in with the cookie does
        ctx.header("Cache-Control", "no-store");
        json(ctx, java.util.Collections.singletonMap("token",
                session == null || session.isBlank() ? null : Guard.csrfToken(session)));
    }

    private Usage usage() {
        double now = now();
        return Usage.compute(controller.store(), Usage.monthStart(now), now, gpuHourUsd);
    }

    private void timeline(Context ctx) {
        long id = id(ctx);
        JobRecord job = controller.store().job(id).orElseThrow(() -> RequestError.notFound("id", "no job " + id));
        asset(ctx, "text/html; charset=utf-8", JobTimeline.html(job, controller.store().events(id), now()));
    }

    private void usageChart(Context ctx) {
        Usage u = usage();
        List<Bar> bars = new ArrayList<>();
        for (Usage.Team t : u.teams())
            bars.add(new Bar(t.team(), t.gpuHours(), Palette.BLUE, t.team() + ": " + Fmt.gpuHours(t.gpuHours()) + ", "
                    + Fmt.usd(t.costUsd()) + " at " + Fmt.usd(u.gpuHourUsd()) + " per GPU-hour"));
        asset(ctx, "text/html; charset=utf-8", Charts.hbars("GPU-hours by team this month", bars, Fmt::compact, JobTimeline.WIDTH));
    }

    private static long id(Context ctx) {
        String s = ctx.pathParam("id");
        try {
            long id = Long.parseLong(s);
            if (id < 1) throw new NumberFormatException();
            return id;
        } catch (NumberFormatException e) {
            throw RequestError.badRequest("id", "'id' must be a positive integer, got '" + s + "'");
        }
    }

    private static double now() {
        return System.currentTimeMillis() / 1000.0;
    }

    private static void asset(Context ctx, String type, String body) {
        // small, and they change with every release: revalidating is cheaper than a stale dashboard
        ctx.status(200).contentType(type).header("Cache-Control", "no-cache").result(body);
    }

    private static void json(Context ctx, Object body) {
        ctx.status(200).contentType("application/json").result(JSON.writeValueAsString(body));
    }

    private static String resource(String name) {
        try (InputStream in = Dashboard.class.getResourceAsStream("/gpufleet/server/web/" + name)) {
            if (in == null) throw new IllegalStateException(name + " is missing from the classpath");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
