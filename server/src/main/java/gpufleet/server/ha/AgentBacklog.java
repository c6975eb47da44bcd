package gpufleet.server.ha;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

/**
 * The agents' calls that an election releases together, run a few at a time: in arrival order, except
 * that the calls of a host whose assignments changed since go first.
 *
 * <p>At 100,000 GPUs an election releases about 20,000 calls at once (each agent's long poll and the
 * heartbeats of the last seconds), and each is answered at once, since the new leader's assignments are
 * news to every agent. Started all together they queued every other piece of the new leader's work
 * behind them: a user's submission, between its database round trips, and the first scheduling cycle
 * waited 3 to 7 s for the scheduler's carrier threads. Run {@code limit} at a time, the rest wait in a queue
 * (no thread at all), so the submission and the cycle share the processors with a handful of
 * calls instead; and the hosts of a gang placed meanwhile hear of it next rather than somewhere in the
 * middle of the fleet's answers.
 */
public final class AgentBacklog {
    private final int limit;
    private final Executor executor;
    /** Guarded by {@code this}: calls in arrival order, those moved ahead, and each host's waiting calls. */
    private final ArrayDeque<Entry> queue = new ArrayDeque<>();
    private final ArrayDeque<Entry> ahead = new ArrayDeque<>();
    private final Map<String, List<Entry>> byHost = new HashMap<>();
    /** Hosts whose assignments changed while calls waited: their later calls go ahead too. Cleared when none wait. */
    private final java.util.Set<String> news = new java.util.HashSet<>();
    private int running;
    private boolean closed;

    private static final class Entry {
        final String host;
        final Runnable start;
        /** Taken from the queue, by its turn or moved ahead: a second reference to it is skipped. */
        boolean taken;

        Entry(String host, Runnable start) {
            this.host = host;
            this.start = start;
        }
    }

    /** Runs at most {@code limit} calls at a time, each started on {@code executor}. */
    public AgentBacklog(int limit, Executor executor) {
        if (limit < 1) throw new IllegalArgumentException("limit must be at least 1, got " + limit);
        this.limit = limit;
        this.executor = executor;
    }

    /**
     * Four at a time per processor, at least 8: a call that waits on the controller's lock (a report that
     * changes something, while a cycle runs) or on the database keeps its place meanwhile, and the others
     * should use the processors then; few enough that a user's call or the cycle, runnable again, waits
     * behind a handful of short calls, not thousands.
     */
    public static AgentBacklog forThisMachine(Executor executor) {
        return new AgentBacklog(Math.max(8, 4 * Runtime.getRuntime().availableProcessors()), executor);
    }

    /**
     * Runs {@code call} for host {@code host} (a name; null when unknown, never moved ahead) in its turn. Its
     * place goes to the next call once {@code call} has returned: a call answered at once has done its work
     * by then (it is to answer on the calling thread, and its answer is written there too), and a long poll
     * that waits for news holds nothing while it waits.
     */
    public <T> CompletableFuture<T> run(String host, Supplier<CompletableFuture<T>> call) {
        CompletableFuture<T> out = new CompletableFuture<>();
        Entry e = new Entry(host, () -> {
            try {
                CompletableFuture<T> f = call.get();
                // answered now (the answer written on this thread), or a poll that waits for news, which
                // holds nothing while it waits: either way the place goes to the next call
                f.whenComplete((v, x) -> {
                    if (x != null) out.completeExceptionally(x);
                    else out.complete(v);
                });
            } catch (RuntimeException | Error x) {
                out.completeExceptionally(x);
            } finally {
                finished();
            }
        });
        Runnable now;
        synchronized (this) {
            // the server is stopping: its requests are being recycled, and a call run now would fail on them
            if (closed) return out;
            if (running < limit) {
                running++;
                now = e.start;
            } else {
                now = null;
                if (host != null && news.contains(host)) {
                    e.taken = true;
                    ahead.add(e);
                } else {
                    queue.add(e);
                    if (host != null) byHost.computeIfAbsent(host, h -> new ArrayList<>(1)).add(e);
                }
            }
        }
        if (now != null) start(now);
        return out;
    }

    /**
     * The assignments of {@code host} changed: its waiting calls go next, since their answers carry news,
     * and so do its calls that arrive while others still wait (an agent's next poll, sent as its last one
     * was answered).
     */
    public void changed(String host) {
        synchronized (this) {
            if (queue.isEmpty() && ahead.isEmpty()) return;
            news.add(host);
            List<Entry> es = byHost.remove(host);
            if (es == null) return;
            for (Entry e : es)
                if (!e.taken) {
                    e.taken = true;
                    ahead.add(e);
                }
        }
    }

    /**
     * Drops the calls still waiting and runs none from now on: the server is stopping, and its HTTP server
     * closes their connections (a call run after that fails on a recycled request).
     */
    public synchronized void close() {
        closed = true;
        queue.clear();
        ahead.clear();
        byHost.clear();
        news.clear();
    }

    /** Calls waiting for their turn (for tests and logs). */
    public synchronized int waiting() {
        int n = ahead.size();
        for (Entry e : queue) if (!e.taken) n++;
        return n;
    }

    private void finished() {
        Entry next;
        synchronized (this) {
            if (closed) {
                running--;
                return;
            }
            next = ahead.poll();
            while (next == null && !queue.isEmpty()) {
                Entry e = queue.poll();
                if (e.taken) continue;
                e.taken = true;
                next = e;
            }
            if (next == null) {
                running--;
                news.clear();
                return;
            }
            if (next.host != null) {
                List<Entry> es = byHost.get(next.host);
                if (es != null && es.remove(next) && es.isEmpty()) byHost.remove(next.host);
            }
        }
        start(next.start);
    }

    private void start(Runnable r) {
        executor.execute(r);
    }
}
