package gpufleet.server.web;

import gpufleet.server.control.Controller;
import gpufleet.server.control.RequestError;
import gpufleet.server.store.JobRecord;
import gpufleet.server.view.FleetSnapshot;
import gpufleet.server.view.History;
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
public final class Dashboard implements AutoCloseable {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final List<String> PAGES = List.of("/", "/jobs", "/jobs/{id}", "/teams", "/scheduler", "/history");
    /** The history's ranges, in seconds, by the name the range picker and {@code ?range=} use. */
    static final java.util.SequencedMap<String, Double> RANGES = ranges();

    private static java.util.SequencedMap<String, Double> ranges() {
        java.util.SequencedMap<String, Double> m = new java.util.LinkedHashMap<>();
        m.put("1h", 3600.0);
        m.put("6h", 6 * 3600.0);
        m.put("24h", 86_400.0);
        m.put("7d", 7 * 86_400.0);
        m.put("90d", 90 * 86_400.0);
        return java.util.Collections.unmodifiableSequencedMap(m);
    }

    private final Controller controller;
    private final TelemetryBook telemetry;
    private final History history = new History();
    private final java.util.concurrent.ScheduledExecutorService sampler = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "gpufleet-history");
        t.setDaemon(true);
        return t;
    });
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
        r.get("/api/v1/history", ctx -> json(ctx, historyIn(ctx)), Access.READ);
        r.get("/ui/fragments/history", this::historyCharts, Access.READ);
        r.get("/api/v1/jobs/{id}/actions", ctx -> json(ctx, actions("job " + id(ctx))), Access.READ);
        r.get("/api/v1/hosts/{name}/gpus", ctx -> json(ctx, telemetry.of(ctx.pathParam("name"))), Access.READ);
        r.get("/api/v1/hosts/{name}/actions", ctx -> json(ctx, actions("host " + ctx.pathParam("name"))), Access.READ);
    }

    /** Samples the fleet into the history every {@value History#FINE_SECONDS} s, from now until {@link #close}. */
    public void startHistory() {
        sampler.scheduleAtFixedRate(() -> {
            try {
                history.add(sample(now()));
            } catch (RuntimeException e) {
                // the database is away, or the controller is stopping: this point is missing, the next one comes
            }
        }, 0, History.FINE_SECONDS, java.util.concurrent.TimeUnit.SECONDS);
    }

    /** The fleet now, as one point of the history. */
    History.Point sample(double now) {
        FleetSnapshot f = FleetSnapshot.take(controller, now);
        int busy = f.gpus().getOrDefault("busy", 0);
        int waitingJobs = 0, waitingGpus = 0;
        double effective = 0, weight = 0;
        java.util.Map<String, Double> teams = new java.util.TreeMap<>();
        for (JobRecord j : controller.store().liveJobs()) {
            if (j.state().isWaiting()) {
                waitingJobs++;
                waitingGpus += j.gpus();
            } else if (j.state() == gpufleet.core.job.JobState.RUNNING) {
                teams.merge(j.team(), (double) j.gpus(), Double::sum);
                Double e = j.ettrAt(now);
                if (e != null) {
                    effective += e * j.gpus();
                    weight += j.gpus();
                }
            }
        }
        return new History.Point(now, f.gpuCount() == 0 ? 0 : (double) busy / f.gpuCount(), busy, f.gpuCount(), waitingJobs,
                waitingGpus, weight == 0 ? null : effective / weight, teams);
    }

    @Override
    public void close() {
        sampler.shutdownNow();
    }

    private List<History.Point> historyIn(Context ctx) {
        double now = now();
        return history.range(now - range(ctx), now);
    }

    private static double range(Context ctx) {
        String r = ctx.queryParam("range");
        if (r == null || r.isEmpty()) return RANGES.get("24h");
        Double s = RANGES.get(r);
        if (s == null) throw RequestError.badRequest("range", "'range' must be one of " + String.join(", ", RANGES.keySet()) + ", got '" + r + "'");
        return s;
    }

    /** The history's charts for a range: allocation, the queue, each team's GPUs, against time before now. */
    private void historyCharts(Context ctx) {
        double now = now(), span = range(ctx);
        List<History.Point> pts = history.range(now - span, now);
        // the axis in the unit that suits what there is to draw: a young controller's 7-day range is minutes long
        double extent = pts.isEmpty() ? 0 : now - pts.getFirst().time();
        double unit = extent < 120 ? 1 : extent < 2 * 3600 ? 60 : extent < 3 * 86_400 ? 3600 : 86_400;
        String unitName = unit == 1 ? "seconds" : unit == 60 ? "minutes" : unit == 3600 ? "hours" : "days";
        Charts.Axis x = new Charts.Axis(unitName + " before now", v -> Fmt.decimal(Math.abs(v)));
        List<Double> xs = new ArrayList<>(pts.size());
        List<Double> alloc = new ArrayList<>(), effective = new ArrayList<>(), jobs = new ArrayList<>(), asked = new ArrayList<>();
        java.util.Map<String, List<Double>> teams = new java.util.TreeMap<>(gpufleet.server.view.NaturalOrder.INSTANCE);
        for (History.Point p : pts) p.teamGpus().keySet().forEach(t -> teams.putIfAbsent(t, new ArrayList<>()));
        for (History.Point p : pts) {
            xs.add((p.time() - now) / unit);
            alloc.add(p.allocation());
            // the share of all GPUs doing work that is kept: zero, not missing, when nothing runs
            effective.add(p.goodput() == null ? 0 : p.allocation() * p.goodput());
            jobs.add(p.waitingJobs());
            asked.add(p.waitingGpus());
            teams.forEach((t, l) -> l.add(p.teamGpus().getOrDefault(t, 0.0)));
        }
        StringBuilder h = new StringBuilder();
        String resolution = pts.size() >= 2 ? Fmt.duration(pts.get(1).time() - pts.get(0).time()) : "–";
        h.append("<p class=\"sub\" id=\"history-meta\">").append(pts.size()).append(" points, one every ").append(resolution)
         .append(" (10 s for the last day, 5-minute means for 90 days; kept in memory since the controller started)</p>");
        if (pts.size() < 2) {
            h.append("<p class=\"empty\">Not enough history yet: a point every 10 s from the controller's start.</p>");
            asset(ctx, "text/html; charset=utf-8", h.toString());
            return;
        }
        var legend1 = new java.util.LinkedHashMap<String, String>();
        legend1.put("allocated", Palette.BLUE);
        legend1.put("goodput (allocated × the running jobs' ETTR)", Palette.BLUISH_GREEN);
        h.append("<section class=\"panel\" id=\"history-allocation\"><h2>Allocation and goodput</h2>").append(Charts.legend(legend1))
         .append("<div class=\"chartbox wide\">").append(Charts.timeSeries("Allocation and goodput", xs,
                 List.of(new Charts.Series("allocated", Palette.BLUE, alloc), new Charts.Series("goodput", Palette.BLUISH_GREEN, effective)),
                 false, x, new Charts.Axis("share of all GPUs", Fmt::percent), 1.0, JobTimeline.WIDTH, 240)).append("</div></section>");
        h.append("<div class=\"grid2\"><section class=\"panel\" id=\"history-queue\"><h2>Waiting jobs</h2><div class=\"chartbox\">")
         .append(Charts.timeSeries("Waiting jobs", xs, List.of(new Charts.Series("jobs", Palette.ORANGE, jobs)), false, x,
                 new Charts.Axis("jobs", Fmt::compact), Double.NaN, 540, 220))
         .append("</div></section><section class=\"panel\" id=\"history-asked\"><h2>GPUs the waiting jobs ask for</h2><div class=\"chartbox\">")
         .append(Charts.timeSeries("GPUs asked for", xs, List.of(new Charts.Series("GPUs", Palette.VERMILLION, asked)), false, x,
                 new Charts.Axis("GPUs", Fmt::compact), Double.NaN, 540, 220)).append("</div></section></div>");
        List<String> colours = List.of(Palette.BLUE, Palette.ORANGE, Palette.BLUISH_GREEN, Palette.REDDISH_PURPLE, Palette.SKY_BLUE,
                Palette.VERMILLION, Palette.YELLOW, Palette.BLACK);
        List<Charts.Series> series = new ArrayList<>();
        var legend2 = new java.util.LinkedHashMap<String, String>();
        int i = 0;
        for (var e : teams.entrySet()) {
            String c = colours.get(i++ % colours.size());
            series.add(new Charts.Series(e.getKey(), c, e.getValue()));
            legend2.put(e.getKey(), c);
        }
        h.append("<section class=\"panel\" id=\"history-teams\"><h2>GPUs in use by team</h2>");
        if (series.isEmpty()) h.append("<p class=\"empty\">No team ran anything in this range.</p>");
        else h.append(Charts.legend(legend2)).append("<div class=\"chartbox wide\">").append(Charts.timeSeries("GPUs in use by team", xs,
                series, true, x, new Charts.Axis("GPUs", Fmt::compact), Double.NaN, JobTimeline.WIDTH, 240)).append("</div>");
        h.append("</section>");
        asset(ctx, "text/html; charset=utf-8", h.toString());
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
