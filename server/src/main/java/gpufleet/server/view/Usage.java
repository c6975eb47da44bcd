package gpufleet.server.view;

import gpufleet.core.job.JobState;
import gpufleet.server.store.JobRecord;
import gpufleet.server.store.Store;
import gpufleet.server.store.TeamRecord;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What each team uses: GPUs held now against its quota, and GPU-hours and their cost over the period
 * (the calendar month so far, in UTC).
 *
 * @param periodStart epoch seconds the period began
 * @param time        when this was computed, the period's end so far
 */
public record Usage(double periodStart, double time, double gpuHourUsd, List<Team> teams, double gpuHours,
                    double costUsd) {

    /**
     * The default price of a GPU-hour, the same as the twin's H100 presets: AWS's EC2 Capacity Blocks
     * for ML rate for p5.48xlarge (8 x H100, US East) as listed before its 1 January 2025 update,
     * 4.916 USD per accelerator-hour. {@code gpufleet server --gpu-hour-usd} sets another.
     */
    public static final double DEFAULT_GPU_HOUR_USD = 4.916;

    /**
     * @param quotaGpus null when unlimited
     * @param gpusInUse GPUs its running jobs hold now
     */
    public record Team(String team, Integer quotaGpus, int gpusInUse, int runningJobs, int waitingJobs,
                       double gpuHours, double costUsd) {}

    /** The start of the calendar month (UTC) that {@code now} falls in. */
    public static double monthStart(double now) {
        ZonedDateTime t = Instant.ofEpochMilli((long) (now * 1000)).atZone(ZoneOffset.UTC);
        return t.withDayOfMonth(1).toLocalDate().atStartOfDay(ZoneOffset.UTC).toEpochSecond();
    }

    /** Every team's usage from the period's start to {@code now}. */
    public static Usage compute(Store store, double periodStart, double now, double gpuHourUsd) {
        Map<String, double[]> acc = new TreeMap<>(NaturalOrder.INSTANCE); // gpusInUse, running, waiting, gpuSeconds
        Map<String, Integer> quotas = new TreeMap<>();
        for (TeamRecord t : store.teams()) {
            acc.put(t.name(), new double[4]);
            if (t.quotaGpus() != null) quotas.put(t.name(), t.quotaGpus());
        }
        for (JobRecord j : store.jobs(null, null)) {
            double[] a = acc.computeIfAbsent(j.team(), k -> new double[4]);
            if (j.state() == JobState.RUNNING) {
                a[0] += j.gpus();
                a[1]++;
            } else if (j.state().isWaiting()) {
                a[2]++;
            }
            a[3] += gpuSeconds(store, j, periodStart, now);
        }
        List<Team> teams = new ArrayList<>();
        double hours = 0;
        for (var e : acc.entrySet()) {
            double[] a = e.getValue();
            double h = a[3] / 3600;
            hours += h;
            teams.add(new Team(e.getKey(), quotas.get(e.getKey()), (int) a[0], (int) a[1], (int) a[2], h, h * gpuHourUsd));
        }
        return new Usage(periodStart, now, gpuHourUsd, List.copyOf(teams), hours, hours * gpuHourUsd);
    }

    /**
     * A job's GPU-seconds in [from, to]. A job that first ran inside the period counts all its run
     * time, which the job record keeps; only a job that straddles the period's start needs its
     * events read back.
     */
    static double gpuSeconds(Store store, JobRecord j, double from, double to) {
        if (j.firstStartTime() == null) return 0;
        if (j.endTime() != null && j.endTime() < from) return 0;
        if (j.firstStartTime() >= from) {
            double current = j.state() == JobState.RUNNING && j.startTime() != null ? Math.max(0, to - j.startTime()) : 0;
            return j.gpus() * (j.runSeconds() + current);
        }
        return Runs.gpuSecondsBetween(j, Runs.of(j, store.events(j.id()), to), from, to);
    }

    /** All the GPU-seconds each team has used, from the job records alone (no events read). */
    public static Map<String, Double> gpuSecondsEver(List<JobRecord> jobs, double now) {
        Map<String, Double> out = new TreeMap<>();
        for (JobRecord j : jobs) {
            double current = j.state() == JobState.RUNNING && j.startTime() != null ? Math.max(0, now - j.startTime()) : 0;
            out.merge(j.team(), j.gpus() * (j.runSeconds() + current), Double::sum);
        }
        return out;
    }
}
