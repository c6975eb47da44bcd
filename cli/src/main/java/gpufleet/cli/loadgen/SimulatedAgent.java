package gpufleet.cli.loadgen;

import gpufleet.protocol.Assignment;
import gpufleet.protocol.GpuTelemetry;
import gpufleet.protocol.Heartbeat;
import gpufleet.protocol.HeartbeatReply;
import gpufleet.protocol.RankExit;
import gpufleet.protocol.RankSlot;
import gpufleet.protocol.Registration;
import gpufleet.protocol.TaskReport;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A node agent that speaks the real protocol but starts no processes: an assignment's ranks count
 * as running from the moment it arrives, and all of them exit 0 once the job's simulated duration
 * has passed (the duration is the job's command, {@code sleep N}), so jobs complete and the fleet
 * keeps accepting work.
 *
 * <p>The agent is a state machine driven by {@link ControllerBench}'s threads: one heartbeats, one
 * (optionally) holds the long poll. Both hand every reply to {@link #apply}, which keeps the newest.
 */
final class SimulatedAgent {
    /** An assignment this host holds, and when its ranks will have finished. */
    private record Held(Assignment assignment, long endsAtNanos) {}

    final int index;
    final String name;
    final String rack;
    final String zone;
    final int gpus;

    private volatile long id;
    private volatile long generation;
    private volatile String token;
    // guarded by this
    private long appliedVersion = Long.MIN_VALUE;
    private long appliedEpoch = Long.MIN_VALUE;
    private final Map<Long, Held> held = new HashMap<>();

    private final long telemetryNanos;
    private long telemetrySent; // guarded by this

    SimulatedAgent(int index, String name, String rack, String zone, int gpus, double telemetrySec) {
        this.telemetryNanos = (long) (telemetrySec * 1e9);
        this.index = index;
        this.name = name;
        this.rack = rack;
        this.zone = zone;
        this.gpus = gpus;
    }

    Registration registration() {
        return new Registration(name, gpus, rack, zone, "127.0.0.1", List.of());
    }

    /** Registered as host {@code id}; {@code token} is its credential from now on (null without authentication). */
    void registered(long id, long generation, String token) {
        this.id = id;
        this.generation = generation;
        this.token = token;
    }

    long id() { return id; }
    long generation() { return generation; }
    String token() { return token; }

    synchronized long appliedVersion() {
        return appliedVersion;
    }

    /** What the next heartbeat says: every assignment held, with all its ranks exited 0 once its time is up. */
    synchronized Heartbeat heartbeat(long nowNanos) {
        List<TaskReport> tasks = new ArrayList<>(held.size());
        for (Held h : held.values()) {
            List<RankExit> exits = List.of();
            if (nowNanos >= h.endsAtNanos) {
                exits = new ArrayList<>();
                for (RankSlot r : h.assignment.ranks()) exits.add(new RankExit(r.rank(), 0));
            }
            tasks.add(new TaskReport(h.assignment.job(), h.assignment.generation(), exits, null));
        }
        List<GpuTelemetry> telemetry = List.of();
        if (telemetryNanos > 0 && (telemetrySent == 0 || nowNanos - telemetrySent >= telemetryNanos)) {
            telemetrySent = nowNanos;
            telemetry = new ArrayList<>(gpus);
            // what a real agent's simulated backend sends: every figure present, the heaviest body there is
            for (int g = 0; g < gpus; g++)
                telemetry.add(new GpuTelemetry(g, held.isEmpty() ? 0 : 93, 64_000_000_000L, 85_899_345_920L, 655, 71, 0L));
        }
        return new Heartbeat(generation, tasks, List.of(), telemetry);
    }

    /**
     * The earliest moment a held assignment's ranks end and have not been reported yet, or
     * {@link Long#MAX_VALUE}: a real agent heartbeats at once when a rank ends.
     */
    synchronized long nextEnd(long nowNanos) {
        long next = Long.MAX_VALUE;
        for (Held h : held.values()) if (h.endsAtNanos > nowNanos) next = Math.min(next, h.endsAtNanos);
        return next;
    }

    /**
     * Takes what the host must run from a reply, unless a newer reply was applied already (a heartbeat
     * and a long poll can answer out of order; a newer leader epoch counts whatever its version, as
     * for a real agent). Returns the assignments newly started, for the probe
     * timings.
     */
    synchronized List<Assignment> apply(HeartbeatReply r, long nowNanos) {
        if (!r.notOlderThan(appliedEpoch, appliedVersion)) return List.of();
        appliedVersion = r.version();
        appliedEpoch = r.epoch();
        List<Assignment> started = new ArrayList<>();
        Map<Long, Assignment> listed = new HashMap<>();
        for (Assignment a : r.assignments()) listed.put(a.job(), a);
        held.keySet().removeIf(job -> !listed.containsKey(job));
        for (Assignment a : listed.values()) {
            Held h = held.get(a.job());
            if (h != null && h.assignment.generation() == a.generation()) continue;
            held.put(a.job(), new Held(a, nowNanos + durationNanos(a.command())));
            started.add(a);
        }
        return started;
    }

    synchronized int heldCount() {
        return held.size();
    }

    /** {@code sleep N} runs N seconds (fractions allowed); anything else runs a minute. */
    static long durationNanos(List<String> command) {
        if (command.size() == 2 && command.get(0).equals("sleep")) {
            try {
                return (long) (Double.parseDouble(command.get(1)) * 1e9);
            } catch (NumberFormatException e) {
                // fall through
            }
        }
        return 60_000_000_000L;
    }
}
