package gpufleet.cli.deploy;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Reads a fault-injection run afterwards and lists what went wrong: the clients' history of calls, the
 * jobs as the controllers finally hold them, and the ranks' own records, line by line, of when they
 * started and stopped on which GPUs of which host. Whose word counts where: a GPU held twice is judged
 * from the ranks' records alone (the controller could be wrong about what runs), an acknowledged
 * submission from the client's record of the answer.
 */
public final class HistoryChecker {
    /** One call a client made: a submission (by job name) or a cancellation (by id), and how it ended. */
    public record Op(String client, String kind, String name, long job, double invoked, double completed,
                     Outcome outcome, String detail) {}

    /**
     * ok: acknowledged; fail: refused, so it must not have happened; info: no answer (a timeout, a
     * connection cut after the request went out), so it may or may not have happened.
     */
    public enum Outcome { ok, fail, info }

    /** A job as the controllers hold it at the end: its state and the kinds of its events, in order. */
    public record FinalJob(long id, String name, String state, List<String> events) {}

    /**
     * A line a rank wrote: {@code start|beat|stop HOST GPUS JOB GENERATION RANK PID EPOCH_SECONDS}, GPUS as
     * {@code CUDA_VISIBLE_DEVICES} gives them.
     */
    public record RankLine(String what, String host, Set<Integer> gpus, long job, long generation, int rank, long pid,
                           double time) {
        static RankLine parse(String line) {
            String[] f = line.strip().split(" ");
            if (f.length != 8) throw new IllegalArgumentException("malformed rank record '" + line + "'");
            Set<Integer> gpus = new TreeSet<>();
            for (String g : f[2].split(",")) gpus.add(Integer.parseInt(g));
            return new RankLine(f[0], f[1], gpus, Long.parseLong(f[3]), Long.parseLong(f[4]), Integer.parseInt(f[5]),
                    Long.parseLong(f[6]), Double.parseDouble(f[7]));
        }
    }

    /** One run of a job on a host, from its ranks' records: from the first start to the last stop (or last beat). */
    record Hold(String host, long job, long generation, Set<Integer> gpus, double from, double to, boolean stopped) {}

    private static final Set<String> FINAL = Set.of("COMPLETED", "FAILED", "CANCELLED");

    public record Result(int submitted, int acknowledged, int refused, int unanswered, int cancels, int rankRuns,
                         List<String> anomalies) {}

    private HistoryChecker() {}

    /**
     * Checks a run. {@code rankLines}: every line of every host's record, in any order (lines not yet
     * complete left out); {@code finalJobs}: every job the controllers hold at the end.
     */
    public static Result check(List<Op> history, List<FinalJob> finalJobs, List<String> rankLines) {
        List<String> anomalies = new ArrayList<>();
        Map<String, List<FinalJob>> byName = new HashMap<>();
        for (FinalJob j : finalJobs) byName.computeIfAbsent(j.name(), n -> new ArrayList<>()).add(j);

        int submitted = 0, acked = 0, refused = 0, unanswered = 0, cancels = 0;
        for (Op op : history) {
            if (op.kind().equals("cancel")) {
                cancels++;
                continue;
            }
            if (!op.kind().equals("submit")) continue;
            submitted++;
            List<FinalJob> found = byName.getOrDefault(op.name(), List.of());
            switch (op.outcome()) {
                case ok -> {
                    acked++;
                    if (found.size() != 1)
                        anomalies.add("acknowledged submission " + op.name() + " (job " + op.job() + ") exists "
                                + found.size() + " times");
                    else if (found.getFirst().id() != op.job())
                        anomalies.add("acknowledged submission " + op.name() + " was answered as job " + op.job()
                                + " but is job " + found.getFirst().id());
                }
                case fail -> {
                    refused++;
                    if (!found.isEmpty())
                        anomalies.add("refused submission " + op.name() + " (" + op.detail() + ") exists as job "
                                + found.getFirst().id());
                }
                case info -> {
                    unanswered++;
                    if (found.size() > 1) anomalies.add("unanswered submission " + op.name() + " exists " + found.size() + " times");
                }
            }
        }
        for (FinalJob j : finalJobs) {
            long finals = j.events().stream().filter(FINAL::contains).count();
            if (!FINAL.contains(j.state()))
                anomalies.add("job " + j.id() + " (" + j.name() + ") is stuck in " + j.state());
            else if (finals != 1)
                anomalies.add("job " + j.id() + " (" + j.name() + ") reached a final state " + finals + " times: " + j.events());
        }

        List<RankLine> lines = new ArrayList<>();
        for (String l : rankLines) if (!l.isBlank()) lines.add(RankLine.parse(l));
        List<Hold> holds = holds(lines);
        anomalies.addAll(doubleHolds(holds));
        anomalies.addAll(generationsGoBack(lines));
        return new Result(submitted, acked, refused, unanswered, cancels, holds.size(), List.copyOf(anomalies));
    }

    /** Each run of a job on a host: its ranks' lines gathered by (host, job, generation). */
    static List<Hold> holds(List<RankLine> lines) {
        record Key(String host, long job, long generation) {}
        record Rank(long pid, int rank) {}
        Map<Key, Map<Rank, List<RankLine>>> runs = new LinkedHashMap<>();
        for (RankLine l : lines)
            runs.computeIfAbsent(new Key(l.host(), l.job(), l.generation()), k -> new LinkedHashMap<>())
                    .computeIfAbsent(new Rank(l.pid(), l.rank()), k -> new ArrayList<>()).add(l);
        List<Hold> out = new ArrayList<>();
        for (var run : runs.entrySet()) {
            double from = Double.MAX_VALUE, to = 0;
            boolean allStopped = true;
            Set<Integer> gpus = new TreeSet<>();
            for (List<RankLine> rank : run.getValue().values()) {
                // a rank killed with SIGKILL writes no stop line: it surely held its GPUs until its last beat
                for (RankLine l : rank) {
                    from = Math.min(from, l.time());
                    to = Math.max(to, l.time());
                    gpus.addAll(l.gpus());
                }
                allStopped &= rank.stream().anyMatch(l -> l.what().equals("stop"));
            }
            out.add(new Hold(run.getKey().host(), run.getKey().job(), run.getKey().generation(), gpus, from, to, allStopped));
        }
        return out;
    }

    /** Two runs (different job or generation) on one host, sharing a GPU, at overlapping times. */
    static List<String> doubleHolds(List<Hold> holds) {
        List<String> out = new ArrayList<>();
        Map<String, List<Hold>> byHost = new TreeMap<>();
        for (Hold h : holds) byHost.computeIfAbsent(h.host(), x -> new ArrayList<>()).add(h);
        for (List<Hold> hs : byHost.values()) {
            hs.sort(Comparator.comparingDouble(Hold::from));
            for (int i = 0; i < hs.size(); i++)
                for (int k = i + 1; k < hs.size() && hs.get(k).from() < hs.get(i).to(); k++) {
                    Hold a = hs.get(i), b = hs.get(k);
                    Set<Integer> shared = new TreeSet<>(a.gpus());
                    shared.retainAll(b.gpus());
                    if (!shared.isEmpty())
                        out.add(String.format("GPUs %s of %s held by job %d generation %d (%.3f-%.3f) and job %d generation %d (%.3f-%.3f)",
                                shared, a.host(), a.job(), a.generation(), a.from(), a.to(), b.job(), b.generation(), b.from(), b.to()));
                }
        }
        return out;
    }

    /** A rank of a job started at a generation lower than one already started for that job. */
    static List<String> generationsGoBack(List<RankLine> lines) {
        List<String> out = new ArrayList<>();
        Map<Long, List<RankLine>> starts = new TreeMap<>();
        for (RankLine l : lines) if (l.what().equals("start")) starts.computeIfAbsent(l.job(), j -> new ArrayList<>()).add(l);
        for (var e : starts.entrySet()) {
            List<RankLine> s = e.getValue();
            s.sort(Comparator.comparingDouble(RankLine::time));
            long highest = -1;
            for (RankLine l : s) {
                if (l.generation() < highest)
                    out.add(String.format("job %d: a rank of generation %d started on %s at %.3f, after generation %d had",
                            e.getKey(), l.generation(), l.host(), l.time(), highest));
                highest = Math.max(highest, l.generation());
            }
        }
        return out;
    }

    /** The checker's printout. */
    public static String describe(Result r) {
        return "operations: " + (r.submitted() + r.cancels()) + " (submissions " + r.submitted() + ": acknowledged "
                + r.acknowledged() + ", refused " + r.refused() + ", unanswered " + r.unanswered() + "; cancellations "
                + r.cancels() + ")\nruns of ranks recorded by the agents' hosts: " + r.rankRuns() + "\nanomalies: "
                + r.anomalies().size() + (r.anomalies().isEmpty() ? "" : "\n  " + String.join("\n  ", r.anomalies()));
    }
}
