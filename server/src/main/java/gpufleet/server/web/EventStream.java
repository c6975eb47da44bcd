package gpufleet.server.web;

import gpufleet.server.store.JobChange;
import gpufleet.server.store.JobRecord;
import gpufleet.server.store.ObservedStore;
import gpufleet.server.store.Store;
import gpufleet.server.store.TeamRecord;
import io.javalin.http.sse.SseClient;
import tools.jackson.databind.json.JsonMapper;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Server-sent events for the dashboard ({@code GET /api/v1/events}): one {@code job}, {@code host}
 * or {@code team} event per committed change, each carrying what changed and a sequence number.
 * A page re-reads what it shows when an event concerns it, so an event is a nudge, never the data:
 * a missed event costs freshness, not correctness, and a reconnecting page simply re-reads.
 *
 * <p>Changes are reported in the controller's threads (often under its lock); sending happens on
 * one thread of this stream's own, so a slow browser never holds the controller up. A comment goes
 * out every {@value #PING_SECONDS} s, which keeps proxies from closing an idle stream and finds
 * clients that went away.
 */
public final class EventStream implements ObservedStore.Listener, AutoCloseable {
    static final int PING_SECONDS = 15;
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final Set<SseClient> clients = ConcurrentHashMap.newKeySet();
    private final AtomicLong seq = new AtomicLong();
    private final ScheduledExecutorService sender = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "gpufleet-events");
        t.setDaemon(true);
        return t;
    });

    public EventStream() {
        sender.scheduleWithFixedDelay(() -> send(c -> c.sendComment("ping")), PING_SECONDS, PING_SECONDS, TimeUnit.SECONDS);
    }

    /** Keeps {@code client} open and sends it every event from now on. */
    void attach(SseClient client) {
        client.keepAlive();
        client.onClose(() -> clients.remove(client));
        clients.add(client);
        publish("hello", Map.of(), Set.of(client));
    }

    @Override
    public void submitted(JobRecord job) {
        publish("job", job(job.id(), "SUBMITTED", job.state().name()), clients);
    }

    @Override
    public void jobsChanged(List<JobChange> changes, double now, Store store) {
        for (JobChange c : changes)
            publish("job", job(c.jobId(), c.eventKind(), c.state() == null ? null : c.state().name()), clients);
    }

    @Override
    public void hostChanged(long hostId) {
        publish("host", Map.of("id", hostId), clients);
    }

    @Override
    public void teamChanged(TeamRecord team) {
        publish("team", Map.of("name", team.name()), clients);
    }

    private static Map<String, Object> job(long id, String kind, String state) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", id);
        m.put("kind", kind);
        m.put("state", state);
        return m;
    }

    private void publish(String type, Map<String, Object> body, Set<SseClient> to) {
        Map<String, Object> m = new LinkedHashMap<>(body);
        m.put("seq", seq.incrementAndGet());
        String data = JSON.writeValueAsString(m);
        Set<SseClient> targets = to == clients ? clients : Set.copyOf(to);
        try {
            sender.execute(() -> send(targets, c -> c.sendEvent(type, data)));
        } catch (java.util.concurrent.RejectedExecutionException closed) {
            // shutting down: nobody is listening any more
        }
    }

    private void send(java.util.function.Consumer<SseClient> what) {
        send(clients, what);
    }

    private void send(Set<SseClient> targets, java.util.function.Consumer<SseClient> what) {
        for (SseClient c : targets) {
            try {
                if (c.terminated()) clients.remove(c);
                else what.accept(c);
            } catch (RuntimeException gone) {
                clients.remove(c);
            }
        }
    }

    @Override
    public void close() {
        sender.shutdownNow();
        for (SseClient c : clients) {
            try {
                c.close();
            } catch (RuntimeException ignored) {
                // already gone
            }
        }
        clients.clear();
    }
}
