package gpufleet.sim.replay;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The replay's comparison table, one row per policy, as text cells: what {@code gpufleet replay}
 * prints and what its comparison page shows, from one place, so the two never disagree.
 *
 * @param widths each column's printed width, negative for left-aligned (the last, NOTES, is free)
 */
public record ReplayTable(List<String> header, List<Integer> widths, List<List<String>> rows) {

    /** What the columns mean, as the CLI prints it under the table and the page shows it. */
    public static final List<String> DEFINITIONS = List.of(
            "JCT: submission to completion.",
            "WAIT: all time queued (first wait and after preemptions).",
            "ALLOC: mean share of GPUs allocated from the first submission to the last completion.",
            "1HOST/1RACK: of the multi-GPU jobs that fit one host / one rack, the share first placed inside one.",
            "FRAG: time-mean share of free GPUs stranded on partly used hosts.",
            "FAIR: Jain's index over groups' mean slowdown (JCT / run time; 1 = even).",
            "BIG_WAIT/BIG_MAX: mean and worst queueing of the largest jobs.");

    public static ReplayTable of(List<Replay.Result> results) {
        List<String> header = List.of("POLICY", "JCT_AVG", "JCT_P50", "JCT_P99", "WAIT_AVG", "WAIT_P99", "MAKESPAN", "ALLOC",
                "1HOST", "1RACK", "FRAG", "FAIR", "BIG_WAIT", "BIG_MAX", "PREEMPT", "NOTES");
        List<Integer> widths = List.of(-14, 9, 9, 9, 9, 9, 9, 6, 6, 6, 5, 5, 9, 9, 7, 0);
        List<List<String>> rows = new ArrayList<>();
        for (var r : results) {
            var s = r.stats();
            String notes = (r.policy().oracle() ? "oracle " : "") + (r.unfinished() > 0 ? r.unfinished() + " unfinished " : "")
                    + (r.rejected() > 0 ? r.rejected() + " rejected" : "");
            rows.add(List.of(r.policy().name(), duration(s.meanJct()), duration(s.p50Jct()), duration(s.p99Jct()),
                    duration(s.meanQueueDelay()), duration(s.p99QueueDelay()), duration(s.makespan()),
                    pct(s.allocation()), pct(s.inOneHost()), pct(s.inOneRack()), fixed(s.fragmentation()), fixed(s.fairness()),
                    duration(s.largestJobsMeanWait()), duration(s.largestJobsMaxWait()),
                    String.format(Locale.ROOT, "%,d", s.preemptions()), notes.trim()));
        }
        return new ReplayTable(header, widths, rows);
    }

    /** The table as the CLI prints it: header and rows, columns padded to their widths. */
    public List<String> lines() {
        List<String> out = new ArrayList<>();
        out.add(line(header));
        for (List<String> r : rows) out.add(line(r));
        return out;
    }

    private String line(List<String> cells) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < cells.size(); i++) {
            int w = widths.get(i);
            if (i > 0) b.append(' ');
            b.append(w == 0 ? cells.get(i) : String.format(Locale.ROOT, "%" + w + "s", cells.get(i)));
        }
        return b.toString().stripTrailing();
    }

    /** 45 s, 12.5 min, 3.2 h, 4.1 d: the table's durations. */
    public static String duration(double s) {
        if (Double.isNaN(s)) return "-";
        if (s < 120) return String.format(Locale.ROOT, "%.0f s", s);
        if (s < 7200) return String.format(Locale.ROOT, "%.1f min", s / 60);
        if (s < 2 * 86_400) return String.format(Locale.ROOT, "%.1f h", s / 3600);
        return String.format(Locale.ROOT, "%.1f d", s / 86_400);
    }

    private static String pct(double f) {
        return String.format(Locale.ROOT, "%.1f%%", 100 * f);
    }

    private static String fixed(double v) {
        return String.format(Locale.ROOT, "%.2f", v);
    }
}
