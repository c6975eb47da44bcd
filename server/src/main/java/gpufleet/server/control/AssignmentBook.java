package gpufleet.server.control;

import gpufleet.protocol.Assignment;
import gpufleet.protocol.RankSlot;
import gpufleet.server.store.HostGpus;
import gpufleet.server.store.JobRecord;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * What each host must run, derived from the RUNNING jobs' committed placements, with a version per
 * host so agents can long-poll for a change.
 *
 * <p>Writers (the controller, under its lock) replace a host's whole list; readers (heartbeats and
 * polls, on any thread) read an immutable snapshot without locking, so 12,500 agents heartbeating
 * never wait on a scheduling cycle.
 */
final class AssignmentBook {
    /** One host's assignments at one version. */
    record Snapshot(long version, List<Assignment> assignments) {}

    // Versions only grow, across all hosts and across controller restarts (they start from the clock),
    // so agents can drop a reply older than one they have applied.
    private final AtomicLong versions;
    /** What a host with nothing published yet must run: nothing, as of this controller's start. */
    private final Snapshot empty;
    private final Map<String, Map<Long, Assignment>> byHost = new TreeMap<>(); // guarded by the controller's lock
    private final ConcurrentHashMap<String, Snapshot> published = new ConcurrentHashMap<>();
    /** Each waiting poll's own future, by host; a poll that ends without a change takes itself out. */
    private final ConcurrentHashMap<String, Set<CompletableFuture<Void>>> waiters = new ConcurrentHashMap<>();

    AssignmentBook(Clock clock) {
        versions = new AtomicLong(clock.millis() * 1000);
        empty = new Snapshot(versions.get(), List.of());
    }

    /** Port for a job's rendezvous: spread over a range, different across restarts of the same job. */
    static int masterPort(long job, int restart) {
        return 20_000 + (int) Math.floorMod(job * 7_919L + restart * 104_729L, 30_000L);
    }

    /** The checkpoint interval each running job is advised, seconds, or null; read on any thread. */
    private java.util.function.LongFunction<Double> intervals = job -> null;

    /** Told each host whose assignments changed, under the controller's lock: it must be quick. */
    private volatile java.util.function.Consumer<String> changed = host -> { };

    void onChange(java.util.function.Consumer<String> changed) {
        this.changed = changed;
    }

    void intervals(java.util.function.LongFunction<Double> intervals) {
        this.intervals = intervals;
    }

    /** The per-host assignments of a RUNNING job: ranks numbered host by host in placement order. */
    static Map<String, Assignment> split(JobRecord r, Function<String, String> addressOf) {
        return split(r, addressOf, null);
    }

    /** As {@link #split(JobRecord, Function)}, each assignment with the job's advised checkpoint interval. */
    static Map<String, Assignment> split(JobRecord r, Function<String, String> addressOf, Double checkpointInterval) {
        Map<String, Assignment> out = new TreeMap<>();
        List<HostGpus> where = r.placement();
        if (where.isEmpty()) return out;
        String master = addressOf.apply(where.getFirst().host());
        int port = masterPort(r.id(), r.restarts());
        int rank = 0;
        for (int group = 0; group < where.size(); group++) {
            HostGpus hg = where.get(group);
            List<RankSlot> slots = new ArrayList<>(hg.gpus().size());
            for (int local = 0; local < hg.gpus().size(); local++) slots.add(new RankSlot(rank++, local, hg.gpus().get(local)));
            out.put(hg.host(), new Assignment(r.id(), r.generation(), r.restarts(), r.name(), r.command(),
                    r.checkpointDir(), master, port, r.gpus(), group, slots, checkpointInterval));
        }
        return out;
    }

    /** Records a started job. Caller holds the controller's lock. */
    void add(JobRecord r, Function<String, String> addressOf) {
        for (var e : split(r, addressOf, intervals.apply(r.id())).entrySet()) {
            byHost.computeIfAbsent(e.getKey(), k -> new TreeMap<>()).put(r.id(), e.getValue());
            publish(e.getKey());
        }
    }

    /** Drops a job from every host that had it. Caller holds the controller's lock. */
    void remove(long job, List<HostGpus> placement) {
        for (HostGpus hg : placement) {
            Map<Long, Assignment> m = byHost.get(hg.host());
            if (m != null && m.remove(job) != null) publish(hg.host());
        }
    }

    /**
     * Replaces everything with the assignments of {@code running}, publishing only hosts whose work
     * changed. Readers never see an intermediate state: an empty list published halfway through a
     * rebuild would tell agents to kill ranks that are meant to keep running. Caller holds the lock.
     */
    void rebuild(java.util.Collection<JobRecord> running, Function<String, String> addressOf) {
        Map<String, Map<Long, Assignment>> next = new TreeMap<>();
        for (JobRecord r : running)
            for (var e : split(r, addressOf, intervals.apply(r.id())).entrySet())
                next.computeIfAbsent(e.getKey(), k -> new TreeMap<>()).put(r.id(), e.getValue());
        java.util.Set<String> hosts = new java.util.TreeSet<>(byHost.keySet());
        hosts.addAll(next.keySet());
        byHost.clear();
        byHost.putAll(next);
        for (String h : hosts) publish(h);
    }

    private void publish(String host) {
        Map<Long, Assignment> m = byHost.get(host);
        List<Assignment> list = m == null ? List.of() : List.copyOf(m.values());
        Snapshot old = published.get(host);
        if (old != null && old.assignments().equals(list)) return;
        published.put(host, new Snapshot(versions.incrementAndGet(), list));
        changed.accept(host);
        Set<CompletableFuture<Void>> ws = waiters.remove(host);
        if (ws != null) for (CompletableFuture<Void> w : ws) w.complete(null);
    }

    Snapshot of(String host) {
        return published.getOrDefault(host, empty);
    }

    /**
     * Polls of this host waiting now. A poll that has ended is not counted even before its removal has
     * run: that runs as one of the future's callbacks, in no order with the ones its caller added.
     */
    int waiting(String host) {
        Set<CompletableFuture<Void>> ws = waiters.get(host);
        return ws == null ? 0 : (int) ws.stream().filter(w -> !w.isDone()).count();
    }

    /**
     * Completes when the host's version differs from {@code version}. The future is the caller's own: it
     * may complete it itself when its wait ends, and is then forgotten, so polls that time out leave
     * nothing behind and need no periodic release (which, releasing every poll at once, made all
     * agents poll in step: a burst of thousands of answers every wait period).
     */
    CompletableFuture<Void> changeAfter(String host, long version) {
        CompletableFuture<Void> w = new CompletableFuture<>();
        Set<CompletableFuture<Void>> ws = waiters.computeIfAbsent(host, h -> ConcurrentHashMap.newKeySet());
        ws.add(w);
        // checked after registering, so a publish between the caller's read and now is not missed
        if (of(host).version() != version) w.complete(null);
        w.whenComplete((x, e) -> ws.remove(w));
        return w;
    }

    /** Answers every waiting poll now: the controller is stopping and its HTTP server goes next. */
    void wakeAll() {
        for (Set<CompletableFuture<Void>> ws : waiters.values())
            for (CompletableFuture<Void> w : List.copyOf(ws)) w.complete(null);
    }
}
