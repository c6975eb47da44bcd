package gpufleet.server.control;

import gpufleet.core.lifecycle.GangRepair;
import gpufleet.core.lifecycle.Lifecycle;
import gpufleet.core.state.FleetState;
import gpufleet.core.state.HostStatus;
import gpufleet.core.state.Placement;
import gpufleet.core.topology.Topology;
import gpufleet.server.store.HostGpus;
import gpufleet.server.store.HostRecord;
import gpufleet.server.store.Store;

import java.util.List;

/**
 * Hot spares ({@code --spares N}): in each pool of hosts of one GPU type and count the controller keeps N
 * healthy, idle hosts as spares (stored status SPARE), which ordinary jobs are not given. When a gang
 * loses a host (lost, or a GPU fault drains it), the lifecycle re-forms it before placing anyone else,
 * keeping its healthy hosts and swapping a spare in for each failed one ({@link GangRepair}; a free host of
 * the pool when no spare is left); the spares taken are stored UP with the run, and the pool is refilled
 * from idle hosts at the next cycle. As in the twin, the hosts chosen as spares are the pool's last ones.
 * Runs with the controller's lock held.
 */
final class HotSpares {
    private static final System.Logger LOG = System.getLogger(HotSpares.class.getName());
    static final String REASON = "hot spare (--spares): kept idle to replace a failed host of a gang";

    private final Store store;
    private final HostRegistry registry;
    private final int perPool;

    HotSpares(Store store, HostRegistry registry, int perPool) {
        this.store = store;
        this.registry = registry;
        this.perPool = perPool;
    }

    boolean on() {
        return perPool > 0;
    }

    /**
     * Tops each pool up to its spares from its idle, healthy UP hosts (a quarantined host is never one), the
     * pool's last hosts first; with more spares than wanted (the option was lowered), the extra go back UP.
     */
    void refill(LiveView view) {
        Lifecycle lc = view.lifecycle();
        FleetLayout layout = view.layout();
        if (lc == null || layout == null || (perPool == 0 && !hadSpares)) return;
        FleetState st = lc.fleet();
        Topology t = lc.topology();
        boolean changed = false;
        for (int c = 0; c < t.clusterCount(); c++) {
            int have = 0;
            for (int h = t.firstHostOfCluster(c); h < t.endHostOfCluster(c); h++)
                if (st.status(h) == HostStatus.SPARE) have++;
            for (int h = t.endHostOfCluster(c) - 1; h >= t.firstHostOfCluster(c) && have < perPool; h--) {
                HostRecord r = layout.hostAt(h);
                if (r == null || st.status(h) != HostStatus.UP || st.allocatedMask(h) != 0 || st.unhealthyMask(h) != 0)
                    continue;
                HostRecord now = registry.get(r.id());
                if (now == null || now.status() != HostStatus.UP || now.quarantined() || !now.unhealthyGpus().isEmpty())
                    continue;
                store.setHostStatus(r.id(), HostStatus.SPARE, REASON, List.of());
                lc.setHostStatus(h, HostStatus.SPARE);
                have++;
                changed = true;
            }
            for (int h = t.firstHostOfCluster(c); h < t.endHostOfCluster(c) && have > perPool; h++) {
                HostRecord r = layout.hostAt(h);
                if (r == null || st.status(h) != HostStatus.SPARE) continue;
                store.setHostStatus(r.id(), HostStatus.UP, "", List.of());
                lc.setHostStatus(h, HostStatus.UP);
                have--;
                changed = true;
            }
        }
        if (changed) registry.refresh(store);
        hadSpares = perPool > 0;
    }

    /**
     * Whether spares may be left from before: at start, a controller without {@code --spares} looks once
     * for spares an earlier run kept, and puts them back into service.
     */
    private boolean hadSpares = true;

    /**
     * A run was committed on {@code placement}: any spare it took (swapped into a broken gang) is in service
     * now, as the lifecycle already has it.
     */
    void tookSpares(List<HostGpus> placement) {
        boolean changed = false;
        for (HostGpus hg : placement) {
            HostRecord r = registry.byName(hg.host());
            if (r == null || r.status() != HostStatus.SPARE) continue;
            store.setHostStatus(r.id(), HostStatus.UP, "", r.unhealthyGpus());
            LOG.log(System.Logger.Level.INFO, "hot spare " + r.name() + " swapped into a gang");
            changed = true;
        }
        if (changed) registry.refresh(store);
    }
}
