package gpufleet.server.control;

import gpufleet.protocol.ErrorCode;
import gpufleet.server.store.HostRecord;
import gpufleet.server.store.Store;

import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The registered hosts as last committed, kept equal to the store after every change to a host, and
 * read without the controller's lock by heartbeats and polls. Fences agents: one that presents an
 * older generation than its host's speaks for a process that was replaced, and is refused.
 */
final class HostRegistry {
    private volatile Map<Long, HostRecord> byId = Map.of();

    /** Replaces every host with these. */
    void replace(Collection<HostRecord> hosts) {
        Map<Long, HostRecord> m = new HashMap<>();
        for (HostRecord h : hosts) m.put(h.id(), h);
        byId = Map.copyOf(m);
    }

    /** Re-reads the hosts (status, reason) from the store. */
    void refresh(Store store) {
        replace(store.hosts());
    }

    /** These hosts with {@code h} added or replaced. */
    List<HostRecord> with(HostRecord h) {
        Map<Long, HostRecord> m = new HashMap<>(byId);
        m.put(h.id(), h);
        return List.copyOf(m.values());
    }

    HostRecord get(long id) {
        return byId.get(id);
    }

    HostRecord getOrDefault(long id, HostRecord fallback) {
        return byId.getOrDefault(id, fallback);
    }

    Collection<HostRecord> all() {
        return byId.values();
    }

    int size() {
        return byId.size();
    }

    HostRecord byName(String name) {
        for (HostRecord h : byId.values()) if (h.name().equals(name)) return h;
        return null;
    }

    /** Where the host's agent is reached: its address, else its name. */
    String addressOf(String hostName) {
        HostRecord h = byName(hostName);
        if (h == null) return hostName;
        return h.address() == null || h.address().isBlank() ? h.name() : h.address();
    }

    /** The host an agent speaks for, if {@code generation} is its current one; else the refusal. */
    HostRecord fenced(long hostId, long generation) {
        HostRecord h = byId.get(hostId);
        if (h == null) throw RequestError.notFound("id", "no host " + hostId);
        if (h.generation() != generation)
            throw RequestError.conflict(ErrorCode.STALE_GENERATION, "generation", "generation " + generation
                    + " is stale; host " + h.name() + " is at generation " + h.generation());
        return h;
    }
}
