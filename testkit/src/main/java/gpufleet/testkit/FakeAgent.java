package gpufleet.testkit;

import gpufleet.protocol.GpuHealth;
import gpufleet.protocol.Heartbeat;
import gpufleet.protocol.HeartbeatReply;
import gpufleet.protocol.RankExit;
import gpufleet.protocol.TaskReport;

import java.util.List;

/**
 * A node agent reduced to what it tells the controller: the heartbeats of one registered host, built
 * from the protocol's own types, for tests that drive the controller without a real agent process.
 * It sends through a {@link Link}: a controller in the test's JVM ({@code controller::heartbeat}), or
 * anything else that answers a heartbeat.
 */
public final class FakeAgent {
    /** Where heartbeats go: {@code POST /api/v1/hosts/{id}/heartbeat} or its equivalent. */
    @FunctionalInterface
    public interface Link {
        HeartbeatReply heartbeat(long hostId, Heartbeat heartbeat);
    }

    private final Link link;
    private final long hostId;
    private final long generation;

    /** The agent of host {@code hostId}, registered at {@code generation}. */
    public FakeAgent(Link link, long hostId, long generation) {
        this.link = link;
        this.hostId = hostId;
        this.generation = generation;
    }

    public long hostId() { return hostId; }

    public long generation() { return generation; }

    /** A heartbeat that reports these tasks and these GPUs. */
    public HeartbeatReply report(List<TaskReport> tasks, List<GpuHealth> gpus) {
        return link.heartbeat(hostId, new Heartbeat(generation, tasks, gpus));
    }

    /** A heartbeat with nothing to report: the host is alive and its GPUs are healthy. */
    public HeartbeatReply alive() {
        return report(List.of(), List.of());
    }

    /** Rank {@code rank} of the job's run at {@code jobGeneration} has ended with {@code code}. */
    public HeartbeatReply exits(long job, long jobGeneration, int rank, int code) {
        return report(List.of(new TaskReport(job, jobGeneration, List.of(new RankExit(rank, code)), null)), List.of());
    }

    /** The job's run at {@code jobGeneration} reported a complete checkpoint at {@code at} (epoch seconds). */
    public HeartbeatReply checkpoint(long job, long jobGeneration, double at) {
        return report(List.of(new TaskReport(job, jobGeneration, List.of(), at)), List.of());
    }

    /** These GPUs have a problem (the rest are healthy). */
    public HeartbeatReply gpus(GpuHealth... unhealthy) {
        return report(List.of(), List.of(unhealthy));
    }
}
