package gpufleet.server.view;

import gpufleet.protocol.GpuHealth;
import gpufleet.protocol.GpuTelemetry;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Per-GPU telemetry as the agents report it with their heartbeats: each GPU's newest readings and the
 * last {@value #SAMPLES} of them (at one every ten seconds, about fifteen minutes), and each host's
 * XID history. Kept in memory only: it is for the host panel, and a controller that restarts has a
 * new panel's worth within a minute. A host that registers again under its name keeps its history.
 */
public final class TelemetryBook {
    static final int SAMPLES = 90;
    static final int XIDS = 50;

    /** One reading of one GPU at {@code time} (epoch seconds); the figures the agent could not read are null. */
    public record Sample(double time, Integer utilizationPct, Long memoryUsedBytes, Integer powerW, Integer temperatureC) {}

    /** An XID (or other GPU error) as the agent first reported it. */
    public record Xid(double time, int gpu, Integer xid, String detail) {}

    /** A GPU's newest readings and their recent history, oldest first. */
    public record Gpu(int index, Integer utilizationPct, Long memoryUsedBytes, Long memoryTotalBytes, Integer powerW,
                      Integer temperatureC, Long eccErrors, double time, List<Sample> history) {}

    /** What the host panel draws. */
    public record HostTelemetry(String host, List<Gpu> gpus, List<Xid> xids) {}

    private final Map<String, Host> hosts = new ConcurrentHashMap<>();

    private static final class Host {
        final Map<Integer, GpuTelemetry> latest = new TreeMap<>();
        final Map<Integer, Double> latestTime = new TreeMap<>();
        final Map<Integer, Deque<Sample>> history = new TreeMap<>();
        final Deque<Xid> xids = new ArrayDeque<>();
        /** The errors reported now, so that an error repeated in every heartbeat is recorded once. */
        final Map<Integer, String> open = new TreeMap<>();
    }

    /** Takes a heartbeat's telemetry (often empty) and its unhealthy GPUs. */
    public void record(String host, double time, List<GpuTelemetry> telemetry, List<GpuHealth> health) {
        if (telemetry.isEmpty() && health.isEmpty() && !hosts.containsKey(host)) return;
        Host h = hosts.computeIfAbsent(host, k -> new Host());
        synchronized (h) {
            for (GpuTelemetry t : telemetry) {
                h.latest.put(t.index(), t);
                h.latestTime.put(t.index(), time);
                Deque<Sample> d = h.history.computeIfAbsent(t.index(), k -> new ArrayDeque<>());
                d.addLast(new Sample(time, t.utilizationPct(), t.memoryUsedBytes(), t.powerW(), t.temperatureC()));
                while (d.size() > SAMPLES) d.removeFirst();
            }
            Map<Integer, String> now = new TreeMap<>();
            for (GpuHealth g : health) {
                if (g.healthy()) continue;
                String key = g.xid() + " " + Objects.requireNonNullElse(g.detail(), "");
                now.put(g.index(), key);
                if (!key.equals(h.open.get(g.index()))) {
                    h.xids.addLast(new Xid(time, g.index(), g.xid(), g.detail()));
                    while (h.xids.size() > XIDS) h.xids.removeFirst();
                }
            }
            // an error stays open while the heartbeats carry it; a heartbeat without it closes it
            h.open.clear();
            h.open.putAll(now);
        }
    }

    /** The host's telemetry; empty lists for a host that has sent none. */
    public HostTelemetry of(String host) {
        Host h = hosts.get(host);
        if (h == null) return new HostTelemetry(host, List.of(), List.of());
        synchronized (h) {
            List<Gpu> gpus = new ArrayList<>();
            h.latest.forEach((i, t) -> gpus.add(new Gpu(i, t.utilizationPct(), t.memoryUsedBytes(), t.memoryTotalBytes(),
                    t.powerW(), t.temperatureC(), t.eccErrors(), h.latestTime.get(i), List.copyOf(h.history.get(i)))));
            return new HostTelemetry(host, List.copyOf(gpus), List.copyOf(h.xids));
        }
    }
}
