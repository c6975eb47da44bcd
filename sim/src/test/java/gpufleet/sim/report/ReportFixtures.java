package gpufleet.sim.report;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import gpufleet.sim.report.SimReport.AllocationPoint;
import gpufleet.sim.report.SimReport.Distribution;
import gpufleet.sim.report.SimReport.Headline;
import gpufleet.sim.report.SimReport.Histogram;
import gpufleet.sim.report.SimReport.JobRow;
import gpufleet.sim.report.SimReport.Scenario;
import gpufleet.sim.report.SimReport.Segment;
import gpufleet.sim.report.SimReport.TeamRow;

/** Hand-built reports: a month on a 2,048-GPU fleet, and one where nothing happened. */
final class ReportFixtures {

    static final double DAY = 86_400;
    static final double HOUR = 3_600;

    private ReportFixtures() {}

    static Scenario scenario() {
        return new Scenario("h100-2k", "llm-mix", "gang-priority-preempt", 42, 30, 2048, 256, 2048, 2,
                "weibull-xid", 2.5, 700);
    }

    static SimReport sample() {
        return new SimReport(scenario(), headline(), allocation(), interruptions(),
                new Distribution(412, 5_400, 900, 14_400, 86_400, 190_000),
                new Distribution(380, 180_000, 43_200, 600_000, 1_800_000, 2_300_000),
                new Histogram(List.of(0.0, 10.0, 60.0, 300.0, 900.0, 3_600.0, 14_400.0, 43_200.0, 86_400.0, 259_200.0),
                        List.of(35L, 61L, 74L, 52L, 66L, 48L, 31L, 22L, 15L, 8L)),
                teams(), largeJobs(), timeline(),
                List.of(new SimReport.Rejection(9, "too-big", 65_536, "needs 65536 GPUs; the largest eligible cluster has 2048")));
    }

    /** No jobs, no interruptions, no samples; the ratios are 0/0. */
    static SimReport empty() {
        Headline h = new Headline(0, 0, 0, 0, 0, 0, 0, 0, Double.NaN, 0, 0, 0, 0, 0, 0, 0, 0, 0, Double.NaN);
        Distribution none = new Distribution(0, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
        return new SimReport(scenario(), h, List.of(), Map.of(), none, none, new Histogram(List.of(), List.of()),
                List.of(), List.of(), List.of(), List.of());
    }

    static Headline headline() {
        return new Headline(412, 380, 9, 3, 2, 14, 4, 0.873, 0.812, 1_474_560, 1_287_290, 1_197_380, 41_770,
                50, 17, 3_218_225, 901.1, 31, 0.884);
    }

    /** Every two hours for 30 days: a ramp-up, a daily ripple, and two outages. */
    static List<AllocationPoint> allocation() {
        List<AllocationPoint> pts = new ArrayList<>();
        for (int i = 0; i <= 360; i++) {
            double day = i / 12.0;
            double unhealthy = 0.012 + 0.004 * Math.sin(day * 1.7);
            if (day >= 9.0 && day < 9.6) unhealthy += 0.06;
            if (day >= 21.2 && day < 22.5) unhealthy += 0.11;
            double target = Math.min(0.93, 0.25 + day * 0.25) - 0.05 * Math.max(0, Math.sin(day * 2 * Math.PI));
            double allocated = Math.min(target, 1 - unhealthy - 0.01);
            double spare = 1 - allocated - unhealthy;
            pts.add(new AllocationPoint(day, allocated, unhealthy, spare));
        }
        return pts;
    }

    static Map<String, Integer> interruptions() {
        Map<String, Integer> m = new LinkedHashMap<>();
        m.put("nccl-timeout", 9);
        m.put("gpu-xid-79", 14);
        m.put("host-reboot", 3);
        m.put("nvlink-error", 6);
        m.put("ecc-uncorrectable", 11);
        m.put("software", 7);
        return m;
    }

    static List<TeamRow> teams() {
        return List.of(
                new TeamRow("pretrain", 18, 14, 842_100, 781_000, 2_105_250, 589.5, 7_200, 31),
                new TeamRow("research", 240, 228, 301_400, 276_900, 753_500, 211.0, 2_700, 12),
                new TeamRow("eval", 120, 117, 96_250, 92_800, 240_625, 67.4, 540, 4),
                new TeamRow("infra", 34, 21, 47_540, 46_680, 118_850, 33.2, 95, 3));
    }

    static List<JobRow> largeJobs() {
        return List.of(
                new JobRow(7, "pretrain-70b", "pretrain", 1024, "running", 0, 0.31 * DAY, Double.NaN,
                        29.7 * DAY, 26.25 * DAY, 0.55 * DAY, 0.9 * DAY, 0.2 * DAY, 1.8 * DAY, 0.82, 9, 1,
                        Map.of("gpu-xid-79", 4, "nccl-timeout", 3, "nvlink-error", 2), 0.884),
                new JobRow(3, "pretrain-13b", "pretrain", 256, "completed", 0.1 * DAY, 0.2 * DAY, 11.4 * DAY,
                        11.3 * DAY, 10.3 * DAY, 0.3 * DAY, 0.4 * DAY, 0.08 * DAY, 0.22 * DAY, 1.0, 4, 0,
                        Map.of("ecc-uncorrectable", 2, "gpu-xid-79", 2), 0.912),
                new JobRow(21, "rl-sweep-a", "research", 128, "failed", 2 * DAY, 2.4 * DAY, 6.1 * DAY,
                        4.1 * DAY, 2.9 * DAY, 0.5 * DAY, 0.1 * DAY, 0.2 * DAY, 0.4 * DAY, 0.61, 6, 2,
                        Map.of("software", 6), 0.707),
                new JobRow(40, "eval-harness", "eval", 64, "completed", 5 * DAY, 5.01 * DAY, 5.4 * DAY,
                        0.4 * DAY, 0.38 * DAY, 0, 0.01 * DAY, 0, 0.01 * DAY, 1.0, 0, 0, Map.of(), 0.95),
                new JobRow(55, "pretrain-moe", "pretrain", 512, "waiting", 27 * DAY, Double.NaN, Double.NaN,
                        3 * DAY, 0, 0, 0, 0, 3 * DAY, 0, 0, 0, Map.of(), 0));
    }

    /** The 1,024-GPU job: queued, runs, loses work twice, is preempted once, runs to the end. */
    static List<Segment> timeline() {
        double[][] spans = {
                {0, 0.31}, {0.31, 3.1}, {3.1, 3.14}, {3.14, 3.19}, {3.19, 8.8}, {8.8, 8.83}, {8.83, 8.86},
                {8.86, 9.7}, {9.7, 10.9}, {10.9, 17.2}, {17.2, 17.24}, {17.24, 17.27}, {17.27, 21.3},
                {21.3, 21.33}, {21.33, 21.36}, {21.36, 21.9}, {21.9, 22.6}, {22.6, 29.7}};
        String[] kinds = {"waiting", "running", "lost", "restarting", "running", "lost", "restarting",
                "running", "waiting", "running", "lost", "restarting", "running", "lost", "restarting", "running",
                "waiting", "running"};
        String[] causes = {"queued", null, "gpu-xid-79", "gpu-xid-79", null, "nccl-timeout", "nccl-timeout", null,
                "preempted by prod-serving", null, "nvlink-error", "nvlink-error", null, "gpu-xid-79", "gpu-xid-79",
                null, "waiting for healthy hosts", null};
        List<Segment> out = new ArrayList<>();
        for (int i = 0; i < spans.length; i++) {
            out.add(new Segment(spans[i][0] * DAY, spans[i][1] * DAY, kinds[i], causes[i]));
        }
        return out;
    }

    /**
     * One day on one 8-GPU host at $2 per GPU-hour and 700 W per GPU, two jobs, every figure worked out
     * by hand: alpha (team a, 8 GPUs) runs 0-6 h and completes: 48 GPU-h, all productive. beta (team b,
     * 4 GPUs) waits for it, runs 6-12 h and loses one hour to an XID 79: 24 GPU-h, 20 productive, 4 lost.
     * Available 8 x 24 = 192 GPU-h; allocated 72; goodput 68/192; mean allocation 72/192 = 0.375;
     * cost 72 x 2 = $144; energy 72 GPU-h x 0.7 kW = 50.4 kWh = 0.0504 MWh.
     */
    static SimReport twoJobs() {
        Scenario sc = new Scenario("tiny-8", "two-jobs", "fifo", 1, 1, 8, 1, 8, 1, "xid-only", 2.0, 700);
        Headline h = new Headline(2, 2, 0, 0, 0, 0, 0, 72.0 / 192, 68.0 / 192, 192, 72, 68, 4, 1, 0, 144, 0.0504, 1, 1.0);
        return new SimReport(sc, h,
                List.of(new AllocationPoint(0, 1, 0, 0), new AllocationPoint(0.25, 0.5, 0, 0.5), new AllocationPoint(0.5, 0, 0, 1)),
                Map.of("gpu-xid-79", 1),
                new Distribution(2, 3 * HOUR, 0, 6 * HOUR, 6 * HOUR, 6 * HOUR),
                new Distribution(2, 9 * HOUR, 6 * HOUR, 12 * HOUR, 12 * HOUR, 12 * HOUR),
                new Histogram(List.of(0.0, HOUR), List.of(1L, 1L)),
                List.of(new TeamRow("a", 1, 1, 48, 48, 96, 0.0336, 0, 0),
                        new TeamRow("b", 1, 1, 24, 20, 48, 0.0168, 6 * HOUR, 1)),
                List.of(new JobRow(1, "alpha", "a", 8, "completed", 0, 0, 6 * HOUR, 6 * HOUR, 6 * HOUR, 0, 0, 0, 0,
                        1.0, 0, 0, Map.of(), 1.0)),
                List.of(new Segment(0, 6 * HOUR, "running", null)),
                List.of());
    }

    /** The sample with hostile strings in every place a name goes. */
    static SimReport hostile(String evil) {
        SimReport s = sample();
        List<TeamRow> teams = new ArrayList<>(s.teams());
        teams.add(new TeamRow(evil, 1, 0, 10, 5, 25, 0.01, 60, 1));
        Map<String, Integer> causes = new LinkedHashMap<>(s.interruptionsByCause());
        causes.put(evil, 1);
        List<JobRow> jobs = new ArrayList<>(s.largeJobs());
        jobs.add(new JobRow(99, evil, evil, 8, evil, 0, 0, 1, 1, 1, 0, 0, 0, 0, 1, 0, 0, Map.of(evil, 1), 1));
        List<Segment> timeline = new ArrayList<>(s.largestJobTimeline());
        timeline.add(new Segment(29.7 * DAY, 29.8 * DAY, evil, evil));
        Scenario sc = new Scenario(evil, evil, evil, 1, 1, 8, 1, 8, 1, evil, 1, 700);
        return new SimReport(sc, s.headline(), s.allocation(), causes, s.queueWait(), s.completionTime(),
                s.queueWaitHistogram(), teams, jobs, timeline,
                List.of(new SimReport.Rejection(99, evil, 8, evil)));
    }
}
