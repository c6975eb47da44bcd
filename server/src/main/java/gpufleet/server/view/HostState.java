package gpufleet.server.view;

import gpufleet.core.state.HostStatus;
import gpufleet.server.store.HostRecord;

import java.util.Locale;

/**
 * What a host, or one of its GPUs, is doing, as the dashboard colours it and {@code /metrics} counts
 * it. One classification for both, so a panel built on the metrics agrees with the heatmap.
 */
public enum HostState {
    /** Running work (for a host: at least one GPU is). */
    BUSY,
    /** Can take work now. */
    FREE,
    /** Takes no new work (an operator drained it); a GPU of a draining host that runs nothing. */
    DRAINING,
    /** Reported a GPU error (for a host: at least one GPU did). */
    UNHEALTHY,
    /** Its agent is silent: nothing runs there. */
    DOWN;

    /** The lower-case name used in JSON and in metric labels. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * A host's state: down before unhealthy (a lost host tells nothing about its GPUs), unhealthy
     * before draining (a GPU error drains the host, and the error is what an operator must see),
     * then draining, busy, free.
     */
    public static HostState ofHost(HostRecord h, int gpusInUse) {
        if (h.status() == HostStatus.DOWN) return DOWN;
        if (!h.unhealthyGpus().isEmpty()) return UNHEALTHY;
        if (h.status() == HostStatus.DRAINING) return DRAINING;
        return gpusInUse > 0 ? BUSY : FREE;
    }

    /**
     * One GPU's state, in the same model as its host's, so that GPUs counted in a state are always on
     * hosts in that state (or busy): a GPU that runs work is busy even on a draining host, which lets
     * running work finish; an idle GPU takes its host's state when the host takes no work (a healthy GPU
     * on a host drained for another GPU's error is out of service with it, counted unhealthy, not draining).
     */
    public static HostState ofGpu(HostRecord h, int gpu, boolean inUse) {
        if (h.status() == HostStatus.DOWN) return DOWN;
        if (h.unhealthyGpus().contains(gpu)) return UNHEALTHY;
        if (inUse) return BUSY;
        if (!h.unhealthyGpus().isEmpty()) return UNHEALTHY;
        return h.status() == HostStatus.DRAINING ? DRAINING : FREE;
    }
}
