package gpufleet.server.metrics;

import gpufleet.core.job.JobState;
import gpufleet.server.control.Controller;
import gpufleet.server.store.JobChange;
import gpufleet.server.store.JobRecord;
import gpufleet.server.store.JobTotals;
import gpufleet.server.store.ObservedStore;
import gpufleet.server.store.Store;
import gpufleet.server.store.TeamRecord;
import gpufleet.server.view.FleetSnapshot;

import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The controller's metrics in Prometheus' format, for {@code GET /metrics}.
 *
 * <p>Two sources. What the store holds (GPUs, hosts and jobs by state, the queue, ETTR, per-team use)
 * is read at scrape time, so it is right after a controller restart and costs nothing between
 * scrapes. What happens (placements, preemptions, interruptions, cycle latency, queue waits) is
 * counted as it happens, from the committed changes an {@link ObservedStore} reports; those counters
 * start at zero with the process, as Prometheus expects of counters.
 *
 * <p>Names follow Prometheus' conventions: a {@code gpufleet_} prefix, base units in the name
 * ({@code _seconds}, {@code _ratio}, {@code _dollars}), {@code _total} on counters. A job is labelled
 * {@code job_id}, not {@code job}, which Prometheus reserves for the scrape job.
 */
public final class Metrics implements ObservedStore.Listener {
    /** Interruption causes the controller records; each is exported from zero so that rate() sees its first one. */
    static final List<String> CAUSES = List.of("rank_failed", "gpu_failed", "host_lost", "agent_restarted");
    private static final Pattern CAUSE = Pattern.compile("^([A-Z][A-Z_]*): ");

    private final double gpuHourUsd;
    private final LongAdder submitted = new LongAdder();
    private final LongAdder placements = new LongAdder();
    private final LongAdder preemptions = new LongAdder();
    private final LongAdder restarts = new LongAdder();
    private final Map<String, LongAdder> interruptions = new ConcurrentHashMap<>();
    private final Histogram cycle = new Histogram(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5);
    private final Histogram queueWait = new Histogram(1, 5, 15, 60, 300, 900, 3600, 3 * 3600, 12 * 3600, 86_400,
            3 * 86_400, 7 * 86_400);

    public Metrics(double gpuHourUsd) {
        this.gpuHourUsd = gpuHourUsd;
        for (String c : CAUSES) interruptions.put(c, new LongAdder());
    }

    /** One scheduling cycle took {@code nanos}; for {@link Controller#onCycle}. */
    public void cycleTook(long nanos) {
        cycle.observe(nanos / 1e9);
    }

    @Override
    public void submitted(JobRecord job) {
        submitted.increment();
    }

    @Override
    public void jobsChanged(List<JobChange> changes, double now, Store store) {
        for (JobChange c : changes) {
            if (c.eventKind() == null) continue;
            switch (c.eventKind()) {
                case "STARTED" -> {
                    placements.increment();
                    store.job(c.jobId()).ifPresent(j -> {
                        // the wait the twin reports too: submission to first start, restarts not counted again
                        if (j.firstStartTime() != null && Math.abs(j.firstStartTime() - now) < 1e-3) queueWait.observe(now - j.submitTime());
                    });
                }
                case "PREEMPTED" -> preemptions.increment();
                case "RESTART" -> {
                    restarts.increment();
                    interrupted(c.eventDetail());
                }
                case "FAILED" -> interrupted(c.eventDetail()); // restarts spent: still an interruption
                default -> { }
            }
        }
    }

    private void interrupted(String detail) {
        Matcher m = CAUSE.matcher(detail == null ? "" : detail);
        if (!m.find()) return;
        interruptions.computeIfAbsent(m.group(1).toLowerCase(Locale.ROOT), k -> new LongAdder()).increment();
    }

    /** The exposition, reading the fleet and the store now. */
    public String scrape(Controller controller, double now) {
        Store store = controller.store();
        FleetSnapshot fleet = FleetSnapshot.take(controller, now);
        // ended jobs only add to sums the database makes: reading them all at every scrape would hold
        // the store for longer as the job table grows, and the controller waits on the store
        JobTotals totals = store.jobTotals();
        List<JobRecord> jobs = store.liveJobs();
        Exposition out = new Exposition();

        out.family("gpufleet_gpus", "gauge", "GPUs by state, in the hosts' model: busy (running work), free, draining (idle on a drained host), unhealthy (reported an error, or idle on a host out of service for one), down (host lost).");
        fleet.gpus().forEach((state, n) -> out.sample("gpufleet_gpus", n, "state", state));
        out.family("gpufleet_hosts", "gauge", "Hosts by state: down, else unhealthy (a GPU reported an error), else draining, else busy (any GPU running work), else free.");
        fleet.hosts().forEach((state, n) -> out.sample("gpufleet_hosts", n, "state", state));

        Map<JobState, Integer> byState = new EnumMap<>(JobState.class);
        for (JobState s : JobState.values()) byState.put(s, 0);
        int queued = 0, queuedGpus = 0;
        double oldest = 0;
        byState.putAll(totals.byState());
        for (JobRecord j : jobs) {
            if (j.state().isWaiting()) {
                queued++;
                queuedGpus += j.gpus();
                double since = j.interruptedAt() != null ? j.interruptedAt() : j.submitTime();
                oldest = Math.max(oldest, now - since);
            }
        }
        out.family("gpufleet_jobs", "gauge", "Jobs by state.");
        byState.forEach((s, n) -> out.sample("gpufleet_jobs", n, "state", s.name().toLowerCase(Locale.ROOT)));
        out.family("gpufleet_jobs_submitted_total", "counter", "Jobs submitted since the controller started.");
        out.sample("gpufleet_jobs_submitted_total", submitted.sum());
        out.family("gpufleet_queue_jobs", "gauge", "Jobs waiting to run: pending, restarting or preempted.");
        out.sample("gpufleet_queue_jobs", queued);
        out.family("gpufleet_queue_gpus", "gauge", "GPUs the waiting jobs ask for.");
        out.sample("gpufleet_queue_gpus", queuedGpus);
        out.family("gpufleet_queue_oldest_wait_seconds", "gauge", "How long the longest-waiting job has waited (since submission, or since its interruption).");
        out.sample("gpufleet_queue_oldest_wait_seconds", oldest);
        queueWait.write(out, "gpufleet_queue_wait_seconds", "Time from submission to first start, of jobs started since the controller started.");
        cycle.write(out, "gpufleet_scheduling_cycle_duration_seconds", "Time one scheduling cycle with jobs waiting took, commit included.");

        out.family("gpufleet_placements_total", "counter", "Gangs placed on GPUs (first starts and restarts).");
        out.sample("gpufleet_placements_total", placements.sum());
        out.family("gpufleet_preemptions_total", "counter", "Running jobs preempted for higher-priority work.");
        out.sample("gpufleet_preemptions_total", preemptions.sum());
        out.family("gpufleet_interruptions_total", "counter", "Running jobs stopped by a failure, by cause.");
        new TreeMap<>(interruptions).forEach((cause, n) -> out.sample("gpufleet_interruptions_total", n.sum(), "cause", cause));
        out.family("gpufleet_restarts_total", "counter", "Jobs requeued to restart after an interruption.");
        out.sample("gpufleet_restarts_total", restarts.sum());

        out.family("gpufleet_job_ettr_ratio", "gauge", "Effective training time ratio of each running job: time not lost to interruptions / time since its first start.");
        for (JobRecord j : jobs) {
            if (j.state() != JobState.RUNNING) continue;
            Double ettr = j.ettrAt(now);
            if (ettr != null) out.sample("gpufleet_job_ettr_ratio", ettr, "job_id", Long.toString(j.id()),
                    "job_name", j.name(), "team", j.team());
        }

        Map<String, Integer> held = new TreeMap<>();
        Map<String, Integer> quota = new TreeMap<>();
        for (TeamRecord t : store.teams()) {
            held.put(t.name(), 0);
            if (t.quotaGpus() != null) quota.put(t.name(), t.quotaGpus());
        }
        for (JobRecord j : jobs) if (j.state() == JobState.RUNNING) held.merge(j.team(), j.gpus(), Integer::sum);
        out.family("gpufleet_team_gpus", "gauge", "GPUs each team's running jobs hold.");
        held.forEach((team, n) -> out.sample("gpufleet_team_gpus", n, "team", team));
        out.family("gpufleet_team_quota_gpus", "gauge", "Each team's GPU quota (teams without a quota are not listed).");
        quota.forEach((team, n) -> out.sample("gpufleet_team_quota_gpus", n, "team", team));
        out.family("gpufleet_team_gpu_seconds_total", "counter", "GPU-seconds each team's jobs have held GPUs, from the job records.");
        // the runs that have ended (of every job, running ones too), then the runs going on now
        Map<String, Double> used = new TreeMap<>(totals.endedGpuSeconds());
        for (JobRecord j : jobs)
            if (j.state() == JobState.RUNNING && j.startTime() != null)
                used.merge(j.team(), j.gpus() * Math.max(0, now - j.startTime()), Double::sum);
        for (String team : held.keySet()) used.putIfAbsent(team, 0.0);
        new TreeMap<>(used).forEach((team, s) -> out.sample("gpufleet_team_gpu_seconds_total", s, "team", team));
        out.family("gpufleet_gpu_hour_price_dollars", "gauge", "The price of one GPU-hour the dashboard's costs use (gpufleet server --gpu-hour-usd).");
        out.sample("gpufleet_gpu_hour_price_dollars", gpuHourUsd);
        return out.text();
    }

    /** Declares {@code GET /metrics}, read from {@code controller} at each scrape. */
    public void routes(io.javalin.config.JavalinConfig config, Controller controller) {
        // Prometheus presents a viewer token (authorization: credentials_file in its scrape config)
        config.routes.get("/metrics", ctx -> ctx.status(200).contentType(Exposition.CONTENT_TYPE)
                .result(scrape(controller, System.currentTimeMillis() / 1000.0)), gpufleet.server.auth.Access.READ);
    }
}
