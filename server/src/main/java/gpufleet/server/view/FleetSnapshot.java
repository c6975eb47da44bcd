package gpufleet.server.view;

import gpufleet.core.job.JobState;
import gpufleet.server.control.Controller;
import gpufleet.server.store.HostRecord;
import gpufleet.server.store.JobRecord;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The fleet at one moment, zone → rack → host, each host with its state and the job on each GPU:
 * what the dashboard's heatmap draws and what {@code /metrics} counts GPUs and hosts from.
 *
 * @param gpus  GPUs by state (every state present, zero included)
 * @param hosts hosts by state (likewise)
 * @param jobs  the running jobs that hold the GPUs listed, by id
 */
public record FleetSnapshot(double time, Map<String, Integer> gpus, Map<String, Integer> hosts, int hostCount,
                            int gpuCount, List<Zone> zones, Map<Long, JobBrief> jobs) {

    public record Zone(String name, List<Rack> racks) {}

    public record Rack(String name, List<Host> hosts) {}

    /**
     * @param status   the stored status (UP, DRAINING, DOWN), or QUARANTINED for a host drained for diagnosis
     *                 as a lemon
     * @param state    what the heatmap shows ({@link HostState#label()})
     * @param owners   the job on each GPU by index, null where the GPU is free
     * @param gpuStates each GPU's state by index ({@link HostState#ofGpu}), what the GPU counts count
     */
    public record Host(long id, String name, String state, String status, int gpus, int used, List<Integer> unhealthy,
                       String reason, Double lastHeartbeat, List<Long> owners, List<String> gpuStates) {}

    public record JobBrief(long id, String name, String team, int gpus, int restarts) {}

    /** Reads the controller's hosts, GPU owners and running jobs. */
    public static FleetSnapshot take(Controller c, double now) {
        return of(c.hosts(), c.gpuOwners(), c.store().jobs(JobState.RUNNING, null), now);
    }

    /** Builds the snapshot from its parts: {@code owners} is host name → GPU index → job id. */
    public static FleetSnapshot of(List<HostRecord> hostRecords, Map<String, Map<Integer, Integer>> owners,
                                   List<JobRecord> running, double now) {
        Map<HostState, Integer> gpuCounts = new EnumMap<>(HostState.class);
        Map<HostState, Integer> hostCounts = new EnumMap<>(HostState.class);
        for (HostState s : HostState.values()) {
            gpuCounts.put(s, 0);
            hostCounts.put(s, 0);
        }
        Map<String, Map<String, List<Host>>> tree = new TreeMap<>(NaturalOrder.INSTANCE);
        int gpuCount = 0;
        for (HostRecord h : hostRecords) {
            Map<Integer, Integer> mine = owners.getOrDefault(h.name(), Map.of());
            List<Long> byGpu = new ArrayList<>(h.gpus());
            List<String> gpuStates = new ArrayList<>(h.gpus());
            for (int g = 0; g < h.gpus(); g++) {
                Integer job = mine.get(g);
                byGpu.add(job == null ? null : job.longValue());
                HostState gs = HostState.ofGpu(h, g, job != null);
                gpuStates.add(gs.label());
                gpuCounts.merge(gs, 1, Integer::sum);
            }
            gpuCount += h.gpus();
            HostState state = HostState.ofHost(h, mine.size());
            hostCounts.merge(state, 1, Integer::sum);
            tree.computeIfAbsent(h.zone(), z -> new TreeMap<>(NaturalOrder.INSTANCE))
                .computeIfAbsent(h.rack(), r -> new ArrayList<>())
                .add(new Host(h.id(), h.name(), state.label(), h.quarantined() ? "QUARANTINED" : h.status().name(),
                        h.gpus(), mine.size(), h.unhealthyGpus(), reason(h), h.lastHeartbeat(), byGpu,
                        List.copyOf(gpuStates)));
        }
        List<Zone> zones = new ArrayList<>();
        tree.forEach((zone, racks) -> {
            List<Rack> rs = new ArrayList<>();
            racks.forEach((rack, hosts) -> {
                hosts.sort((a, b) -> NaturalOrder.INSTANCE.compare(a.name(), b.name()));
                rs.add(new Rack(rack, List.copyOf(hosts)));
            });
            zones.add(new Zone(zone, List.copyOf(rs)));
        });
        Map<Long, JobBrief> jobs = new TreeMap<>();
        for (JobRecord j : running) jobs.put(j.id(), new JobBrief(j.id(), j.name(), j.team(), j.gpus(), j.restarts()));
        return new FleetSnapshot(now, labelled(gpuCounts), labelled(hostCounts), hostRecords.size(), gpuCount,
                List.copyOf(zones), jobs);
    }

    /** Why the host is not UP: a quarantine's reason first, then what happened since (lost, a GPU fault). */
    private static String reason(HostRecord h) {
        if (!h.quarantined() || h.statusReason().equals(h.quarantine())) return h.quarantined() ? h.quarantine() : h.statusReason();
        return h.statusReason().isBlank() ? h.quarantine() : h.quarantine() + "; now " + h.status() + ": " + h.statusReason();
    }

    private static Map<String, Integer> labelled(Map<HostState, Integer> m) {
        Map<String, Integer> out = new LinkedHashMap<>();
        m.forEach((k, v) -> out.put(k.label(), v));
        return out;
    }
}
